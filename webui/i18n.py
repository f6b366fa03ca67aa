"""The app's words in English, Spanish and French, and numbers and dates in each locale's form.

Only the interface is translated: document text, citations and titles are shown as the index holds
them. The interface language comes from the ``ui`` URL parameter, else the browser's
Accept-Language header, else English (``lang`` is already the shared-search language filter).
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from datetime import datetime

from indexer.records import ENGLISH_CITATION, CitationWords
from search.briefing import NOTE_WORDS, NoteWords
from search.filters import comparable

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "GRADIO_STRINGS", "citation_words", "text", "choose_language", "format_number", "format_datetime",
           "country_name", "kind_label", "language_name", "page_title", "unknown_values_text", "value_name"]

DEFAULT_LANGUAGE = "en"
#: Interface languages: code -> the language's own name (for the selector).
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français"}

_EN = {
    "intro": "Ask a question about justice policy; every passage comes with its citation.",
    "ui_language": "Interface language",
    "question": "Question",
    "question_placeholder": "e.g. Which countries expanded free legal aid?",
    "search": "Search",
    "filters": "Filters and number of results",
    "country": "Country or member",
    "region": "Region",
    "kind": "Document type",
    "policy_area": "Policy area",
    "language": "Language",
    "year_from": "From year",
    "year_to": "To year",
    "year_any": "any",
    "results_k": "Number of results",
    "tab_search": "Search",
    "tab_compare": "Comparable commitments",
    "tab_basket": "Evidence basket ({n})",
    "tab_status": "Index status",
    "kind.report": "Report (PDF page)",
    "kind.guide": "Guide section",
    "kind.commitment": "OGP commitment",
    "kind.text": "Text",
    "lang.und": "Undetermined", "lang.en": "English", "lang.es": "Spanish", "lang.fr": "French",
    "lang.pt": "Portuguese", "lang.ar": "Arabic", "lang.ru": "Russian", "lang.uk": "Ukrainian",
    "lang.ka": "Georgian", "lang.hy": "Armenian", "lang.id": "Indonesian",
    "no_answer": "No passage answers this closely; try other words or fewer filters.",
    "type_question": "Type a question and press Search.",
    "bad_years": "The years {first}-{last} are not a year or a range like 2018-2024.",
    "answer_heading": "What the passages say",
    "passages": "{n} passage",
    "passages_plural": "{n} passages",
    "only": "only {filters}",
    "label_value": "{label}: {values}",
    "leads_only": "(none answers the question closely: read them as leads, not answers)",
    "years_filter": "Years: {first}-{last} (documents without a year, such as most reports and guides, "
                    "are left out)",
    "ignored_params": "Ignored what this index does not know: {items}.",
    "unknown_value": "{label}: this index holds no “{value}”, so a filter on it would match nothing.",
    "unknown_value_suggest": "{label}: this index holds no “{value}” (did you mean {suggestions}?).",
    "pin": "Pin to basket",
    "pinned": "Pinned ✓",
    "open_commitment": "Official commitment page",
    "open_pdf_page": "Open the file at {page}",
    "page_printed": "p. {label}",
    "page_pdf": "PDF page {n}",
    "page_printed_and_pdf": "p. {label} (PDF page {n})",
    "view_page": "View the page with the passage marked",
    "translate": "Translate into English",
    "translate_hide": "Hide the translation",
    "machine_translation": "Machine translation ({path}, {engine})",
    "machine_translation_via": "Machine translation ({path}, {engine}). There is no direct pair, so it goes "
                               "through {via}: a word the second step does not know stays in {via}.",
    "translate_unavailable": "Machine translation needs Apertium, which is not installed here. Install it with:",
    "translate_unknown_language": "This passage is too short to tell its language, so it cannot be translated: read it as written, or open its source.",
    "pageview.page": "page",
    "pageview.open_pdf": "Open the PDF at this page",
    "pageview.found": "The passage is marked on the page.",
    "pageview.not_found": "The passage's words were not found on this page's text.",
    "file.log_in": "Log in to the app first.",
    "file.outside": "Only files inside the corpus folder are served.",
    "file.no_pdf": "No such PDF in the corpus.",
    "file.no_file": "No such file in the corpus.",
    "pageview.page_count": "This PDF has no such page (it has {n}).",
    "pageview.ocr": "This page was read by OCR: the marks are Tesseract's word boxes.",
    "chart_title": "Comparable commitments by country",
    "chart_count": "{n} commitments",
    "chart_no_irm": "IRM completion not given",
    "irm_legend": "Colour: IRM completion at the end of term (else at mid-term), as the export gives it; its codes (ND, NR, NA) are shown as given, since the export's documentation is not part of this corpus.",
    "open_source": "Open source",
    "open_file": "Open file",
    "also_in": "Also in: ",
    "meta_policy_areas": "Policy areas: {areas}",
    "meta_lead": "Lead: {lead}",
    "meta_impact": "IRM impact: {value}",
    "meta_completion": "IRM completion: {value}",
    "show_source": "Show source: {what}",
    "running_lines": "Printed at the page's top or foot:",
    "whole.report": "the whole page",
    "whole.guide": "the whole section",
    "whole.commitment": "the whole commitment",
    "whole.other": "the whole document",
    "source_page": "Page {n} of {count} of this text",
    "source_previous": "← Previous page",
    "source_next": "Next page →",
    "source_title": "Source text",
    "basket_empty": 'The basket is empty. On the Search tab, press "Pin to basket" on the passages you want '
                    "to quote.",
    "basket_title": "Title of the briefing note",
    "basket_title_default": "Briefing note",
    "basket_pick": "Selected passage",
    "move_up": "Move up",
    "move_down": "Move down",
    "remove": "Remove",
    "download_docx": "Download Word (.docx)",
    "download_md": "Download Markdown (.md)",
    "download_csv": "Download CSV",
    "compare_ask_first": "Ask a question on the Search tab first.",
    "compare_pending": "Commitments like “{q}” are listed when this tab is opened.",
    "compare_found": "{n} commitments like “{q}”, grouped by country (the document-type filter does not apply "
                     "here). Sort with the ⋮ menu of a column header.",
    "compare_found_one": "1 commitment like “{q}”, grouped by country (the document-type filter does not apply "
                         "here). Sort with the ⋮ menu of a column header.",
    "compare_none": "No commitment like “{q}” matches; try other words or fewer filters.",
    "compare_files": "Commitments in this index come from {files}.",
    "compare_file": "{file} ({n} records)",
    "compare_folder": "{folder} ({files} files, {n} records)",
    "csv_headers": ["country", "commitment_id", "year", "title", "lead_institution", "policy_areas",
                    "irm_potential_impact", "irm_completion", "url", "passage"],
    "compare_headers": ["Country", "Commitment", "Year", "Title", "Lead institution", "Policy areas",
                        "IRM impact", "IRM completion", "Link"],
    "official_page": "official page",
    "status_index": "Index",
    "status_by_kind": "Documents by type",
    "status_by_language": "Passages by language",
    "status_failures": "Files the last build could not read",
    "status_by_country": "Commitments by country",
    "status_last_build": "Last build",
    "status_model": "Model",
    "status_dimensions": "{model} ({n} dimensions)",
    "status_files": "Files",
    "status_documents": "Citable documents (pages, sections, commitments)",
    "status_chunks": "Passages (chunks)",
    "status_generation": "Index generation",
    "status_documents_col": "Documents",
    "status_passages_col": "Passages",
    "status_commitments_col": "Commitments",
    "status_file_col": "File",
    "status_reason_col": "Reason",
    "app_title": "OGP justice policy search",
    "watches": "Saved searches",
    "watch_pick": "Saved search",
    "watch_show": "Show",
    "watch_save": "Save this search",
    "watch_empty": 'No saved searches yet: search, then "Save this search".',
    "watch_new": "{n} new",
    "watch_new_one": "1 new",
    "watch_nothing_new": "nothing new",
    "watch_search_first": "Search first, then save the search.",
    "watch_saved": "Saved as {id}.",
    "watch_pick_first": "Pick a saved search first.",
    "watch_year": "Years",
}

_ES = {
    "intro": "Haga una pregunta sobre política de justicia; cada pasaje viene con su cita.",
    "ui_language": "Idioma de la interfaz",
    "question": "Pregunta",
    "question_placeholder": "p. ej. ¿Qué países ampliaron la asistencia jurídica gratuita?",
    "search": "Buscar",
    "filters": "Filtros y número de resultados",
    "country": "País o miembro",
    "region": "Región",
    "kind": "Tipo de documento",
    "policy_area": "Área de política",
    "language": "Idioma",
    "year_from": "Desde el año",
    "year_to": "Hasta el año",
    "year_any": "cualquiera",
    "results_k": "Número de resultados",
    "tab_search": "Búsqueda",
    "tab_compare": "Compromisos comparables",
    "tab_basket": "Cesta de evidencias ({n})",
    "tab_status": "Estado del índice",
    "kind.report": "Informe (página de PDF)",
    "kind.guide": "Sección de guía",
    "kind.commitment": "Compromiso OGP",
    "kind.text": "Texto",
    "lang.und": "Indeterminado", "lang.en": "Inglés", "lang.es": "Español", "lang.fr": "Francés",
    "lang.pt": "Portugués", "lang.ar": "Árabe", "lang.ru": "Ruso", "lang.uk": "Ucraniano",
    "lang.ka": "Georgiano", "lang.hy": "Armenio", "lang.id": "Indonesio",
    "no_answer": "Ningún pasaje responde con precisión; pruebe otras palabras o menos filtros.",
    "type_question": "Escriba una pregunta y pulse Buscar.",
    "bad_years": "Los años {first}-{last} no son un año ni un intervalo como 2018-2024.",
    "answer_heading": "Lo que dicen los pasajes",
    "passages": "{n} pasaje",
    "passages_plural": "{n} pasajes",
    "only": "solo {filters}",
    "label_value": "{label}: {values}",
    "leads_only": "(ninguno responde con precisión: léalos como pistas, no como respuestas)",
    "years_filter": "Años: {first}-{last} (se excluyen los documentos sin año, como la mayoría de los informes "
                    "y guías)",
    "ignored_params": "Se ignoró lo que este índice no conoce: {items}.",
    "unknown_value": "{label}: este índice no contiene «{value}», así que un filtro con ese valor no "
                     "encontraría nada.",
    "unknown_value_suggest": "{label}: este índice no contiene «{value}» (¿quiso decir {suggestions}?).",
    "pin": "Añadir a la cesta",
    "pinned": "Añadido ✓",
    "open_commitment": "Página oficial del compromiso",
    "open_pdf_page": "Abrir el archivo en {page}",
    "page_printed": "p. {label}",
    "page_pdf": "la página {n} del PDF",
    "page_printed_and_pdf": "p. {label} (página {n} del PDF)",
    "view_page": "Ver la página con el pasaje marcado",
    "translate": "Traducir al español",
    "translate_hide": "Ocultar la traducción",
    "machine_translation": "Traducción automática ({path}, {engine})",
    "machine_translation_via": "Traducción automática ({path}, {engine}). No hay un par directo, así que pasa "
                               "por el {via}: una palabra que el segundo paso no conoce queda en {via}.",
    "translate_unavailable": "La traducción automática necesita Apertium, que no está instalado aquí. Instálelo con:",
    "translate_unknown_language": "Este pasaje es demasiado breve para saber en qué idioma está, así que no puede traducirse: léalo tal como está o abra su fuente.",
    "pageview.page": "página",
    "pageview.open_pdf": "Abrir el PDF en esta página",
    "pageview.found": "El pasaje está marcado en la página.",
    "pageview.not_found": "Las palabras del pasaje no se encontraron en el texto de esta página.",
    "file.log_in": "Inicie sesión en la aplicación primero.",
    "file.outside": "Solo se sirven archivos de la carpeta del corpus.",
    "file.no_pdf": "No hay tal PDF en el corpus.",
    "file.no_file": "No hay tal archivo en el corpus.",
    "pageview.page_count": "Este PDF no tiene esa página (tiene {n}).",
    "pageview.ocr": "Esta página se leyó por OCR: las marcas son los recuadros de palabras de Tesseract.",
    "chart_title": "Compromisos comparables por país",
    "chart_count": "{n} compromisos",
    "chart_no_irm": "Cumplimiento IRM no indicado",
    "irm_legend": "Color: cumplimiento según el IRM al final del plan (si no, a mitad del plan), tal como lo da la exportación; sus códigos (ND, NR, NA) se muestran tal cual, pues la documentación de la exportación no forma parte de este corpus.",
    "open_source": "Abrir la fuente",
    "open_file": "Abrir el archivo",
    "also_in": "También en: ",
    "meta_policy_areas": "Áreas de política: {areas}",
    "meta_lead": "Responsable: {lead}",
    "meta_impact": "Impacto (IRM): {value}",
    "meta_completion": "Cumplimiento (IRM): {value}",
    "show_source": "Ver la fuente: {what}",
    "running_lines": "Impreso en el encabezado o pie de página:",
    "whole.report": "la página completa",
    "whole.guide": "la sección completa",
    "whole.commitment": "el compromiso completo",
    "whole.other": "el documento completo",
    "source_page": "Página {n} de {count} de este texto",
    "source_previous": "← Página anterior",
    "source_next": "Página siguiente →",
    "source_title": "Texto de la fuente",
    "basket_empty": "La cesta está vacía. En la pestaña Búsqueda, pulse «Añadir a la cesta» en los pasajes que "
                    "quiera citar.",
    "basket_title": "Título de la nota informativa",
    "basket_title_default": "Nota informativa",
    "basket_pick": "Pasaje seleccionado",
    "move_up": "Subir",
    "move_down": "Bajar",
    "remove": "Quitar",
    "download_docx": "Descargar Word (.docx)",
    "download_md": "Descargar Markdown (.md)",
    "download_csv": "Descargar CSV",
    "compare_ask_first": "Haga primero una pregunta en la pestaña Búsqueda.",
    "compare_pending": "Los compromisos parecidos a «{q}» se listan al abrir esta pestaña.",
    "compare_found": "{n} compromisos parecidos a «{q}», agrupados por país (el filtro de tipo de documento no "
                     "se aplica aquí). Ordene con el menú ⋮ de la cabecera de una columna.",
    "compare_found_one": "1 compromiso parecido a «{q}», agrupado por país (el filtro de tipo de documento no "
                         "se aplica aquí). Ordene con el menú ⋮ de la cabecera de una columna.",
    "compare_none": "Ningún compromiso se parece a «{q}»; pruebe otras palabras o menos filtros.",
    "compare_files": "Los compromisos de este índice vienen de {files}.",
    "compare_file": "{file} ({n} registros)",
    "compare_folder": "{folder} ({files} archivos, {n} registros)",
    "csv_headers": ["País", "Compromiso", "Año", "Título", "Institución responsable", "Áreas de política",
                    "Impacto potencial (IRM)", "Cumplimiento (IRM)", "Enlace", "Pasaje"],
    "compare_headers": ["País", "Compromiso", "Año", "Título", "Institución responsable", "Áreas de política",
                        "Impacto (IRM)", "Cumplimiento (IRM)", "Enlace"],
    "official_page": "página oficial",
    "status_index": "Índice",
    "status_by_kind": "Documentos por tipo",
    "status_by_language": "Pasajes por idioma",
    "status_failures": "Archivos que la última construcción no pudo leer",
    "status_by_country": "Compromisos por país",
    "status_last_build": "Última construcción",
    "status_model": "Modelo",
    "status_dimensions": "{model} ({n} dimensiones)",
    "status_files": "Archivos",
    "status_documents": "Documentos citables (páginas, secciones, compromisos)",
    "status_chunks": "Pasajes (fragmentos)",
    "status_generation": "Generación del índice",
    "status_documents_col": "Documentos",
    "status_passages_col": "Pasajes",
    "status_commitments_col": "Compromisos",
    "status_file_col": "Archivo",
    "status_reason_col": "Motivo",
    "app_title": "Búsqueda de políticas de justicia OGP",
    "watches": "Búsquedas guardadas",
    "watch_pick": "Búsqueda guardada",
    "watch_show": "Mostrar",
    "watch_save": "Guardar esta búsqueda",
    "watch_empty": "Aún no hay búsquedas guardadas: busque y pulse «Guardar esta búsqueda».",
    "watch_new": "{n} nuevos",
    "watch_new_one": "1 nuevo",
    "watch_nothing_new": "nada nuevo",
    "watch_search_first": "Busque primero y luego guarde la búsqueda.",
    "watch_saved": "Guardada como {id}.",
    "watch_pick_first": "Elija primero una búsqueda guardada.",
    "watch_year": "Años",
    "note.untitled": "Nota informativa",
    "note.empty": "No hay pasajes añadidos.",
    "note.lead_one": "1 pasaje citado textualmente del índice de políticas de justicia construido el {date}. "
                     "Los números remiten a las notas.",
    "note.lead_many": "{n} pasajes citados textualmente del índice de políticas de justicia construido el {date}. "
                      "Los números remiten a las notas.",
    "note.evidence": "Evidencias",
    "note.sources": "Fuentes",
    "note.indexed": "indexado el {date}",
    "note.note_one": "nota {numbers}",
    "note.note_many": "notas {numbers}",
    "note.machine_translation": "Traducción automática",
    "note.unknown_date": "fecha desconocida",
    "note.corpus_file": "archivo del corpus",
    "cite.page": ("p. {label}", "página {n} del PDF", "p. {label} (página {n} del PDF)"),
    "cite.pages": ("pp. {label}–{last_label}", "páginas {n}–{last} del PDF",
                   "pp. {label}–{last_label} (páginas {n}–{last} del PDF)"),
    "cite.ocr": "leída por OCR",
}

_FR = {
    "intro": "Posez une question sur les politiques de justice ; chaque passage est accompagné de sa citation.",
    "ui_language": "Langue de l’interface",
    "question": "Question",
    "question_placeholder": "p. ex. Quels pays ont étendu l’aide juridictionnelle gratuite ?",
    "search": "Rechercher",
    "filters": "Filtres et nombre de résultats",
    "country": "Pays ou membre",
    "region": "Région",
    "kind": "Type de document",
    "policy_area": "Domaine d’action",
    "language": "Langue",
    "year_from": "À partir de",
    "year_to": "Jusqu’à",
    "year_any": "toutes",
    "results_k": "Nombre de résultats",
    "tab_search": "Recherche",
    "tab_compare": "Engagements comparables",
    "tab_basket": "Panier de preuves ({n})",
    "tab_status": "État de l’index",
    "kind.report": "Rapport (page PDF)",
    "kind.guide": "Section de guide",
    "kind.commitment": "Engagement OGP",
    "kind.text": "Texte",
    "lang.und": "Indéterminée", "lang.en": "Anglais", "lang.es": "Espagnol", "lang.fr": "Français",
    "lang.pt": "Portugais", "lang.ar": "Arabe", "lang.ru": "Russe", "lang.uk": "Ukrainien",
    "lang.ka": "Géorgien", "lang.hy": "Arménien", "lang.id": "Indonésien",
    "no_answer": "Aucun passage ne répond précisément ; essayez d’autres mots ou moins de filtres.",
    "type_question": "Saisissez une question et appuyez sur Rechercher.",
    "bad_years": "Les années {first}-{last} ne sont ni une année ni une période comme 2018-2024.",
    "answer_heading": "Ce que disent les passages",
    "passages": "{n} passage",
    "passages_plural": "{n} passages",
    "only": "uniquement {filters}",
    "label_value": "{label} : {values}",
    "leads_only": "(aucun ne répond précisément : lisez-les comme des pistes, pas des réponses)",
    "years_filter": "Années : {first}-{last} (les documents sans année, comme la plupart des rapports et des "
                    "guides, sont exclus)",
    "ignored_params": "Ignoré ce que cet index ne connaît pas : {items}.",
    "unknown_value": "{label} : cet index ne contient pas « {value} », un filtre sur cette valeur ne trouverait rien.",
    "unknown_value_suggest": "{label} : cet index ne contient pas « {value} » (vouliez-vous dire {suggestions} ?).",
    "pin": "Ajouter au panier",
    "pinned": "Ajouté ✓",
    "open_commitment": "Page officielle de l’engagement",
    "open_pdf_page": "Ouvrir le fichier à {page}",
    "page_printed": "p. {label}",
    "page_pdf": "la page {n} du PDF",
    "page_printed_and_pdf": "p. {label} (page {n} du PDF)",
    "view_page": "Voir la page avec le passage marqué",
    "translate": "Traduire en français",
    "translate_hide": "Masquer la traduction",
    "machine_translation": "Traduction automatique ({path}, {engine})",
    "machine_translation_via": "Traduction automatique ({path}, {engine}). Il n’y a pas de paire directe : elle "
                               "passe par l’{via}, et un mot que la seconde étape ne connaît pas reste en {via}.",
    "translate_unavailable": "La traduction automatique nécessite Apertium, qui n'est pas installé ici. Installez-le avec :",
    "translate_unknown_language": "Ce passage est trop court pour en reconnaître la langue : il ne peut pas être traduit. Lisez-le tel quel ou ouvrez sa source.",
    "pageview.page": "page",
    "pageview.open_pdf": "Ouvrir le PDF à cette page",
    "pageview.found": "Le passage est marqué sur la page.",
    "pageview.not_found": "Les mots du passage sont introuvables dans le texte de cette page.",
    "file.log_in": "Connectez-vous d’abord à l’application.",
    "file.outside": "Seuls les fichiers du dossier du corpus sont servis.",
    "file.no_pdf": "Ce PDF n’est pas dans le corpus.",
    "file.no_file": "Ce fichier n’est pas dans le corpus.",
    "pageview.page_count": "Ce PDF n’a pas cette page (il en compte {n}).",
    "pageview.ocr": "Cette page a été lue par OCR : les marques sont les cadres de mots de Tesseract.",
    "chart_title": "Engagements comparables par pays",
    "chart_count": "{n} engagements",
    "chart_no_irm": "Achèvement IRM non indiqué",
    "irm_legend": "Couleur : achèvement selon l'IRM en fin de plan (sinon à mi-parcours), tel que l'export le donne ; ses codes (ND, NR, NA) sont montrés tels quels, la documentation de l'export ne faisant pas partie de ce corpus.",
    "open_source": "Ouvrir la source",
    "open_file": "Ouvrir le fichier",
    "also_in": "Aussi dans : ",
    "meta_policy_areas": "Domaines d’action : {areas}",
    "meta_lead": "Responsable : {lead}",
    "meta_impact": "Impact (IRM) : {value}",
    "meta_completion": "Réalisation (IRM) : {value}",
    "show_source": "Voir la source : {what}",
    "running_lines": "Imprimé en haut ou en bas de la page :",
    "whole.report": "la page entière",
    "whole.guide": "la section entière",
    "whole.commitment": "l’engagement entier",
    "whole.other": "le document entier",
    "source_page": "Page {n} sur {count} de ce texte",
    "source_previous": "← Page précédente",
    "source_next": "Page suivante →",
    "source_title": "Texte de la source",
    "basket_empty": "Le panier est vide. Dans l’onglet Recherche, appuyez sur « Ajouter au panier » sur les "
                    "passages à citer.",
    "basket_title": "Titre de la note de synthèse",
    "basket_title_default": "Note de synthèse",
    "basket_pick": "Passage sélectionné",
    "move_up": "Monter",
    "move_down": "Descendre",
    "remove": "Retirer",
    "download_docx": "Télécharger Word (.docx)",
    "download_md": "Télécharger Markdown (.md)",
    "download_csv": "Télécharger CSV",
    "compare_ask_first": "Posez d’abord une question dans l’onglet Recherche.",
    "compare_pending": "Les engagements proches de « {q} » sont listés à l’ouverture de cet onglet.",
    "compare_found": "{n} engagements proches de « {q} », groupés par pays (le filtre de type de document ne "
                     "s’applique pas ici). Triez avec le menu ⋮ d’un en-tête de colonne.",
    "compare_found_one": "1 engagement proche de « {q} », groupé par pays (le filtre de type de document ne "
                         "s’applique pas ici). Triez avec le menu ⋮ d’un en-tête de colonne.",
    "compare_none": "Aucun engagement ne ressemble à « {q} » ; essayez d’autres mots ou moins de filtres.",
    "compare_files": "Les engagements de cet index viennent de {files}.",
    "compare_file": "{file} ({n} fiches)",
    "compare_folder": "{folder} ({files} fichiers, {n} fiches)",
    "csv_headers": ["Pays", "Engagement", "Année", "Titre", "Institution responsable", "Domaines d’action",
                    "Impact potentiel (IRM)", "Réalisation (IRM)", "Lien", "Passage"],
    "compare_headers": ["Pays", "Engagement", "Année", "Titre", "Institution responsable", "Domaines d’action",
                        "Impact (IRM)", "Réalisation (IRM)", "Lien"],
    "official_page": "page officielle",
    "status_index": "Index",
    "status_by_kind": "Documents par type",
    "status_by_language": "Passages par langue",
    "status_failures": "Fichiers que la dernière construction n’a pas pu lire",
    "status_by_country": "Engagements par pays",
    "status_last_build": "Dernière construction",
    "status_model": "Modèle",
    "status_dimensions": "{model} ({n} dimensions)",
    "status_files": "Fichiers",
    "status_documents": "Documents citables (pages, sections, engagements)",
    "status_chunks": "Passages (fragments)",
    "status_generation": "Génération de l’index",
    "status_documents_col": "Documents",
    "status_passages_col": "Passages",
    "status_commitments_col": "Engagements",
    "status_file_col": "Fichier",
    "status_reason_col": "Motif",
    "app_title": "Recherche de politiques de justice OGP",
    "watches": "Recherches enregistrées",
    "watch_pick": "Recherche enregistrée",
    "watch_show": "Afficher",
    "watch_save": "Enregistrer cette recherche",
    "watch_empty": "Aucune recherche enregistrée : lancez une recherche, puis « Enregistrer cette recherche ».",
    "watch_new": "{n} nouveaux",
    "watch_new_one": "1 nouveau",
    "watch_nothing_new": "rien de nouveau",
    "watch_search_first": "Lancez d’abord une recherche, puis enregistrez-la.",
    "watch_saved": "Enregistrée sous {id}.",
    "watch_pick_first": "Choisissez d’abord une recherche enregistrée.",
    "watch_year": "Années",
    "note.untitled": "Note de synthèse",
    "note.empty": "Aucun passage ajouté.",
    "note.lead_one": "1 passage cité textuellement de l’index des politiques de justice construit le {date}. "
                     "Les numéros renvoient aux notes.",
    "note.lead_many": "{n} passages cités textuellement de l’index des politiques de justice construit le {date}. "
                      "Les numéros renvoient aux notes.",
    "note.evidence": "Éléments de preuve",
    "note.sources": "Sources",
    "note.indexed": "indexé le {date}",
    "note.note_one": "note {numbers}",
    "note.note_many": "notes {numbers}",
    "note.machine_translation": "Traduction automatique",
    "note.unknown_date": "date inconnue",
    "note.corpus_file": "fichier du corpus",
    "cite.page": ("p. {label}", "page {n} du PDF", "p. {label} (page {n} du PDF)"),
    "cite.pages": ("pp. {label}–{last_label}", "pages {n}–{last} du PDF", "pp. {label}–{last_label} (pages {n}–{last} du PDF)"),
    "cite.ocr": "lue par OCR",
}

# A briefing note's own words in English are search.briefing's defaults (webui/notes.py), and a
# citation's are indexer.records'.
_EN.update({f"note.{name}": value for name, value in asdict(NoteWords()).items() if name in NOTE_WORDS})
_EN.update({"cite.page": ENGLISH_CITATION.page, "cite.pages": ENGLISH_CITATION.pages, "cite.ocr": ENGLISH_CITATION.ocr})

_STRINGS = {"en": _EN, "es": _ES, "fr": _FR}

#: Words Gradio's own page announces to screen readers that its bundled translations lack: without
#: them a reader hears the raw key ("common.complete") after every search. Gradio picks these by the
#: browser's language, not by the app's selector (gr.I18n, passed to launch()).
GRADIO_STRINGS = {
    "en": {"common.complete": "Done", "status.queue_position": "In queue: {position} of {size}"},
    "es": {"common.complete": "Listo", "status.queue_position": "En cola: {position} de {size}"},
    "fr": {"common.complete": "Terminé", "status.queue_position": "En file d'attente : {position} sur {size}"},
}

_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}


@functools.lru_cache(maxsize=None)
def citation_words(language: str | None) -> CitationWords:
    """The words a citation adds to its source's ("PDF page", "read by OCR") in ``language``."""
    return CitationWords(page=text(language, "cite.page"), pages=text(language, "cite.pages"),
                         ocr=text(language, "cite.ocr"))


