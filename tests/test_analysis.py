"""Keyword analysis: British and American spellings of a word meet; nothing else is merged."""

from __future__ import annotations

import pytest

from indexer.analysis import keyword_terms, matching_stems, query_terms


@pytest.mark.parametrize("british, american", [
    ("programmes", "programs"), ("programme", "program"), ("organisation", "organization"),
    ("organised", "organized"), ("localising", "localizing"), ("prioritise", "prioritize"),
    ("recognises", "recognizes"), ("analyse", "analyze"), ("labour", "labor"),
    ("behavioural", "behavioral"), ("neighbourhoods", "neighborhoods"), ("centre", "center"),
    ("defence", "defense"), ("licence", "license"), ("judgement", "judgment"), ("dialogue", "dialog"),
])
def test_british_and_american_spellings_share_a_term(british, american):
    assert keyword_terms(british) == keyword_terms(american)


@pytest.mark.parametrize("a, b", [("revise", "revision"), ("supervise", "supervision"),
                                  ("precise", "precision"), ("advise", "advised")])
def test_words_spelt_ise_in_both_still_meet_their_family(a, b):
    # "revise" is American too: respelling it would part it from "revision".
    assert keyword_terms(a) == keyword_terms(b)


@pytest.mark.parametrize("a, b", [("hour", "hor"), ("four", "for"), ("crisis", "criz"), ("centre", "central"),
                                  ("programme", "programmatic"), ("colour", "colonial")])
def test_unrelated_words_stay_apart(a, b):
    assert keyword_terms(a) != keyword_terms(b)


def test_other_languages_are_not_respelt():
    # Respelling is for English words: the French stemmer sees "programme" as written.
    assert keyword_terms("programme organise", "fr") != keyword_terms("program organize", "fr")


def test_a_question_in_british_spelling_finds_the_american_passage():
    wanted = set(query_terms("local FOI programmes and their organisation"))
    assert matching_stems("The Freedom of Information Program is organized by local governments.",
                           wanted, ("en",)) == wanted - {"foi"}


@pytest.mark.parametrize("hyphenated, joined", [("re-offending", "reoffending"), ("co-creation", "cocreation"),
                                                ("e‑justice", "ejustice")])  # the last with U+2011
def test_a_hyphenated_word_is_also_a_term_joined_up(hyphenated, joined):
    terms = keyword_terms(f"Access to {hyphenated} data")
    assert set(keyword_terms(joined)) <= set(terms)
    assert set(keyword_terms(hyphenated.replace("‑", "-").replace("-", " "))) <= set(terms)  # the parts stay
    assert set(query_terms(f"{joined} data")) <= set(terms)  # either spelling of the question finds it
    assert set(query_terms(f"{hyphenated} data")) >= set(query_terms(f"{joined} data"))


def test_number_ranges_are_not_joined():
    assert keyword_terms("from 2012-13 to 2014") == ["from", "2012", "13", "to", "2014"]


def test_a_close_call_on_a_passages_language_goes_to_its_files_language():
    """Lists of names and date lines are close calls between a big language and its regional
    neighbours; the texts of one file are settled together, so they take the file's language."""
    from indexer.analysis import _language_ranking, detect_languages

    names = ("María L. PÉREZ Presidenta CORTE DE JUSTICIA DE LA PROVINCIA DE SALTA  Jorge R. GÓMEZ Procurador "
             "General MINISTERIO PÚBLICO DE LA PROVINCIA DE JUJUY")
    dates = "Fechas: Sesión 1 - Martes 7 de Abril 2024 - 9 a 12 h. Sesión 2 - Miércoles 8 de Abril 2024"
    link = "Institución: OJ Enlace: https://www.oj.gob.gt/ Fecha de consulta: 02/05/2023 Captura de pantalla:"
    prose = ("El plan de acción del poder judicial fue elaborado con la sociedad civil y se publicará cada año "
             "un informe de avance sobre los compromisos.")
    # what the detector alone says of them: a regional neighbour first (the reason for the rule)
    assert {_language_ranking(t)[0][0] for t in (names, dates, link)} <= {"gl", "ext", "an"}
    assert detect_languages([names, dates, link, prose]) == ["es", "es", "es", "es"]
    # a heading in capitals is English beside Nigerian Pidgin; a clear text keeps its own language
    heading = "SECOND OPEN GOVERNMENT NATIONAL ACTION PLAN OF THE UNITED STATES OF AMERICA, THE WHITE HOUSE"
    french = "Le plan d’action national prévoit la publication des décisions de justice en données ouvertes."
    assert detect_languages([heading, french]) == ["en", "fr"]


def test_a_text_too_short_or_odd_to_tell_takes_its_files_language():
    """A date line or a page number, or a cover's line of names and years that the detector gives to
    Extremaduran, is read in its file's language; alone, with no file to go by, it stays 'und'."""
    from indexer.analysis import _language_ranking, detect_languages

    prose = ("El plan de acción del poder judicial fue elaborado con la sociedad civil y se publicará cada año "
             "un informe de avance sobre los compromisos.")
    places = "Brasil 2021 Hackathon del LIODS/CNJ Argentina 2019 Hackathon del JusLab Paraguay 2015 Hackathon"
    assert _language_ranking(places)[0][0] not in ("es", "en", "fr", "pt")
    assert detect_languages([prose, "Junio 2012", places]) == ["es", "es", "es"]
    assert detect_languages(["Too short"]) == ["und"]
