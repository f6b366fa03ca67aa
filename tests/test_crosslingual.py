"""Cross-lingual search: a question finds passages written in the index's other languages, through
Apertium's translation of the question, and a passage can be read machine-translated."""

from __future__ import annotations

import json
import shutil

import pytest

from indexer.build import build_index
from indexer.settings import Settings
from search import Searcher
from search.__main__ import main as search_main

pytestmark = pytest.mark.skipif(not shutil.which("apertium"),
                                reason="needs Apertium (apt-get install apertium apertium-eng-spa)")

ENGLISH = """# Court statistics

The national courts publish monthly statistics on case backlogs, hearing times and appeals.

# Legal aid

Free legal aid offices in every district help people on low incomes with housing and debt cases.
"""

SPANISH = """# Mediación comunitaria

Los centros de mediación comunitaria resuelven conflictos vecinales sin acudir a los tribunales.
Cada centro atiende gratuitamente a las familias del barrio y registra cuántos acuerdos se cumplen.
"""


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("bilingual")
    corpus = root / "corpus"
    (corpus / "guides").mkdir(parents=True)
    (corpus / "guides" / "courts.md").write_text(ENGLISH, encoding="utf-8")
    (corpus / "guides" / "mediacion.md").write_text(SPANISH, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    build_index(settings, progress=False, encoder=encoder)
    return settings


def _first_source(searcher: Searcher, question: str) -> tuple[str, str | None]:
    hit = searcher.search(question, k=3)[0]
    return hit.provenance.source, hit.matched_language


def test_an_english_question_finds_the_spanish_passage(bilingual, encoder):
    searcher = Searcher(bilingual.index_dir, bilingual, encoder=encoder)
    try:
        query = searcher.analyse("community mediation centres for neighbourhood disputes")
        assert query.asked_in == "en" and [v.language for v in query.versions] == ["es"]
        assert "mediacion" in " ".join(query.versions[0].terms)  # the Spanish version's own stems
        assert _first_source(searcher, "community mediation centres for neighbourhood disputes") == (
            "guides/mediacion.md", "es")
        # a question whose answer is in its own language is matched in that language
        assert _first_source(searcher, "free legal aid offices for housing and debt") == ("guides/courts.md", "en")
    finally:
        searcher.close()


def test_without_translation_the_question_is_searched_as_asked(bilingual, encoder):
    from dataclasses import replace

    settings = replace(bilingual, translate_questions="off")
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        query = searcher.analyse("community mediation centres for neighbourhood disputes")
        assert query.versions == () and query.asked_in == ""
        hits = searcher.search("community mediation centres for neighbourhood disputes", k=3)
        assert all(h.matched_language is None for h in hits)
    finally:
        searcher.close()


def test_a_spanish_question_finds_the_english_passage(bilingual, encoder):
    searcher = Searcher(bilingual.index_dir, bilingual, encoder=encoder)
    try:
        source, matched = _first_source(searcher, "¿Dónde publican los tribunales las estadísticas mensuales de casos?")
        assert (source, matched) == ("guides/courts.md", "en")
    finally:
        searcher.close()


def test_the_keyword_side_is_one_ranking_each_passage_matched_in_its_own_language(bilingual, encoder):
    """An English question's Spanish version matches the Spanish passage in its own words; merged by
    their shares of a full match, that passage leads the one keyword ranking fusion reads, ahead of
    an English passage the question as asked matches better. A translation's keyword ranking is not
    counted a second time in fusion."""
    from search import candidates, fusion

    searcher = Searcher(bilingual.index_dir, bilingual, encoder=encoder)
    reader = searcher.reader
    try:
        query = searcher.analyse("free help for families to settle quarrels with neighbours out of court")
        asked = candidates.keyword(reader, query, 10, None)
        found = candidates.with_versions(reader, query, candidates.Candidates({}, asked, ()), {}, 10,
                                         searcher._chunks_in_languages(query, None))
        language = {cid: chunk.language for cid, chunk in reader.chunks_by_id(found.keyword).items()}
        first = next(iter(found.keyword))
        assert language[first] == "es" and found.matched[first] == "es"
        assert language[next(iter(asked))] == "en"  # as asked, the English passage came first
        spanish = next(v for v in found.translated if v.language == "es")
        assert found.keyword[first] == spanish.keyword[first] > asked.get(first, 0.0)
        assert all(0 < share < 1 for share in found.keyword.values())
        fused = dict(fusion.fuse(found, bilingual))
        assert fused[first] == pytest.approx(bilingual.keyword_weight / (bilingual.rrf_k + 1))
    finally:
        searcher.close()


def test_cli_shows_a_passage_machine_translated_beside_the_original(bilingual, capsys):
    code = search_main(["mediación comunitaria en el barrio", "--index", str(bilingual.index_dir), "-k", "1",
                        "--json", "--translate-to", "en"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert "mediación" in result["text"]  # the quoted text stays the original
    translation = result["translation"]
    assert translation["source"] == "es" and translation["target"] == "en" and translation["engine"] == "Apertium"
    assert "mediation" in translation["text"].lower() and translation["label"].startswith("Machine translation")


def test_cli_text_shows_a_translation_only_for_passages_in_another_language(bilingual, capsys):
    """A passage already in the language asked for is not printed a second time as its "translation"."""
    code = search_main(["court statistics and legal aid offices", "--index", str(bilingual.index_dir), "-k", "2",
                        "--translate-to", "en"])
    out = capsys.readouterr().out
    assert code == 0 and "guides/courts.md" in out
    assert "Machine translation" not in out.split("guides/mediacion.md")[0]  # the English passages' part
    code = search_main(["mediación comunitaria en el barrio", "--index", str(bilingual.index_dir), "-k", "1",
                        "--translate-to", "en"])
    assert code == 0 and "Machine translation (es → en" in capsys.readouterr().out


def test_the_answer_box_quotes_an_english_passage_for_a_spanish_question(bilingual, encoder):
    """The answer's sentences are chosen with the question's translation into each passage's language,
    as the cards' highlights are; with the question as asked, a Spanish question shared too few words
    with English passages and the box said nothing answered."""
    from webui.render import render_summary

    searcher = Searcher(bilingual.index_dir, bilingual, encoder=encoder)
    try:
        question = "¿Qué oficinas de asistencia jurídica gratuita ayudan a las personas con bajos ingresos?"
        hits = searcher.search(question, k=2)
        english = next(h for h in hits if h.provenance.source == "guides/courts.md")
        assert english.asked_as != question and "help" in english.asked_as.lower()  # its English version
        summary = render_summary(question, hits, "es")
        assert "Free legal aid offices in every district help people on low incomes" in summary
    finally:
        searcher.close()


def test_cli_no_translate_flag(bilingual, capsys):
    code = search_main(["community mediation centres", "--index", str(bilingual.index_dir), "-k", "2", "--json",
                        "--no-translate"])
    assert code == 0
    assert all(r["matched_language"] is None for r in json.loads(capsys.readouterr().out)["results"])


def test_translations_are_encoded_only_in_the_languages_translate_dense_names(bilingual, encoder):
    """With a multilingual model the dense side needs no translated vectors: the default encodes
    the question alone; translate_dense = "all" (or a language list) encodes those translations too."""
    from dataclasses import replace

    class Counting:
        def __init__(self, inner):
            self.inner, self.texts = inner, []
            self.tokenizer = inner.tokenizer  # the ranker's word match tokenises questions with it

        def encode(self, texts):
            self.texts += list(texts)
            return self.inner.encode(texts)

    question = "community mediation centres for neighbourhood disputes"
    for dense, expected in (("off", 1), ("all", 2), ("es", 2), ("fr", 1)):
        counting = Counting(encoder)
        settings = replace(bilingual, translate_dense=dense)
        searcher = Searcher(settings.index_dir, settings, encoder=counting)
        try:
            hit = searcher.search(question, k=1)[0]
        finally:
            searcher.close()
        assert len(counting.texts) == expected and counting.texts[0] == question
        assert hit.provenance.source == "guides/mediacion.md"