def _known(language: str | None) -> str:
    return language if language in _STRINGS else DEFAULT_LANGUAGE


def text(language: str | None, key: str, **values: object):
    """The interface string ``key`` in ``language`` (English for an unknown language), filled in."""
    entry = _STRINGS[_known(language)].get(key, _EN[key])
    return entry.format(**values) if values and isinstance(entry, str) else entry


#: Values of the export's closed lists (regions, IRM ratings) in Spanish and French; a filter keeps the
#: export's value, only its label changes. Policy areas stay as the export names them: some seventy
#: terms of OGP's own taxonomy, searched and cited in that form.
_VALUE_NAMES = {
    "es": {"Europe": "Europa", "Americas": "Américas", "Asia and the Pacific": "Asia y el Pacífico",
           "Africa and the Middle East": "África y Oriente Medio", "Complete": "Completo",
           "Substantial": "Sustancial", "Limited": "Limitado", "Not Started": "No iniciado",
           "Withdrawn": "Retirado", "Unclear": "Poco claro", "Transformative": "Transformador",
           "Moderate": "Moderado", "Minor": "Menor", "None": "Ninguno"},
    "fr": {"Europe": "Europe", "Americas": "Amériques", "Asia and the Pacific": "Asie et Pacifique",
           "Africa and the Middle East": "Afrique et Moyen-Orient", "Complete": "Achevé",
           "Substantial": "Substantiel", "Limited": "Limité", "Not Started": "Non commencé",
           "Withdrawn": "Retiré", "Unclear": "Incertain", "Transformative": "Transformateur",
           "Moderate": "Modéré", "Minor": "Mineur", "None": "Aucun"},
}


