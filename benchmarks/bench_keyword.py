"""Keyword index choice (issue 3): SQLite FTS5 (what we ship) against bm25s, on synthetic passages.

For each corpus size N this builds, in one run:

* an FTS5 index with the project's own schema (``indexer.store._SCHEMA``; ``chunk_terms`` rows
  written as ``IndexWriter.add_file`` writes them: rowid = chunk id, space-joined stems), plus
  light ``documents``/``chunks`` rows so the country filter of ``_keyword`` can be timed;
* a bm25s index (k1 = 1.2, b = 0.75, Robertson idf: FTS5's bm25 parameters) over the same stems.

and times, per question, the project's own ``Searcher._keyword`` (called unbound on the
benchmark's connection: the OR of quoted stems, ``ORDER BY bm25(chunk_terms) LIMIT 100``, and the
NEAR-pair proximity query), AND queries, bm25s top 100, and query-side variants meant to keep
FTS5's OR fast at scale, with the overlap of their top 10 / top 100 with the shipped OR query:

* drop stems found in at least half the passages (FTS5's bm25 clamps their idf to 1e-6), or in
  more than a fraction of them (document frequencies from an fts5vocab table);
* compute bm25() only for passages that match one of the rarer stems, but score them with the
  full OR (``AND +rowid IN (SELECT rowid ... MATCH rare)``), and a variant that falls back to the
  full OR whenever that could change the top 100 (exact by construction).

The country filter is timed three ways: ``_keyword`` as shipped (``rowid IN (subquery)``, which
SQLite hands to FTS5 as one MATCH per allowed rowid: seconds a question at 100k passages, so it is
run once over as many questions as ``--filter-budget`` allows), the same SQL with ``+rowid IN``
(the unary plus keeps the constraint out of FTS5: one MATCH, filtered afterwards), and bm25s with
a ``weight_mask`` built from the ids SQLite returns. It also measures index build time (one run
each), bytes on disk, bm25s memory, and what adding one passage costs each engine.

Synthetic text: a vocabulary of pronounceable pseudo-words ranked by a Zipf law (s = 1.0) with
English stopwords among the top ranks, passages of 150-220 words. Words are stemmed with the
project's Snowball stemmer (``indexer.analysis``), so the stored terms are what the indexer would
store for that text. With these settings the document-frequency curve matches the real index
(real-index: 130 stems in more than 10% of passages, 327 in more than 5%). Questions have 4-10
content words (plus a stopword or two) taken from one passage, in passage order, with document
frequencies spread like the dev questions' (their stems: median df 4.5% of passages, 29% of stems
in more than 10%, 13% in more than 20%); each goes through ``indexer.analysis.query_terms``.

Latency: every query of every method once per repeat, methods interleaved within a repeat so that
load from other processes hits them alike; the table gives the median over repeats of each
repeat's p50 / p95, and flags a method whose p50 moved more than 20% between repeats.

    python benchmarks/bench_keyword.py --sizes 10000,100000
    python benchmarks/bench_keyword.py --sizes 2000 --queries 20 --repeats 2      # a quick look
    python benchmarks/bench_keyword.py --drop 0.05,0.1,0.2 --out benchmarks/out/keyword.md

bm25s is optional (``pip install bm25s``): without it the bm25s rows are left out with a note.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.analysis import _STOPWORDS, _stem, query_terms  # noqa: E402
from indexer.store import _SCHEMA, _connect  # noqa: E402
from search.filters import Filters  # noqa: E402
from search.retrieve import Searcher  # noqa: E402

DEPTH = 100  # Settings.candidates: what _keyword is asked for
NOISY = 0.20  # p50 spread between repeats, as a fraction of the median, that gets a flag
# English stopwords in rough frequency order; all are in indexer.analysis._STOPWORDS, so the
# index stores them and query_terms drops them, as with real text.
_HEAD = [w for w in """the of and to in a for on is with by that will be this it as are from an
    which at or have has not their its was were been can such also all other more these they there
    into about only would could our we what when where who how than any no so do but if over per""".split()
         if w in _STOPWORDS]
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["an", "en", "ol", "ur", "is", "ar"]
_COUNTRIES = 40  # synthetic members for the filter query


# -- synthetic corpus ------------------------------------------------------------------------------


class Vocabulary:
    """Pseudo-words by Zipf rank, their stems (as the indexer stores them) and which are stopwords."""

    def __init__(self, size: int, rng: np.random.Generator, zipf_s: float = 1.0) -> None:
        content_needed = size - len(_HEAD)
        words: list[str] = []
        seen_stems: set[str] = set(_HEAD)
        while len(words) < content_needed:
            parts = rng.integers(0, len(_SYLLABLES), size=rng.integers(2, 5))
            word = "".join(_SYLLABLES[p] for p in parts)
            stem = _stem("en", word)
            if stem in seen_stems or word in _STOPWORDS:
                continue  # one stem per rank, so document frequencies follow the ranks
            seen_stems.add(stem)
            words.append(word)
        # Stopwords take ranks 0-5, then every second rank up to the end of the list.
        ranked: list[str] = []
        head, content = iter(_HEAD), iter(words)
        for rank in range(size):
            use_head = rank < 6 or (rank % 2 == 0 and rank < 6 + 2 * (len(_HEAD) - 6))
            ranked.append(next(head) if use_head else next(content))
        self.words = np.array(ranked, dtype=object)
        self.stems = np.array([w if w in _STOPWORDS else _stem("en", w) for w in ranked], dtype=object)
        self.is_stop = np.array([w in _STOPWORDS for w in ranked])
        weights = 1.0 / np.arange(1, size + 1) ** zipf_s
        self.cdf = np.cumsum(weights) / weights.sum()

    def passages(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        lengths = rng.integers(150, 221, size=n)
        ranks = np.searchsorted(self.cdf, rng.random(int(lengths.sum())), side="right").astype(np.int32)
        ranks = np.minimum(ranks, len(self.cdf) - 1)
        return np.split(ranks, np.cumsum(lengths)[:-1])

    def questions(self, passages: list[np.ndarray], count: int, rng: np.random.Generator) -> list[str]:
        """Questions of 4-10 content words from one passage each, in passage order: for each word a
        target Zipf rank is drawn with ln(rank) ~ Normal(5.8, 1.6) (clipped to 8-50,000) and the
        passage's word nearest that rank is taken: a mix of common and rare words whose document
        frequencies spread like the dev questions' (see the module docstring)."""
        out = []
        for _ in range(count):
            passage = passages[int(rng.integers(len(passages)))]
            first_at: dict[int, int] = {}
            for pos, r in enumerate(passage.tolist()):
                if not self.is_stop[r]:
                    first_at.setdefault(r, pos)
            ranks = np.array(sorted(first_at), dtype=np.int64)
            logs = np.log(ranks + 1)
            want = int(rng.integers(4, 11))
            chosen: set[int] = set()
            targets = np.exp(np.clip(rng.normal(5.8, 1.6, size=4 * want), math.log(8), math.log(50_000)))
            for target in targets:
                if len(chosen) == want or len(chosen) == len(ranks):
                    break
                order = np.argsort(np.abs(logs - math.log(target)))
                chosen.add(next(int(ranks[i]) for i in order if int(ranks[i]) not in chosen))
            words = [str(self.words[r]) for r in sorted(chosen, key=first_at.get)]
            for _ in range(int(rng.integers(1, 3))):  # "... of ...", "... in ...": dropped by query_terms
                words.insert(int(rng.integers(1, len(words))), str(rng.choice(["of", "in", "for", "the", "and"])))
            out.append(" ".join(words))
        return out


