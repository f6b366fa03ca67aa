"""The keyword index's postings, kept in the index's SQLite database and scored with NumPy.

Why not only FTS5: an OR query makes FTS5 call ``bm25()`` once per matching row, through
its auxiliary-function API. That is 4 ms a question on corpus-real (3,299 passages), about
100 ms at 100k and 390 ms at 1M (benchmarks/bench_scale.py). Here each question term is one
row read (its postings as packed arrays) and the BM25 sum is a few vector operations over
them, so a question costs in proportion to how many passages hold its terms.

FTS5 stays only as the store of each passage's terms (read back when a file is removed); the
search ranks by these postings alone. The BM25 here is FTS5's: k1 = 1.2, b = 0.75, idf
``log((N - n + 0.5) / (n + 0.5))`` floored at 1e-6, lengths in terms.

Layout::

    keyword_postings(term, first_id, chunk_ids, counts)   one row a segment of a term's postings
    keyword_totals(passages, terms)                       N and the total length, for idf and avgdl
    rendering_postings, rendering_totals                  the same for the passages' machine renderings

``chunk_ids`` are little-endian uint32 chunk ids in increasing order; ``counts`` packs, for
each, the term's frequency in the passage (high 16 bits) and the passage's length in terms
(low 16 bits), both capped at 65,535. A build appends one segment per term it touched (new
chunk ids are always larger than old ones, so a term's segments are ordered by ``first_id``),
rewrites the segments that held removed passages, and merges a term's segments into one
when it has more than ``MAX_SEGMENTS``: a large build never rewrites the long postings of
common words for every file, and a question never reads more than a few rows a term.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from .analysis import split_words

__all__ = ["K1", "B", "MAX_SEGMENTS", "TABLES", "PostingsWriter", "has_postings", "bm25_scores", "bm25_shares",
           "held_terms"]

K1 = 1.2
B = 0.75
#: A term's segments are merged into one when there are more than this many.
MAX_SEGMENTS = 8
#: Buffered passages are written out when they hold this many words (~27k passages, a few
#: hundred MB for NumPy's sort at the flush).
_FLUSH_POSTINGS = 4_000_000
_MAX_ID = 2**32 - 1
_CAP = 0xFFFF

#: The postings an index keeps, each in its own pair of tables: ``keyword``, of each passage's own terms, and
#: ``rendering``, of the terms of its machine rendering in the model's language (indexer/bridge.py), so a
#: question in that language can match a passage written in another by the words of its rendering.
TABLES = ("keyword", "rendering")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {table}_postings (
    term TEXT NOT NULL, first_id INTEGER NOT NULL, chunk_ids BLOB NOT NULL, counts BLOB NOT NULL,
    PRIMARY KEY (term, first_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS {table}_totals (passages INTEGER NOT NULL, terms INTEGER NOT NULL);
"""


def _checked(table: str) -> str:
    # Table names are composed into SQL text, so only the fixed ones are accepted.
    if table not in TABLES:
        raise ValueError(f"no postings table {table!r}: one of {TABLES}")
    return table


def has_postings(db: sqlite3.Connection, table: str = "keyword") -> bool:
    """True when the database holds ``table``'s postings (indexes built before them do not)."""
    names = (f"{_checked(table)}_postings", f"{table}_totals")
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN (?, ?)", names).fetchone()[0] == 2


def _chunk_terms(db: sqlite3.Connection, ids: Sequence[int]) -> Iterator[tuple[int, Sequence[str]]]:
    """(chunk id, keyword terms) of stored passages, from ``chunk_terms``."""
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for rowid, text in db.execute(
                f"SELECT rowid, terms FROM chunk_terms WHERE rowid IN ({','.join('?' * len(part))})", part):
            yield rowid, split_words(text)