@functools.lru_cache(maxsize=1)
def _member_codes() -> dict[str, str]:
    """A member in the export's spelling -> its CLDR territory code ("Slovak Republic" -> "SK"), for
    the members CLDR names (a city or a state, "Madrid, Spain", has none)."""
    from indexer.countries import canonical_country

    codes: dict[str, str] = {}
    for code, name in _cldr("en").territories.items():
        if code.isalpha():  # "001" and the like are regions of the world, not members
            for spelling in (name, canonical_country(name.replace("’", "'"))):
                codes.setdefault(comparable(spelling), code)
    return codes


@functools.lru_cache(maxsize=None)
def _cldr(language: str):
    """CLDR's data for ``language`` (a babel Locale), made once: cards and filter lists ask it for a
    name on every render."""
    from babel import Locale

    return Locale(language)


def country_name(language: str | None, member: str) -> str:
    """A member as the export spells it ("United States") in ``language`` ("Estados Unidos", "États-Unis"),
    from CLDR; a local member with its country ("Jalisco, Mexico") with the country in ``language``
    ("Jalisco, México"); a member CLDR does not name, or any name in English, as it is."""
    language = _known(language)
    if language == "en" or not member:
        return member
    code = _member_codes().get(comparable(member))
    if code is not None:
        return _cldr(language).territories.get(code, member)
    place, comma, country = member.rpartition(", ")
    if comma and place and _member_codes().get(comparable(country)) is not None:
        return f"{place}, {country_name(language, country)}"
    return member


