"""Briefing notes with their headings in the interface language. search.briefing writes the note
in English; the headings and the lead line are put into Spanish or French here, while the quoted
passages and citations stay exactly as the documents have them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from search.briefing import briefing_docx, briefing_markdown

__all__ = ["HEADINGS", "localised_docx", "localised_markdown"]

#: The note's headings in each language: English heading -> translation.
HEADINGS = {
    "es": {"Evidence": "Evidencias", "Sources": "Fuentes"},
    "fr": {"Evidence": "Éléments de preuve", "Sources": "Sources"},
}
_LEAD = {
    "es": "{n} pasaje(s) citado(s) textualmente del índice de políticas de justicia construido el {date}. "
          "Los números remiten a las notas.",
    "fr": "{n} passage(s) cité(s) textuellement de l’index des politiques de justice construit le {date}. "
          "Les numéros renvoient aux notes.",
}
_EMPTY = {"es": "No hay pasajes añadidos.", "fr": "Aucun passage ajouté."}
_LEAD_EN = re.compile(r"^(\d+) passages? quoted verbatim from the justice-policy index built (.+?)[.;] "
                      r"[Tt]he numbers refer to the notes\.$")


def _lead(lang: str, line: str) -> str | None:
    match = _LEAD_EN.match(line)
    return _LEAD[lang].format(n=match.group(1), date=match.group(2)) if match else None


def localised_markdown(pins: Iterable[Any], title: str, built_at: str | None, lang: str) -> str:
    """search.briefing.briefing_markdown with the headings and lead line in ``lang``."""
    note = briefing_markdown(pins, title, built_at)
    if lang not in HEADINGS:
        return note
    lines = []
    for line in note.split("\n"):
        if line.startswith("## ") and line[3:] in HEADINGS[lang]:
            line = "## " + HEADINGS[lang][line[3:]]
        elif line == "_No passages pinned._":
            line = f"_{_EMPTY[lang]}_"
        elif line.startswith("_") and line.endswith("_") and _lead(lang, line[1:-1]):
            line = f"_{_lead(lang, line[1:-1])}_"
        lines.append(line)
    return "\n".join(lines)


def localised_docx(pins: Iterable[Any], title: str, built_at: str | None, path: Path | str, lang: str) -> Path:
    """search.briefing.briefing_docx with the headings and lead line in ``lang``. Only the body's
    paragraphs are rewritten; the footnotes part (the citations and links) is saved back as it was."""
    path = briefing_docx(pins, title, built_at, path)
    if lang not in HEADINGS:
        return path
    import docx

    document = docx.Document(str(path))
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1" and paragraph.text in HEADINGS[lang]:
            paragraph.text = HEADINGS[lang][paragraph.text]
        elif paragraph.style.name != "Quote" and paragraph.text == "No passages pinned.":
            paragraph.text = _EMPTY[lang]
        elif paragraph.style.name != "Quote" and _lead(lang, paragraph.text):
            paragraph.text = _lead(lang, paragraph.text)
    document.save(str(path))
    return path
