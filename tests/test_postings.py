"""The BM25 postings (indexer/postings.py): they must rank exactly as FTS5's bm25() does, stay in
step with the passages through additions, removals and segment merges, and be added to an index
built before they existed."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter

import numpy as np
import pytest
from test_build import CSV, MD, TXT, base, build, copy, db_rows  # noqa: F401 (fixtures)

from indexer.postings import K1, MAX_SEGMENTS, PostingsWriter, bm25_scores, bm25_shares, has_postings, held_terms

WORDS = ("court legal aid justice paralegal data open publish decision judge tribunal access law reform "
         "community council police budget training rural women victim mediation fee appeal").split()


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')")
    return db


def _passage(rng: random.Random) -> list[str]:
    # Skewed word choice and lengths, so idf, tf and length normalisation all matter.
    return [WORDS[min(int(rng.expovariate(0.25)), len(WORDS) - 1)] for _ in range(rng.randint(3, 60))]


def _add(db, writer, chunk_id, terms):
    db.execute("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", (chunk_id, " ".join(terms)))
    writer.add(chunk_id, terms)


def _remove(db, writer, ids):
    writer.remove(ids)
    db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in ids])


def _random_postings(seed: int, passages: int):
    """A database of ``passages`` random passages (ids 1..passages) and their flushed postings."""
    rng = random.Random(seed)
    db = _db()
    writer = PostingsWriter(db)
    for chunk_id in range(1, passages + 1):
        _add(db, writer, chunk_id, _passage(rng))
    writer.flush()
    return db, rng


def _fts5_ranking(db, terms, depth, allowed=None):
    sql = "SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
    if allowed is not None:
        sql += f" AND +rowid IN ({','.join(map(str, allowed.tolist()))})"
    rows = db.execute(sql + " ORDER BY bm25(chunk_terms), rowid LIMIT ?",
                      (" OR ".join(f'"{t}"' for t in terms), depth)).fetchall()
    return [(rowid, -score) for rowid, score in rows]


def stored_postings(db) -> dict[str, list[tuple[int, int, int]]]:
    """term -> [(chunk id, frequency, length)] over all its segments, in id order."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for term, ids, counts in db.execute("SELECT term, chunk_ids, counts FROM keyword_postings ORDER BY term, first_id"):
        packed = np.frombuffer(counts, dtype="<u4")
        out.setdefault(term, []).extend(zip(np.frombuffer(ids, dtype="<u4").tolist(),
                                            (packed >> 16).tolist(), (packed & 0xFFFF).tolist()))
    return out