def value_name(language: str | None, value: str) -> str:
    """A region or IRM rating as the export gives it ('Substantial') in ``language`` ('Sustancial');
    any other value as it is."""
    return _VALUE_NAMES.get(_known(language), {}).get(value, value)


def unknown_values_text(language: str | None, unknown) -> str:
    """'No country «Madrid» in this index (did you mean «Madrid, Spain»?)' for each (field, value,
    suggestions) of an UnknownFilterValueError, in ``language``; '' for none."""
    parts = []
    for field, value, suggestions in unknown:
        label = text(language, field) if field in _EN else field
        names = [country_name(language, s) if field == "country" else s for s in suggestions]
        key = "unknown_value_suggest" if names else "unknown_value"
        parts.append(text(language, key, label=label, value=value, suggestions=", ".join(names)))
    return " ".join(parts)


def kind_label(language: str | None, kind: str) -> str:
    """'commitment' -> 'OGP commitment' / 'Compromiso OGP' / 'Engagement OGP'; unknown kinds as they are."""
    return text(language, f"kind.{kind}") if f"kind.{kind}" in _EN else kind


def language_name(language: str | None, code: str) -> str:
    """A document language's name ('es' -> 'Spanish' in English, 'Español' in Spanish); a code the
    table lacks by its CLDR name ('la' -> 'Latín'), else the code."""
    if f"lang.{code}" in _EN:
        return text(language, f"lang.{code}")
    name = _cldr(_known(language)).languages.get(code)
    return name[:1].upper() + name[1:] if name else code