class PostingsWriter:
    """Keeps one table's postings in step with the passages an IndexWriter adds and removes.

    ``add`` buffers a passage's terms; ``remove`` must be called while the passages' terms can
    still be read (``stored_terms``: by default from ``chunk_terms``); ``flush`` writes everything
    out and runs at the latest before the database is committed. ``existing``: (chunk id, terms)
    of every passage an index built before these postings holds, indexed once when they are created.
    """

    def __init__(self, db: sqlite3.Connection, table: str = "keyword",
                 stored_terms: Callable[[Sequence[int]], Iterable[tuple[int, Sequence[str]]]] | None = None,
                 existing: Callable[[], Iterable[tuple[int, Sequence[str]]]] | None = None) -> None:
        self.db = db
        self.table = _checked(table)
        self._stored_terms = stored_terms or (lambda ids: _chunk_terms(db, ids))
        existed = has_postings(db, table)
        db.executescript(_SCHEMA.format(table=table))
        if not existed:
            db.execute(f"INSERT INTO {table}_totals (passages, terms) VALUES (0, 0)")
        self._pending: list[tuple[int, Sequence[str]]] = []  # (chunk id, terms) added since the last flush
        self._buffered = 0
        self._removed_ids: list[int] = []
        self._removed_terms: set[str] = set()
        self._passages = 0  # changes to the totals not yet written
        self._terms = 0
        if not existed:
            # An index built before the postings existed: index every passage it holds, once.
            if existing is None:
                rows = db.execute("SELECT rowid, terms FROM chunk_terms ORDER BY rowid").fetchall()
                existing = lambda: ((rowid, split_words(text)) for rowid, text in rows)  # noqa: E731
            for chunk_id, terms in existing():
                self.add(chunk_id, terms)

    def add(self, chunk_id: int, terms: Sequence[str]) -> None:
        """Buffer one passage's terms (chunk ids only grow: each is larger than every stored one)."""
        if chunk_id > _MAX_ID:
            raise ValueError(f"chunk id {chunk_id} does not fit the keyword index: rebuild the index")
        self._pending.append((chunk_id, terms))
        self._buffered += len(terms)
        self._passages += 1
        self._terms += len(terms)
        if self._buffered >= _FLUSH_POSTINGS:
            self.flush()

    def remove(self, chunk_ids: Iterable[int]) -> None:
        ids = [int(i) for i in chunk_ids]
        if self._pending:
            self.flush()  # passages added in this build may be among them: removals apply to stored segments
        for _, terms in self._stored_terms(ids):
            self._removed_terms.update(terms)
            self._passages -= 1
            self._terms -= len(terms)
        self._removed_ids.extend(ids)

    def flush(self) -> None:
        """Write removals, buffered segments and the totals; merge terms with too many segments."""
        if self._removed_ids:
            self._apply_removals(np.unique(np.asarray(self._removed_ids, dtype=np.int64)))
        rows = _segments(self._pending)
        self.db.executemany(
            f"INSERT INTO {self.table}_postings (term, first_id, chunk_ids, counts) VALUES (?, ?, ?, ?)", rows)
        # Only the terms just written can have gained a segment (counting every term's segments
        # reads the whole table, which at 1M passages is most of the database, at every flush).
        written = [row[0] for row in rows]
        for start in range(0, len(written), 500):
            part = written[start:start + 500]
            for (term,) in self.db.execute(
                    f"SELECT term FROM {self.table}_postings WHERE term IN ({','.join('?' * len(part))})"
                    " GROUP BY term HAVING COUNT(*) > ?", [*part, MAX_SEGMENTS]).fetchall():
                self._merge(term)
        if self._passages or self._terms:
            self.db.execute(f"UPDATE {self.table}_totals SET passages = passages + ?, terms = terms + ?",
                            (self._passages, self._terms))
        self._pending, self._buffered = [], 0
        self._removed_ids, self._removed_terms = [], set()
        self._passages = self._terms = 0

    def _apply_removals(self, removed: np.ndarray) -> None:
        for term in sorted(self._removed_terms):
            for first_id, blob_ids, blob_counts in self.db.execute(
                    f"SELECT first_id, chunk_ids, counts FROM {self.table}_postings WHERE term = ?", (term,)).fetchall():
                ids = np.frombuffer(blob_ids, dtype="<u4")
                keep = ~np.isin(ids, removed, assume_unique=True)
                if keep.all():
                    continue
                self.db.execute(f"DELETE FROM {self.table}_postings WHERE term = ? AND first_id = ?", (term, first_id))
                if keep.any():
                    counts = np.frombuffer(blob_counts, dtype="<u4")
                    self.db.execute(
                        f"INSERT INTO {self.table}_postings (term, first_id, chunk_ids, counts) VALUES (?, ?, ?, ?)",
                        (term, int(ids[keep][0]), ids[keep].tobytes(), counts[keep].tobytes()))

    def _merge(self, term: str) -> None:
        rows = self.db.execute(f"SELECT chunk_ids, counts FROM {self.table}_postings WHERE term = ? ORDER BY first_id",
                               (term,)).fetchall()
        ids = b"".join(r[0] for r in rows)
        counts = b"".join(r[1] for r in rows)
        self.db.execute(f"DELETE FROM {self.table}_postings WHERE term = ?", (term,))
        self.db.execute(f"INSERT INTO {self.table}_postings (term, first_id, chunk_ids, counts) VALUES (?, ?, ?, ?)",
                        (term, int(np.frombuffer(ids[:4], dtype="<u4")[0]), ids, counts))


