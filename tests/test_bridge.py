"""Passages in other languages rendered into the model's language at build time (indexer/bridge.py)
and met by the question's vector in that language (search/candidates.py's with_bridges)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import replace

import pytest

from indexer.build import build_index
from indexer.errors import SettingsError
from indexer.settings import Settings, load_settings
from indexer.store import IndexReader
from search import Searcher
from search import candidates
from search.filters import Filters

needs_apertium = pytest.mark.skipif(not shutil.which("apertium"),
                                    reason="needs Apertium (apt-get install apertium apertium-eng-spa)")

ENGLISH = """# Court statistics

The national courts publish monthly statistics on case backlogs, hearing times and appeals.
"""

SPANISH = """# Mediación comunitaria

Los centros de mediación comunitaria resuelven conflictos vecinales sin acudir a los tribunales.
Cada centro atiende gratuitamente a las familias del barrio y registra cuántos acuerdos se cumplen.
"""

QUESTION = "community mediation centres settle disputes between neighbours without going to court"


def _corpus(root):
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "courts.md").write_text(ENGLISH, encoding="utf-8")
    (corpus / "mediacion.md").write_text(SPANISH, encoding="utf-8")
    return Settings(corpus_dir=corpus, index_dir=root / "index")


@pytest.fixture(scope="module")
def bridged(tmp_path_factory, encoder):
    settings = _corpus(tmp_path_factory.mktemp("bridged"))
    report = build_index(settings, progress=False, encoder=encoder)
    return settings, report


@needs_apertium
def test_the_build_renders_only_passages_in_other_languages(bridged):
    settings, report = bridged
    reader = IndexReader(settings.index_dir)
    try:
        spanish = reader.allowed_chunks(Filters(language=("es",)))
        ids, vectors = reader.bridges("en")
        languages = {c.language for c in reader.chunks_by_id(ids.tolist()).values()}
        assert languages == {"es"}
        assert report.bridged == len(ids) > 0
        assert vectors.shape == (len(ids), reader.manifest.dimension)
        assert set(spanish.tolist()) == set(ids.tolist())
    finally:
        reader.close()
    assert "passages rendered by machine translation for the dense side: " in report.summary()


@needs_apertium
def test_a_rebuild_renders_nothing_again(bridged, encoder):
    settings, _ = bridged
    again = build_index(settings, progress=False, encoder=encoder)
    assert again.up_to_date and again.bridged == 0
    assert "already up to date" in again.summary()


@contextmanager
def _asked_in_english(settings, encoder):
    """(searcher, query, vector, the dense candidates, the same with the renderings) for QUESTION,
    with translation of the question off: only the renderings bring the two languages together."""
    searcher = Searcher(settings.index_dir, replace(settings, translate_questions="off"), encoder=encoder)
    try:
        query = searcher.analyse(QUESTION)
        vector = searcher.encode_query(QUESTION)
        plain = candidates.Candidates(candidates.dense(searcher.reader, vector, 10, None), {}, ())
        found = candidates.with_bridges(plain, searcher.bridges, query, vector, 10, None, lambda ids: set())
        yield searcher, query, vector, plain, found
    finally:
        searcher.close()


@needs_apertium
def test_the_question_meets_the_spanish_passage_through_its_rendering(bridged, encoder):
    settings, _ = bridged
    with _asked_in_english(settings, encoder) as (searcher, query, vector, plain, found):
        assert len(searcher.bridges) > 0
        spanish = next(iter(found.bridged))
        assert searcher.reader.chunks_by_id([spanish])[spanish].provenance.source == "mediacion.md"
        # The rendering is closer to the English question than the Spanish text's own vector is,
        # and it replaces that vector's score in the one dense ranking.
        assert found.bridged[spanish] > plain.dense[spanish] + 0.1
        assert found.dense[spanish] == found.bridged[spanish]
        assert next(iter(found.dense)) == spanish
        hits = searcher.search(QUESTION, k=2)
        assert hits[0].provenance.source == "mediacion.md"


@needs_apertium
def test_a_passage_measured_by_its_rendering_is_matched_word_for_word_there(bridged, encoder):
    settings, _ = bridged
    with _asked_in_english(settings, encoder) as (searcher, query, vector, _, found):
        spanish = next(iter(found.bridged))
        english = next(c for c in found.dense if c not in found.bridged)
        rendering = searcher.reader.renderings("en", [spanish, english])
        assert list(rendering) == [spanish] and "mediation" in rendering[spanish].lower()
        pieces = searcher.word_pieces
        by_rendering = pieces.match(QUESTION, pieces.pieces([rendering[spanish]]))[0]
        as_written = pieces.match(QUESTION, [searcher.reader.chunk_pieces([spanish])[spanish]])[0]
        assert by_rendering > as_written  # the English question's words are in the English rendering
        rendered, other = searcher.ranking_signals(query, vector, [(spanish, 0.02), (english, 0.01)], found, {}, {})
        assert rendered.bridge == 1.0 and rendered.word_match == pytest.approx(by_rendering)
        assert other.bridge == 0.0 and other.word_match == pytest.approx(
            pieces.match(QUESTION, [searcher.reader.chunk_pieces([english])[english]])[0])


@needs_apertium
def test_the_question_meets_the_spanish_passage_by_the_words_of_its_rendering(bridged, encoder):
    """Untranslated, the English question shares few words with the Spanish passage, and the English
    one comes first by keywords; the rendering's words are indexed at build time, so the keyword
    ranking matches the passage by them, much better."""
    settings, _ = bridged
    with _asked_in_english(settings, encoder) as (searcher, query, _, plain, _):
        spanish = next(iter(searcher.bridges.ids.tolist()))
        assert "mediat" in query.rendering_terms  # the question's English stems
        asked = candidates.keyword(searcher.reader, query, 10, None)
        assert next(iter(asked)) != spanish
        found = candidates.with_renderings(searcher.reader, query, replace(plain, keyword=asked), 10, None)
        assert next(iter(found.keyword)) == spanish and asked.get(spanish, 0) < found.keyword[spanish] < 1
        # every passage the question as asked matched keeps at least its share
        assert all(found.keyword[cid] >= share for cid, share in asked.items())
        # and through the whole search the Spanish passage comes first
        assert searcher.search(QUESTION, k=2)[0].provenance.source == "mediacion.md"


@needs_apertium
def test_a_removed_file_takes_its_renderings_with_it(tmp_path, encoder):
    from indexer.analysis import query_terms

    settings = _corpus(tmp_path)
    build_index(settings, progress=False, encoder=encoder)
    terms = query_terms(QUESTION, ("en",))
    reader = IndexReader(settings.index_dir)
    try:
        assert reader.rendering_shares(terms, 10)
    finally:
        reader.close()
    (settings.corpus_dir / "mediacion.md").unlink()
    report = build_index(settings, progress=False, encoder=encoder)
    assert report.removed == ["mediacion.md"]
    reader = IndexReader(settings.index_dir)
    try:
        assert len(reader.bridges("en")[0]) == 0
        assert reader.rendering_shares(terms, 10) == {}  # its rendering's words went with it
        assert reader.verify() == []
    finally:
        reader.close()


@needs_apertium
def test_an_index_built_before_the_renderings_words_were_indexed_gets_them_without_rereading(tmp_path, encoder):
    import sqlite3

    settings = _corpus(tmp_path)
    build_index(settings, progress=False, encoder=encoder)
    reader = IndexReader(settings.index_dir)
    database, rendered = reader.index_dir / reader.manifest.sqlite_file, len(reader.bridges("en")[0])
    reader.close()
    with sqlite3.connect(database) as db:  # as an index of the previous version is
        db.executescript("DROP TABLE rendering_postings; DROP TABLE rendering_totals;")
    older = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        assert older.reader.rendering_shares(["mediat"], 10) == {}
        assert "index the words of its passages' renderings" in older.update_hint
    finally:
        older.close()
    report = build_index(settings, progress=False, encoder=encoder)
    assert report.chunks_embedded == 0 and report.bridged == 0  # nothing read, embedded or rendered again
    reader = IndexReader(settings.index_dir)
    try:
        assert reader.has_rendering_postings and reader.rendering_shares(["mediat"], 10)
        assert rendered and reader.verify() == []
    finally:
        reader.close()


def test_without_apertium_the_build_says_how_to_get_renderings(tmp_path, encoder, monkeypatch):
    import indexer.translation as engine

    monkeypatch.setattr(engine, "MODES_DIR", tmp_path / "no-modes")  # as on a machine without Apertium
    settings = _corpus(tmp_path)
    report = build_index(settings, progress=False, encoder=encoder)
    assert report.bridged == 0
    assert "apt-get install apertium" in report.bridge_note
    assert "install Apertium" in report.summary()
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        assert len(searcher.bridges) == 0
        assert searcher.search("monthly statistics on case backlogs", k=1)[0].provenance.source == "courts.md"
    finally:
        searcher.close()


def test_bridge_language_off_renders_nothing(tmp_path, encoder):
    settings = replace(_corpus(tmp_path), bridge_language="off")
    report = build_index(settings, progress=False, encoder=encoder)
    assert report.bridged == 0 and report.bridge_note is None
    reader = IndexReader(settings.index_dir)
    try:
        assert len(reader.bridges("en")[0]) == 0
    finally:
        reader.close()


def test_bridge_language_is_checked(tmp_path):
    config = tmp_path / "justice-search.toml"
    config.write_text('bridge_language = "klingon"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="bridge_language"):
        load_settings(config)
