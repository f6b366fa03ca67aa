"""The model's word-piece table (indexer/wordpieces.py): made by the build once per index, kept by
later generations, and read by the ranker's word match (search/rerank.py)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from indexer.build import build_index
from indexer.settings import Settings
from indexer.store import IndexManifest, IndexReader
from indexer.wordpieces import WordPieces, _cached_table
from search import Searcher, candidates
from search.candidates import Candidates


@pytest.fixture(scope="module")
def table(encoder):
    return _cached_table(encoder, progress=False)


def _row(table, encoder, word):
    ids = encoder.tokenizer.encode(word, add_special_tokens=False).ids
    assert len(ids) == 1, f"{word} is one word piece for this model"
    return table[ids[0]].astype(np.float32)


def test_the_table_has_one_unit_row_per_word_piece_and_near_words_are_near(table, encoder):
    assert table.shape == (encoder.tokenizer.get_vocab_size(), encoder.dimension)
    assert table.dtype == np.float16
    norms = np.linalg.norm(table.astype(np.float32), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-2)
    court, judge, banana = (_row(table, encoder, w) for w in ("court", "judge", "banana"))
    assert court @ judge > court @ banana + 0.1


def test_word_match_rewards_the_question_s_words_then_near_ones_then_nothing(table, encoder):
    pieces = WordPieces(table, encoder.tokenizer)
    question = "legal aid for people on low incomes"
    same, near, far, empty = pieces.match(question, pieces.pieces([
        "Free legal aid for people on low incomes, in every region.",
        "Free lawyers are provided to the poor who cannot pay for counsel.",
        "The orchestra played three symphonies in the summer festival.",
        "",
    ]))
    assert same == pytest.approx(1.0, abs=1e-2)  # every piece of the question is in it
    assert same > near > far > 0.0
    assert empty == 0.0
    assert pieces.match("", pieces.pieces(["anything at all"])) == [0.0]


def _corpus(root):
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "courts.md").write_text("# Courts\n\nCourts publish every judgment online within a week.\n",
                                      encoding="utf-8")
    (corpus / "aid.md").write_text("# Legal aid\n\nA legal aid hotline answers calls from people on low "
                                   "incomes.\n", encoding="utf-8")
    return corpus


def test_the_build_stores_the_table_once_and_later_generations_keep_it(tmp_path, encoder, table):
    corpus = _corpus(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = build_index(settings, progress=False, encoder=encoder)
    assert first.word_pieces == len(table)
    assert "word pieces embedded for the ranker" in first.summary()
    (corpus / "aid.md").write_text("# Legal aid\n\nThe hotline now also answers by text message.\n", encoding="utf-8")
    second = build_index(settings, progress=False, encoder=encoder)
    assert second.changed == ["aid.md"] and second.word_pieces == 0
    (corpus / "courts.md").unlink()
    third = build_index(settings, progress=False, encoder=encoder)
    assert third.removed == ["courts.md"] and third.word_pieces == 0
    reader = IndexReader(settings.index_dir)
    try:
        assert reader.manifest.generation == 3
        assert np.array_equal(reader.word_pieces, table)
        # every passage's distinct word pieces are recorded, and only the passages the index holds
        texts = dict(reader.db.execute("SELECT id, text FROM chunks"))
        recorded = reader.chunk_pieces(range(1, 1000))
        assert set(recorded) == set(texts) and texts
        for cid, text in texts.items():
            assert recorded[cid].tolist() == sorted(set(encoder.tokenizer.encode(text, add_special_tokens=False).ids))
        assert reader.db.execute("SELECT COUNT(*) FROM chunk_pieces").fetchone()[0] == len(texts)
    finally:
        reader.close()


def test_an_index_without_the_table_answers_says_so_and_its_next_build_adds_it(tmp_path, encoder, table):
    corpus = _corpus(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False, encoder=encoder)
    # An index from before the table: the same files without the two tables.
    manifest = IndexManifest.read(settings.index_dir)
    with sqlite3.connect(settings.index_dir / manifest.sqlite_file) as db:
        db.execute("DROP TABLE word_pieces")
        db.execute("DROP TABLE chunk_pieces")
    db.close()
    manifest_file = settings.index_dir / "manifest.json"
    size = (settings.index_dir / manifest.sqlite_file).stat().st_size
    manifest_file.write_text(manifest_file.read_text(encoding="utf-8").replace(
        f'"sqlite_bytes": {manifest.sqlite_bytes}', f'"sqlite_bytes": {size}'), encoding="utf-8")

    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        assert searcher.word_pieces is None
        assert "add the model's word pieces" in searcher.update_hint
        hits = searcher.search("legal aid hotline", k=2)
        assert hits and hits[0].provenance.source == "aid.md"
    finally:
        searcher.close()
    upgrade = build_index(settings, progress=False, encoder=encoder)
    assert upgrade.chunks_embedded == 0 and upgrade.word_pieces == len(table)
    assert "already up to date" not in upgrade.summary()
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        assert searcher.update_hint is None
        query = searcher.analyse("legal aid hotline")
        vector = searcher.encode_query("legal aid hotline")
        hits = searcher.search("legal aid hotline", k=2)
        assert hits[0].provenance.source == "aid.md"
        assert [h.provenance.source for h in hits] == ["aid.md", "courts.md"]
        fused = [(h.chunk_id, 0.01) for h in hits]
        found = Candidates(candidates.dense(searcher.reader, vector, 10, None),
                           candidates.keyword(searcher.reader, query, 10, None), ())
        aid, courts = searcher.ranking_signals(query, vector, fused, found, {}, {})
        assert aid.word_match > courts.word_match > 0
    finally:
        searcher.close()