def page_title(language: str | None, title: str) -> str:
    """The app's name in ``language`` when ``title`` is its default (English) name; a title the
    person running the app chose is shown as given."""
    return text(language, "app_title") if title == _EN["app_title"] else title


def choose_language(requested: str | None = None, accept_language: str | None = None) -> str:
    """The interface language: ``requested`` (the ``ui`` URL parameter or the selector) when it is one
    the app speaks, else the first of the browser's Accept-Language it speaks (by weight), else English."""
    if requested and requested.strip().lower()[:2] in _STRINGS:
        return requested.strip().lower()[:2]
    ranked: list[tuple[float, int, str]] = []
    for order, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = tag.strip().lower()[:2]
        if code in _STRINGS and weight > 0:
            ranked.append((-weight, order, code))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def format_number(language: str | None, number: int | float) -> str:
    """12345 -> '12,345' (en), '12.345' (es), '12 345' with a narrow no-break space (fr)."""
    if not isinstance(number, (int, float)) or isinstance(number, bool):
        return str(number)
    grouped = f"{number:,}"
    language = _known(language)
    if language == "es":
        return grouped.translate(str.maketrans(",.", ".,"))
    if language == "fr":
        return grouped.replace(",", "\u202f").replace(".", ",")
    return grouped


def format_datetime(language: str | None, iso: str | None) -> str:
    """An ISO time stamp as '4 March 2026, 09:15 UTC' / '4 de marzo de 2026, 09:15 UTC' / '4 mars 2026, 09:15 UTC';
    anything that is not an ISO time stamp is returned as it is."""
    try:
        when = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso or "")
    language = _known(language)
    month = _MONTHS[language][when.month - 1]
    day = f"{when.day} de {month} de {when.year}" if language == "es" else f"{when.day} {month} {when.year}"
    zone = "UTC" if when.utcoffset() is not None and not when.utcoffset() else (when.strftime("%z") or "")
    return f"{day}, {when:%H:%M} {zone}".rstrip()