# -- FTS5 ------------------------------------------------------------------------------------------


def build_fts(path: Path, texts: list[str], countries: np.ndarray) -> dict:
    """Our schema, chunk_terms written as IndexWriter writes it; metadata rows timed apart."""
    with _connect(path) as conn:
        conn.executescript(_SCHEMA)
    conn = _connect(path)
    conn.execute("PRAGMA synchronous = OFF")  # as IndexWriter
    conn.execute("PRAGMA journal_mode = OFF")
    t = time.perf_counter()
    conn.executemany("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", zip(range(1, len(texts) + 1), texts))
    conn.commit()
    build_s = time.perf_counter() - t
    # One document per 4 chunks, each of one of 40 members (Zipf shares): what the filter joins.
    n_docs = (len(texts) + 3) // 4
    conn.executemany(
        "INSERT INTO documents (id, source, kind, title, country, year, language, metadata, text)"
        " VALUES (?, ?, 'commitment', '', ?, 2020, 'en', '{}', '')",
        ((d, f"src{d // 50}", f"Country{int(countries[d - 1])}") for d in range(1, n_docs + 1)))
    conn.executemany(
        "INSERT INTO chunks (id, document_id, source, ordinal, char_start, char_end, language, token_count, text)"
        " VALUES (?, ?, ?, 0, 0, 0, 'en', 0, '')",
        ((i, (i - 1) // 4 + 1, f"src{((i - 1) // 4 + 1) // 50}") for i in range(1, len(texts) + 1)))
    conn.commit()
    fts_bytes = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'chunk_terms%'").fetchone()[0]
    conn.close()
    return {"build_s": build_s, "fts_bytes": int(fts_bytes), "file_bytes": path.stat().st_size}


def fts_update(path: Path, text: str, repeats: int) -> dict:
    """Add one passage in place (insert + commit), and the page copy our IndexWriter makes first."""
    conn = _connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = OFF")
    rowid = conn.execute("SELECT MAX(rowid) FROM chunk_terms").fetchone()[0] + 1
    insert = []
    for _ in range(repeats):
        t = time.perf_counter()
        conn.execute("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", (rowid, text))
        conn.commit()
        insert.append(time.perf_counter() - t)
        conn.execute("DELETE FROM chunk_terms WHERE rowid = ?", (rowid,))
        conn.commit()
    copy = path.with_name(path.stem + "-copy.sqlite")
    t = time.perf_counter()
    with _connect(copy) as target:  # IndexWriter: previous.db.backup(target), then the insert
        conn.backup(target)
    copy_s = time.perf_counter() - t
    conn.close()
    copy.unlink()
    return {"insert_ms": statistics.median(insert) * 1000, "copy_s": copy_s}


class FtsMethods:
    """The query variants, each: question -> chunk ids, best first."""

    def __init__(self, conn: sqlite3.Connection, n: int) -> None:
        self.conn = conn
        self.n = n
        # Searcher._keyword reads only these two attributes of the searcher.
        self.shim = types.SimpleNamespace(_languages=("en",), reader=types.SimpleNamespace(db=conn))
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_terms_vocab USING fts5vocab(main, chunk_terms, row)")
        self.fallbacks: dict[str, int] = {}

    def shipped_or(self, q: str) -> list[int]:
        return list(Searcher._keyword(self.shim, q, DEPTH, Filters()))

    def shipped_near(self, q: str) -> list[int]:
        return list(Searcher._keyword(self.shim, q, DEPTH, Filters(), proximity=True))

    def shipped_or_filtered(self, q: str, country: str) -> list[int]:
        return list(Searcher._keyword(self.shim, q, DEPTH, Filters(country=(country,))))

    def _run(self, match: str) -> list[int]:
        sql = ("SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
               " ORDER BY bm25(chunk_terms) LIMIT ?")
        return [r[0] for r in self.conn.execute(sql, (match, DEPTH))]

    def and_(self, q: str) -> list[int]:
        terms = query_terms(q, ("en",))
        return self._run(" AND ".join(f'"{t}"' for t in terms)) if terms else []

    def or_rank(self, q: str) -> list[int]:
        """Same query, ORDER BY rank (FTS5 sorts itself; rank is bm25 with default weights)."""
        terms = query_terms(q, ("en",))
        if not terms:
            return []
        sql = "SELECT rowid, rank FROM chunk_terms WHERE chunk_terms MATCH ? ORDER BY rank LIMIT ?"
        return [r[0] for r in self.conn.execute(sql, (" OR ".join(f'"{t}"' for t in terms), DEPTH))]

    def doc_freqs(self, terms: list[str]) -> dict[str, int]:
        marks = ",".join("?" * len(terms))
        found = dict(self.conn.execute(f"SELECT term, doc FROM temp.chunk_terms_vocab WHERE term IN ({marks})", terms))
        return {t: found.get(t, 0) for t in terms}

    def split(self, q: str, fraction: float) -> tuple[list[str], list[str], dict[str, int]]:
        """(rare, common) stems of the question; at least one stem stays rare."""
        terms = query_terms(q, ("en",))
        if not terms:
            return [], [], {}
        df = self.doc_freqs(terms)
        rare = [t for t in terms if df[t] <= fraction * self.n]
        if not rare:
            rare = [min(terms, key=df.get)]
        return rare, [t for t in terms if t not in rare], df

    def or_drop(self, q: str, fraction: float) -> list[int]:
        """OR of the stems found in at most ``fraction`` of the passages (the rarest if none is)."""
        rare, _, _ = self.split(q, fraction)
        return self._run(" OR ".join(f'"{t}"' for t in rare)) if rare else []

    def or_drop_zero_idf(self, q: str) -> list[int]:
        """OR without the stems found in half the passages or more, for which FTS5's bm25 clamps the
        idf to 1e-6: they change no score by more than 2.2e-6 a stem, only which passages match.
        So when the rest still matches ``DEPTH`` passages, the top ``DEPTH`` is the full OR's
        (up to near-ties); otherwise run the full OR."""
        terms = query_terms(q, ("en",))
        if not terms:
            return []
        df = self.doc_freqs(terms)
        keep = [t for t in terms if 2 * df[t] < self.n]
        if keep and len(keep) < len(terms):
            rows = self._run(" OR ".join(f'"{t}"' for t in keep))
            if len(rows) == DEPTH:
                return rows
            self.fallbacks["zero-idf"] = self.fallbacks.get("zero-idf", 0) + 1
        return self._run(" OR ".join(f'"{t}"' for t in terms))

    def or_rescore(self, q: str, fraction: float, safe: bool = False) -> list[int]:
        """Passages with at least one rare stem, scored by the full OR's BM25 (over every stem).

        FTS5 spends most of an OR query computing bm25() for every matching passage; here it is
        computed only for passages that also match the rare stems (``+rowid``: the unary plus keeps
        SQLite from handing the IN list to FTS5 as one MATCH per rowid, which is far slower).
        With ``safe``, fall back to the full OR unless the 100th score beats the most a passage
        with common stems only could score (the sum of their idf * (k1 + 1)): then the top 100 is
        exactly the full OR's (up to ties).
        """
        rare, common, df = self.split(q, fraction)
        if not rare:
            return []
        full = " OR ".join(f'"{t}"' for t in rare + common)
        if not common:
            return self._run(full)
        sql = ("SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ? AND +rowid IN"
               " (SELECT rowid FROM chunk_terms WHERE chunk_terms MATCH ?) ORDER BY bm25(chunk_terms) LIMIT ?")
        rows = self.conn.execute(sql, (full, " OR ".join(f'"{t}"' for t in rare), DEPTH)).fetchall()
        if safe:
            bound = sum(max(math.log((self.n - df[t] + 0.5) / (df[t] + 0.5)), 1e-6) * 2.2 for t in common)
            if len(rows) < DEPTH or -rows[-1][1] <= bound:
                self.fallbacks[f"safe {fraction}"] = self.fallbacks.get(f"safe {fraction}", 0) + 1
                return self._run(full)
        return [r[0] for r in rows]

    def or_filtered_plus(self, q: str, country: str) -> list[int]:
        """`_keyword`'s filtered query with ``+rowid IN (...)`` instead of ``rowid IN (...)``."""
        terms = query_terms(q, ("en",))
        if not terms:
            return []
        where, extra = Filters(country=(country,)).where()
        sql = ("SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
               f" AND +rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where})"
               " ORDER BY bm25(chunk_terms) LIMIT ?")
        return [r[0] for r in self.conn.execute(sql, [" OR ".join(f'"{t}"' for t in terms), *extra, DEPTH])]


# -- bm25s -----------------------------------------------------------------------------------------


def bm25s_module():
    try:
        import bm25s
    except ImportError:
        return None
    return bm25s


def bm25s_build(bm25s, tokens: list[list[str]]):
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="robertson")
    t = time.perf_counter()
    retriever.index(tokens, show_progress=False)
    return retriever, time.perf_counter() - t


def bm25s_memory(retriever) -> int:
    arrays = sum(v.nbytes for v in retriever.scores.values() if isinstance(v, np.ndarray))
    vocab = sys.getsizeof(retriever.vocab_dict) + sum(sys.getsizeof(k) + 28 for k in retriever.vocab_dict)
    return arrays + vocab


def bm25s_query(retriever, q: str, mask: np.ndarray | None = None) -> list[int]:
    vocab = retriever.vocab_dict
    terms = [t for t in query_terms(q, ("en",)) if t in vocab]
    if not terms:
        return []
    docs, scores = retriever.retrieve([terms], k=DEPTH, show_progress=False, weight_mask=mask)
    # bm25s fills the top k with zero-score rows when fewer match; row i is chunk id i + 1.
    return [int(d) + 1 for d, s in zip(docs[0], scores[0]) if s > 0]


# -- timing and reporting --------------------------------------------------------------------------


def time_methods(methods: dict, questions: list[str], repeats: int) -> dict[str, dict]:
    """name -> {"p50s", "p95s" per repeat, "results" of the first repeat}."""
    out = {name: {"p50s": [], "p95s": [], "results": []} for name in methods}
    for repeat in range(repeats):
        for name, ask in methods.items():
            times = []
            for i, q in enumerate(questions):
                t = time.perf_counter()
                got = ask(i, q)
                times.append((time.perf_counter() - t) * 1000)
                if repeat == 0:
                    out[name]["results"].append(got)
            times.sort()
            out[name]["p50s"].append(statistics.median(times))
            out[name]["p95s"].append(times[round(0.95 * (len(times) - 1))])
    return out


def overlap(reference: list[list[int]], got: list[list[int]], k: int) -> float:
    scores = []
    for ref, g in zip(reference, got):
        want = set(ref[:k])
        if want:
            scores.append(len(want & set(g[:k])) / len(want))
    return statistics.mean(scores) if scores else float("nan")


def megabytes(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def latency_cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}"


def noise_note(p50s: list[float]) -> str:
    mid = statistics.median(p50s)
    if len(p50s) > 1 and mid > 0 and (max(p50s) - min(p50s)) / mid > NOISY:
        return f"noisy: p50 {min(p50s):.2f}-{max(p50s):.2f} over repeats"
    return ""


SHIPPED_OR = "FTS5 OR: `_keyword` as shipped"
FILTER_FIXED = "FTS5 OR + country filter, `+rowid IN` (proposed)"
FILTER_SHIPPED = "FTS5 OR + country filter: `_keyword` as shipped (`rowid IN`)"


def run_size(n: int, vocab: Vocabulary, args, workdir: Path, bm25s) -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(args.seed + n)
    t = time.perf_counter()
    passages = vocab.passages(n, rng)
    texts = [" ".join(vocab.stems[p].tolist()) for p in passages]
    questions = vocab.questions(passages, args.queries, rng)
    shares = 1.0 / np.arange(1, _COUNTRIES + 1)
    shares /= shares.sum()
    countries = rng.choice(_COUNTRIES, size=(n + 3) // 4, p=shares)
    # Each question is asked with the filter of one member, drawn by its share of the corpus.
    filter_country = [f"Country{c}" for c in rng.choice(_COUNTRIES, size=len(questions), p=shares)]
    log(f"N={n:,}: corpus and {len(questions)} questions generated in {time.perf_counter() - t:.1f} s")

    path = workdir / f"chunks-{n}.sqlite"
    fts = build_fts(path, texts, countries)
    log(f"N={n:,}: FTS5 built in {fts['build_s']:.1f} s")
    conn = _connect(path, readonly=True)  # as IndexReader opens it
    fts_methods = FtsMethods(conn, n)

    # Question profile: how common their stems are, how much of the corpus an OR matches.
    dfs, n_terms, or_matches = [], [], []
    for q in questions:
        terms = query_terms(q, ("en",))
        n_terms.append(len(terms))
        dfs += [d / n for d in fts_methods.doc_freqs(terms).values()]
        match = " OR ".join(f'"{t}"' for t in terms)
        or_matches.append(
            conn.execute("SELECT COUNT(*) FROM chunk_terms WHERE chunk_terms MATCH ?", (match,)).fetchone()[0] / n)
    notes = [f"N={n:,}: {len(questions)} questions, {statistics.median(n_terms):.0f} stems each (median, "
             f"{min(n_terms)}-{max(n_terms)}); stem document frequency median {statistics.median(dfs):.1%}, "
             f"{sum(d > 0.1 for d in dfs) / len(dfs):.0%} of stems in >10% of passages, "
             f"{sum(d > 0.2 for d in dfs) / len(dfs):.0%} in >20%, {sum(d >= 0.5 for d in dfs) / len(dfs):.0%} "
             f"in >=50%; an OR query matches {statistics.median(or_matches):.0%} of the passages (median)"]

    # name -> (ask(i, question), what its overlap is measured against)
    methods = {
        SHIPPED_OR: (lambda i, q: fts_methods.shipped_or(q), SHIPPED_OR),
        "FTS5 NEAR pairs: `_keyword(proximity=True)` as shipped": (lambda i, q: fts_methods.shipped_near(q), None),
        "FTS5 AND of the stems": (lambda i, q: fts_methods.and_(q), SHIPPED_OR),
        "FTS5 OR, `ORDER BY rank`": (lambda i, q: fts_methods.or_rank(q), SHIPPED_OR),
        "FTS5 OR without stems in >=50% (idf clamped to 1e-6)": (
            lambda i, q: fts_methods.or_drop_zero_idf(q), SHIPPED_OR),
    }
    for f in args.drop:
        methods[f"FTS5 OR without stems in >{f:.0%} of passages"] = (
            lambda i, q, f=f: fts_methods.or_drop(q, f), SHIPPED_OR)
    for f in args.rescore:
        methods[f"FTS5 OR scored only where a stem in <={f:.0%} matches"] = (
            lambda i, q, f=f: fts_methods.or_rescore(q, f), SHIPPED_OR)
        methods[f"same ({f:.0%}), made exact: full OR when the {DEPTH}th score < the common-stem bound"] = (
            lambda i, q, f=f: fts_methods.or_rescore(q, f, safe=True), SHIPPED_OR)
    methods[FILTER_FIXED] = (lambda i, q: fts_methods.or_filtered_plus(q, filter_country[i]), FILTER_FIXED)

    build_rows = [f"| {n:,} | SQLite FTS5 (our schema) | {fts['build_s']:.1f} | {megabytes(fts['fts_bytes'])} "
                  f"(whole file {megabytes(fts['file_bytes'])}) | SQLite page cache (2 MiB default) | "]
    retriever = None
    if bm25s is not None:
        tokens = [vocab.stems[p].tolist() for p in passages]
        retriever, bm25s_build_s = bm25s_build(bm25s, tokens)
        log(f"N={n:,}: bm25s built in {bm25s_build_s:.1f} s")
        mem = bm25s_memory(retriever)

        def filtered(i: int, q: str) -> list[int]:
            # The allowed chunk ids come from SQLite (as Searcher._allowed_ids), then a 0/1 mask.
            where, params = Filters(country=(filter_country[i],)).where()
            ids = np.fromiter((r[0] for r in conn.execute(
                f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where}", params)),
                dtype=np.int64)
            mask = np.zeros(n, dtype=np.float32)
            mask[ids - 1] = 1.0
            return bm25s_query(retriever, q, mask)

        methods["bm25s top 100"] = (lambda i, q: bm25s_query(retriever, q), SHIPPED_OR)
        methods["bm25s top 100 + country filter (ids from SQLite, weight_mask)"] = (filtered, FILTER_FIXED)

    log(f"N={n:,}: timing {len(methods)} methods x {len(questions)} questions x {args.repeats} repeats")
    fts_methods.fallbacks.clear()
    timed = time_methods({name: ask for name, (ask, _) in methods.items()}, questions, args.repeats)
    fell_back = {k: v / (args.repeats * len(questions)) for k, v in fts_methods.fallbacks.items()}

    # The shipped filtered query can take seconds a question: one pass, within a time budget.
    slow_times, slow_results = [], []
    t0 = time.perf_counter()
    for i, q in enumerate(questions):
        if time.perf_counter() - t0 > args.filter_budget and len(slow_times) >= 1:
            break
        t = time.perf_counter()
        slow_results.append(fts_methods.shipped_or_filtered(q, filter_country[i]))
        slow_times.append((time.perf_counter() - t) * 1000)
    log(f"N={n:,}: shipped filtered query on {len(slow_times)} questions in {time.perf_counter() - t0:.1f} s")

    update = fts_update(path, texts[0], args.repeats)
    build_rows[0] += (f"{update['insert_ms']:.1f} ms in place (insert + commit); {update['copy_s']:.2f} s for "
                      f"the page copy each new index generation starts with | yes: the index's own SQLite file |")
    if retriever is not None:
        save_dir = workdir / f"bm25s-{n}"
        t = time.perf_counter()
        retriever.save(str(save_dir))
        save_s = time.perf_counter() - t
        saved = sum(p.stat().st_size for p in save_dir.rglob("*") if p.is_file())
        t = time.perf_counter()
        bm25s.BM25.load(str(save_dir))
        load_s = time.perf_counter() - t
        del retriever
        extra = vocab.stems[passages[0]].tolist()
        _, reindex_s = bm25s_build(bm25s, tokens + [extra])
        log(f"N={n:,}: bm25s re-indexed N+1 in {reindex_s:.1f} s")
        build_rows.append(
            f"| {n:,} | bm25s {bm25s.__version__} | {bm25s_build_s:.1f} | {megabytes(saved)} once saved "
            f"(save {save_s:.2f} s, load {load_s:.2f} s) | {megabytes(mem)} (score matrix + vocabulary) | "
            f"{reindex_s:.1f} s: no incremental add, re-index all N+1 | only as its own files, saved and loaded "
            f"whole, beside the SQLite metadata |")
    conn.close()

    base_p50 = statistics.median(timed[SHIPPED_OR]["p50s"])
    query_rows = []
    for name, r in timed.items():
        reference = methods[name][1]
        p50 = statistics.median(r["p50s"])
        hits = statistics.median(len(x) for x in r["results"])
        short = sum(len(x) < 10 for x in r["results"]) / len(r["results"])
        o10 = o100 = "-"
        if reference and reference != name:
            o10 = f"{overlap(timed[reference]['results'], r['results'], 10):.3f}"
            o100 = f"{overlap(timed[reference]['results'], r['results'], 100):.3f}"
        note = [noise_note(r["p50s"])]
        if "idf clamped" in name:
            note.insert(0, f"full OR run on {fell_back.get('zero-idf', 0):.0%} of questions")
        if "made exact" in name:
            fraction = next(f for f in args.rescore if name.startswith(f"same ({f:.0%})"))
            note.insert(0, f"fell back on {fell_back.get(f'safe {fraction}', 0):.0%} of questions")
        if name == FILTER_FIXED:
            note.insert(0, "overlap: vs the shipped filtered query below")
        if reference == FILTER_FIXED and name != FILTER_FIXED:
            note.insert(0, "overlap vs the FTS5 filtered query")
        query_rows.append(
            f"| {n:,} | {name} | {p50:.2f} | {latency_cell(r['p95s'])} | {p50 / base_p50:.2f}x | {hits:.0f} "
            f"({short:.0%} <10) | {o10} | {o100} | {'; '.join(filter(None, note))} |")
        if name == FILTER_FIXED:
            fixed = r["results"][: len(slow_results)]
            slow_p50 = statistics.median(slow_times)
            query_rows[-1] = query_rows[-1].replace(
                "| - | - |", f"| {overlap(slow_results, fixed, 10):.3f} | {overlap(slow_results, fixed, 100):.3f} |", 1)
            query_rows.append(
                f"| {n:,} | {FILTER_SHIPPED} | {slow_p50:.2f} | max {max(slow_times):.2f} | {slow_p50 / base_p50:.2f}x "
                f"| {statistics.median(len(x) for x in slow_results):.0f} | - | - | one pass over the first "
                f"{len(slow_times)} of {len(questions)} questions ({args.filter_budget:.0f} s budget) |")
    return build_rows, query_rows, notes


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fractions(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="passages per corpus, comma-separated")
    parser.add_argument("--queries", type=int, default=40, help="questions per corpus")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the questions")
    parser.add_argument("--drop", type=fractions, default=[0.05, 0.1, 0.2],
                        help="document-frequency cut-offs for the drop-common-stems variant")
    parser.add_argument("--rescore", type=fractions, default=[0.05, 0.1],
                        help="cut-offs for the match-rare, score-full-OR variant")
    parser.add_argument("--filter-budget", type=float, default=15.0,
                        help="seconds for the shipped filtered query (it can take seconds a question at 100k)")
    parser.add_argument("--vocabulary", type=int, default=100_000, help="distinct words of the synthetic language")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "keyword.md")
    parser.add_argument("--workdir", type=Path, default=None, help="where the indexes go (default: a temp folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if min(sizes) <= DEPTH:
        parser.error(f"sizes must exceed {DEPTH} (bm25s cannot return more passages than it holds)")

    bm25s = bm25s_module()
    if bm25s is None:
        log("bm25s is not installed (pip install bm25s): its rows are left out.")
    started = time.perf_counter()
    t = time.perf_counter()
    vocab = Vocabulary(args.vocabulary, np.random.default_rng(args.seed))
    log(f"vocabulary of {args.vocabulary:,} words stemmed in {time.perf_counter() - t:.1f} s")

    build_rows, query_rows, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-keyword-", dir=args.workdir) as tmp:
        for n in sizes:
            b, q, p = run_size(n, vocab, args, Path(tmp), bm25s)
            build_rows += b
            query_rows += q
            notes += p

    load = os.getloadavg()
    lines = [
        "# Keyword index: SQLite FTS5 (shipped) vs bm25s",
        "",
        f"`python benchmarks/bench_keyword.py {shlex.join(sys.argv[1:])}` - SQLite {sqlite3.sqlite_version}, "
        f"bm25s {bm25s.__version__ if bm25s else 'not installed'}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} at the end, {time.perf_counter() - started:.0f} s in all.",
        "",
        "## Build, size, update",
        "",
        "Builds are one run each. FTS5 'on disk' is the chunk_terms tables (dbstat); the whole file also holds "
        "the light metadata rows used by the filter. 'In place' is an insert and commit with synchronous=OFF and "
        "journal_mode=OFF, as IndexWriter writes (it fsyncs once before the manifest swap); IndexWriter first copies "
        "the previous generation's file page by page (SQLite backup), timed apart. bm25s memory is its score "
        "matrix arrays plus the vocabulary dict (an estimate of the Python objects).",
        "",
        "| N | engine | build s | on disk | in memory | add one passage | persistent |",
        "|---|---|---|---|---|---|---|",
        *build_rows,
        "",
        f"## Query latency (one question at a time, top {DEPTH}; median over {args.repeats} repeats of p50/p95)",
        "",
        "overlap@k: share of the shipped OR query's top k that the method also returns in its top k "
        "(mean over questions). `vs OR`: p50 relative to the shipped OR query on the same corpus.",
        "",
        "| N | method | p50 ms | p95 ms | vs OR | hits (median) | overlap@10 | overlap@100 | note |",
        "|---|---|---|---|---|---|---|---|---|",
        *query_rows,
        "",
        *([] if bm25s else ["bm25s is not installed (pip install bm25s): its rows are left out.", ""]),
        "## Questions",
        "",
        *[f"- {p}" for p in notes],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