def expected_postings(db) -> dict[str, list[tuple[int, int, int]]]:
    """The same, derived from the passages' terms as FTS5 holds them."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for rowid, text in db.execute("SELECT rowid, terms FROM chunk_terms ORDER BY rowid"):
        terms = text.split()
        for term, count in Counter(terms).items():
            out.setdefault(term, []).append((rowid, count, len(terms)))
    return out


def assert_in_step(db) -> None:
    assert stored_postings(db) == expected_postings(db)
    passages, total = db.execute("SELECT passages, terms FROM keyword_totals").fetchone()
    assert passages == db.execute("SELECT COUNT(*) FROM chunk_terms").fetchone()[0]
    assert total == sum(len(t.split()) for (t,) in db.execute("SELECT terms FROM chunk_terms"))


def test_bm25_from_postings_ranks_exactly_as_fts5():
    db, rng = _random_postings(7, 400)
    allowed = np.arange(1, 401, 3, dtype=np.int64)
    for _ in range(40):
        terms = rng.sample(WORDS, rng.randint(1, 5))
        for depth, subset in ((10, None), (100, None), (25, allowed)):
            ours = bm25_scores(db, terms, depth, subset)
            theirs = _fts5_ranking(db, terms, depth, subset)
            assert list(ours) == [rowid for rowid, _ in theirs], terms
            assert np.allclose(list(ours.values()), [score for _, score in theirs], rtol=1e-9)


def test_terms_no_passage_holds_and_an_empty_index_give_nothing():
    db = _db()
    writer = PostingsWriter(db)
    assert bm25_scores(db, ["court"], 10) == {}
    _add(db, writer, 1, ["court", "data"])
    writer.flush()
    assert bm25_scores(db, ["tribunal"], 10) == {}
    assert bm25_scores(db, [], 10) == {}
    assert list(bm25_scores(db, ["court", "tribunal"], 10)) == [1]


def test_shares_rank_as_scores_do_and_divide_by_the_full_match_of_the_terms_the_index_holds():
    db, _ = _random_postings(11, 200)
    for terms in (["court", "legal"], ["mediation", "fee", "appeal"], ["court", "no-such-term"]):
        scores, shares = bm25_scores(db, terms, 50), bm25_shares(db, terms, 50)
        assert list(shares) == list(scores) and shares
        # a term no passage holds adds nothing to the full match: a question is not marked down
        # for a word the index has never seen
        full = _full_match(db, terms)
        assert np.allclose([shares[c] for c in scores], [scores[c] / full for c in scores], rtol=1e-9)
        assert all(0 < share < 1 for share in shares.values())
    assert bm25_shares(db, ["no-such-term"], 10) == {} and bm25_shares(db, [], 10) == {}


def test_held_terms_says_which_question_words_each_passage_holds():
    db = _db()
    writer = PostingsWriter(db)
    for chunk_id, terms in ((1, ["court", "data", "court"]), (2, ["legal", "aid"]), (3, ["court", "aid"])):
        _add(db, writer, chunk_id, terms)
    writer.flush()
    passages, frequency, held = held_terms(db, ["court", "aid", "tribunal"], [1, 2, 3, 9])
    assert passages == 3
    assert frequency == {"court": 2, "aid": 2}  # "tribunal": in no passage
    assert held == {1: {"court"}, 2: {"aid"}, 3: {"court", "aid"}}
    assert held_terms(db, [], [1]) == (3, {}, {})


def test_additions_removals_and_merges_keep_the_postings_in_step():
    rng = random.Random(11)
    db = _db()
    writer = PostingsWriter(db)
    next_id = 1
    for build_number in range(2 * MAX_SEGMENTS + 3):  # each round is one incremental build
        live = [r[0] for r in db.execute("SELECT rowid FROM chunk_terms")]
        if live and build_number % 3:
            _remove(db, writer, rng.sample(live, min(len(live), rng.randint(1, 15))))
        for _ in range(rng.randint(5, 30)):
            _add(db, writer, next_id, _passage(rng))
            next_id += 1
        writer.flush()
        assert_in_step(db)
    segments = dict(db.execute("SELECT term, COUNT(*) FROM keyword_postings GROUP BY term").fetchall())
    assert max(segments.values()) <= MAX_SEGMENTS
    terms = ["court", "women", "appeal"]
    assert list(bm25_scores(db, terms, 50)) == [r for r, _ in _fts5_ranking(db, terms, 50)]


def test_a_passage_added_and_removed_in_one_build_leaves_nothing_behind():
    db = _db()
    writer = PostingsWriter(db)
    _add(db, writer, 1, ["court", "data"])
    _add(db, writer, 2, ["court", "judge"])
    _remove(db, writer, [2])  # buffered, not yet written
    writer.flush()
    assert_in_step(db)
    assert bm25_scores(db, ["judge"], 10) == {}


def test_searcher_keyword_ranking_equals_fts5_on_a_built_index(starter_searcher):
    from search import candidates
    from search.filters import Filters

    reader = starter_searcher.reader
    questions = ["free legal aid for people who cannot afford a lawyer", "publishing court decisions online",
                 "community paralegals training", "MK0164", "justicia abierta"]
    for filters in (Filters(), Filters(kind=("commitment",)), Filters(language=("en",))):
        allowed = reader.allowed_chunks(filters) if filters.active else None
        for question in questions:
            query = starter_searcher.analyse(question, filters)
            ours = candidates.keyword(reader, query, 50, allowed)
            # FTS5's own bm25(), the formula the postings reproduce, as the reference
            sql = "SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
            if allowed is not None:
                sql += f" AND +rowid IN ({','.join(map(str, allowed.tolist()))})"
            with reader.lock:
                rows = reader.db.execute(sql + " ORDER BY bm25(chunk_terms) LIMIT 50",
                                         [" OR ".join(f'"{t}"' for t in query.terms)]).fetchall()
            theirs = {r[0]: -float(r[1]) for r in rows}
            assert ours and set(ours) == set(theirs), question
            order = sorted(theirs, key=lambda c: (-round(theirs[c], 9), c))
            assert list(ours) == order, question
            # the search ranks by shares of the question's full match (bm25_shares): FTS5's
            # scores, each divided by the sum of idf x (k1 + 1) over the terms the index holds
            with reader.lock:
                full = _full_match(reader.db, query.terms)
            assert all(ours[c] * full == pytest.approx(theirs[c], rel=1e-6) for c in ours), question


def test_incremental_builds_keep_the_postings_in_step(copy, encoder):
    (copy.corpus_dir / MD).write_text((copy.corpus_dir / MD).read_text() + "\nMediation is free.\n")
    (copy.corpus_dir / TXT).unlink()
    (copy.corpus_dir / "notes/new.txt").write_text("Paralegals publish a yearly report on rural courts.\n")
    report = build(copy, encoder)
    assert report.changed == [MD] and report.removed == [TXT]
    manifest = json.loads((copy.index_dir / "manifest.json").read_text())
    with sqlite3.connect(copy.index_dir / manifest["sqlite_file"]) as db:
        assert_in_step(db)


def test_an_index_without_postings_is_refused_with_how_to_add_them_and_gets_them_on_its_next_build(copy, encoder):
    from indexer.errors import IndexMismatchError
    from search import Searcher

    manifest = json.loads((copy.index_dir / "manifest.json").read_text())
    with sqlite3.connect(copy.index_dir / manifest["sqlite_file"]) as db:
        db.execute("DROP TABLE keyword_postings")  # as built before the postings existed (same file size:
        db.execute("DROP TABLE keyword_totals")    # the pages go to SQLite's free list)
    with pytest.raises(IndexMismatchError, match=r"keyword postings.*python -m indexer build --index"):
        Searcher(copy.index_dir, encoder=encoder)
    (copy.corpus_dir / CSV).write_text((copy.corpus_dir / CSV).read_text().replace("every county", "each county"))
    build(copy, encoder)
    manifest = json.loads((copy.index_dir / "manifest.json").read_text())
    with sqlite3.connect(copy.index_dir / manifest["sqlite_file"]) as db:
        assert has_postings(db)
        assert_in_step(db)
    assert db_rows(copy, "SELECT COUNT(*) FROM keyword_totals") == [(1,)]


@pytest.mark.parametrize("text, terms", [
    ("acceso_informacion", ["acceso", "informacion"]),
    ("MK0164 data_2020", ["mk0164", "data", "2020"]),
])
def test_underscores_split_words_as_fts5_does(text, terms):
    from indexer.analysis import keyword_terms

    assert keyword_terms(text, "und") == terms


def _full_match(db, terms) -> float:
    """The full match of ``terms`` from FTS5's own counts: how many passages the index holds, and how
    many hold each term."""
    passages = db.execute("SELECT COUNT(*) FROM chunk_terms").fetchone()[0]
    held = [db.execute("SELECT COUNT(*) FROM chunk_terms WHERE chunk_terms MATCH ?", (f'"{t}"',)).fetchone()[0]
            for t in terms]
    return sum(max(np.log((passages - n + 0.5) / (n + 0.5)), 1e-6) * (K1 + 1) for n in held if n)