def _segments(pending: list[tuple[int, Sequence[str]]]) -> list[tuple[str, int, bytes, bytes]]:
    """(term, first chunk id, chunk ids, packed counts) for every term of these passages, built
    with NumPy: one dictionary lookup a word is the only per-word Python work (a per-posting
    loop took 4 times as long on corpus-real)."""
    if not pending:
        return []
    vocabulary: dict[str, int] = {}
    words = [vocabulary.setdefault(term, len(vocabulary)) for _, terms in pending for term in terms]
    if not words:
        return []
    lengths = np.fromiter((len(terms) for _, terms in pending), dtype=np.int64, count=len(pending))
    chunk_ids = np.fromiter((cid for cid, _ in pending), dtype=np.int64, count=len(pending))
    # One key per word: term number in the high bits, passage position in the low ones; counting
    # equal keys gives each (term, passage) its frequency, sorted by term and then by passage.
    keys = (np.asarray(words, dtype=np.int64) << 32) | np.repeat(np.arange(len(pending), dtype=np.int64), lengths)
    keys, frequency = np.unique(keys, return_counts=True)
    term_numbers = keys >> 32
    position = keys & 0xFFFFFFFF
    ids = chunk_ids[position].astype("<u4")
    counts = ((np.minimum(frequency, _CAP) << 16) | np.minimum(lengths[position], _CAP)).astype("<u4")
    names = list(vocabulary)
    starts = np.flatnonzero(np.r_[True, term_numbers[1:] != term_numbers[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return [(names[term_numbers[a]], int(ids[a]), ids[a:b].tobytes(), counts[a:b].tobytes())
            for a, b in zip(starts.tolist(), ends.tolist())]


def bm25_scores(db: sqlite3.Connection, terms: Sequence[str], depth: int,
                allowed: np.ndarray | None = None, table: str = "keyword") -> dict[int, float]:
    """chunk id -> BM25 score (higher is better) of the ``depth`` best passages holding any of
    ``terms`` (an OR query), among ``allowed`` chunk ids when given; ties go to the lower id.

    Document frequencies and the average length are the whole index's, filtered or not, as
    with FTS5.
    """
    return _bm25(db, terms, depth, allowed, table)[0]


def bm25_shares(db: sqlite3.Connection, terms: Sequence[str], depth: int,
                allowed: np.ndarray | None = None, table: str = "keyword") -> dict[int, float]:
    """As ``bm25_scores``, each score divided by the question's full match: the sum over its terms
    the index holds of idf x (k1 + 1), which no passage reaches (a term's share tends to it as the
    term repeats). Scores of different questions are not comparable; these shares are, roughly: a
    passage matching most of what one question says scores near the top of [0, 1) whichever
    question it is, so rankings of one question in several languages can be merged."""
    scores, full_match = _bm25(db, terms, depth, allowed, table)
    return {cid: score / full_match for cid, score in scores.items()} if full_match else {}


def _bm25(db: sqlite3.Connection, terms: Sequence[str], depth: int,
          allowed: np.ndarray | None, table: str) -> tuple[dict[int, float], float]:
    """(bm25_scores's ranking, the full match of bm25_shares)."""
    if not terms or depth <= 0:
        return {}, 0.0
    table = _checked(table)
    passages, total = db.execute(f"SELECT passages, terms FROM {table}_totals").fetchone()
    if not passages:
        return {}, 0.0
    average_length = total / passages
    segments: dict[str, list[tuple[bytes, bytes]]] = {}
    for term, blob_ids, blob_counts in db.execute(
            f"SELECT term, chunk_ids, counts FROM {table}_postings WHERE term IN ({','.join('?' * len(terms))})"
            " ORDER BY term, first_id", list(terms)):
        segments.setdefault(term, []).append((blob_ids, blob_counts))
    by_term = []
    full_match = 0.0
    for parts in segments.values():
        ids = np.frombuffer(b"".join(p[0] for p in parts), dtype="<u4")
        counts = np.frombuffer(b"".join(p[1] for p in parts), dtype="<u4")
        n = len(ids)
        idf = max(math.log((passages - n + 0.5) / (n + 0.5)), 1e-6)
        full_match += idf * (K1 + 1)
        if allowed is not None:
            keep = np.isin(ids, allowed)
            ids, counts = ids[keep], counts[keep]
        if len(ids):
            by_term.append((idf, ids, counts))
    if not by_term:
        return {}, full_match
    # Summed per passage in an array indexed by chunk id: a term lists a passage once, so plain
    # fancy-index addition is exact, and it is 3x faster than sorting the ids (np.unique) when
    # common words bring a million postings (1M passages).
    totals = np.zeros(max(int(ids[-1]) for _, ids, _ in by_term) + 1)
    for idf, ids, counts in by_term:
        frequency = (counts >> 16).astype(np.float64)
        length = (counts & _CAP).astype(np.float64)
        totals[ids] += idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / average_length))
    ids = np.flatnonzero(totals)
    scores = totals[ids]
    if len(ids) > depth:
        # The depth best, with every passage tied with the last one, then ordered exactly.
        cut = np.partition(scores, len(scores) - depth)[len(scores) - depth]
        keep = scores >= cut
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:depth]
    return dict(zip(ids[order].tolist(), scores[order].tolist())), full_match


def held_terms(db: sqlite3.Connection, terms: Sequence[str], chunk_ids: Sequence[int],
               ) -> tuple[int, dict[str, int], dict[int, set[str]]]:
    """(passages in the index, how many passages hold each of ``terms`` the index holds, chunk id
    -> which of those terms it holds) for ``chunk_ids``: how much of a question each passage covers."""
    row = db.execute("SELECT passages FROM keyword_totals").fetchone()
    if not terms or not row or not row[0]:
        return (row[0] if row else 0), {}, {}
    wanted = np.asarray(sorted(set(chunk_ids)), dtype=np.uint32)
    segments: dict[str, list[bytes]] = {}
    for term, blob_ids in db.execute(
            f"SELECT term, chunk_ids FROM keyword_postings WHERE term IN ({','.join('?' * len(terms))})"
            " ORDER BY term, first_id", list(terms)):
        segments.setdefault(term, []).append(blob_ids)
    frequency: dict[str, int] = {}
    held: dict[int, set[str]] = {}
    for term, parts in segments.items():
        ids = np.frombuffer(b"".join(parts), dtype="<u4")
        frequency[term] = len(ids)
        for chunk_id in wanted[np.isin(wanted, ids, assume_unique=True)].tolist():
            held.setdefault(chunk_id, set()).add(term)
    return row[0], frequency, held
