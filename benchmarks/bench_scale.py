"""Scale (issue 5): vector search and SQLite at 10k, 100k and 1M chunks on one machine.

For each size N, in one run:

* a synthetic corpus (``benchmarks/synthetic.py``): N clustered unit vectors of 384 dimensions
  shaped like the real index's all-MiniLM-L6-v2 vectors, and N chunks of Zipfian text (150-220
  words), 4 chunks a document, 100 documents a file, reports / guides / commitments with
  countries, years and policy areas;
* written through the real ``IndexWriter``: it makes the schema and the generation's files, the
  rows go into its connection with the INSERTs of ``IndexWriter.add_file`` (chunk_terms holds the
  words' Snowball stems, precomputed per vocabulary word instead of stemming 180M words), the
  vectors through ``IndexWriter.add_vectors``, and ``commit`` chooses the FAISS index by N against
  ``exact_search_limit`` (default: the setting's default), trains it and swaps the manifest in;
* read back through ``IndexReader`` (as ``Searcher`` opens it, with ``nprobe``).

Measured:

* build: the FAISS part of ``commit`` (training, adds, write; once), and, ``--repeats`` times,
  an IVF index built from scratch (``_ivf_index``: k-means on a sample + adding all N) and an
  exact one; the SQLite load (rows + FTS5) once;
* single-question vector search latency, one FAISS thread (as ``Searcher`` sets it), depth 100
  (``Settings.candidates``): the exact flat index (the baseline, same run) and the IVF index at
  several nprobe values; recall@10 of each against exact search over the float vectors;
  questions are fresh points near the data (never stored vectors); methods interleaved
  question by question so that load from other processes hits them alike;
* a filtered vector search (one country, ~2-3% of the chunks) through ``IndexReader.search_vectors``;
* bytes per chunk on disk (the FAISS file and the SQLite file from the manifest) and the RSS of a
  fresh process holding the index (``IndexReader``) after 20 questions, less the same process
  before loading; the same for a process holding the exact index;
* SQLite: ``IndexReader.chunks_by_id`` for 10 random chunk ids (the metadata of a result page);
  the keyword ranking as search makes it, BM25 from the postings (``indexer.postings.bm25_scores``,
  depth 100), against the same OR query in FTS5 (the question's stems as an OR of quoted terms,
  ``ORDER BY bm25(chunk_terms) LIMIT 100``; the baseline, with how often both give the same top 10);
  and the proximity query (FTS5 NEAR pairs of consecutive stems, as ``Searcher._keyword`` builds
  it). Questions: 4-8 content words of one chunk (plus a stopword);
* the whole question through ``Searcher.search`` (10 results) with the real ONNX encoder: question
  encoding, keyword postings, proximity, vector search, fusion, near-duplicate collapse and best
  sentences, as the CLI and the app ask it (``--no-search`` skips it).

Each latency is the median over ``--repeats`` of each repeat's p50 / p95; a repeat whose p50 is more
than 1.5x the median of the repeats' p50s is flagged (the machine is shared: other benchmarks run
beside this one). The SQLite file is measured warm (just written, in the page cache).

    python benchmarks/bench_scale.py --sizes 10000,100000,1000000
    python benchmarks/bench_scale.py --sizes 20000 --repeats 2 --queries 50     # a quick look

Writes the tables to stdout and to ``benchmarks/out/scale.md``. Needs ~2.5x N x 1.5 kB of RAM for
the float vectors and the exact baseline (about 4 GB at 1M) and ~3.5 kB of disk a chunk while
it runs (the work folder is deleted at the end unless ``--keep``).
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import faiss  # noqa: E402

from indexer.analysis import query_terms  # noqa: E402
from indexer.postings import bm25_scores  # noqa: E402
from search import Searcher  # noqa: E402
from indexer.settings import Settings  # noqa: E402
from indexer.store import (IndexReader, IndexWriter, _bulk_faiss, _flat_index, _ivf_index,  # noqa: E402
                           ivf_lists, vector_index_type)
from synthetic import ClusteredCorpus, Vocabulary, exact_top_k, recall_at  # noqa: E402

DEPTH = Settings().candidates  # what a search asks each retriever for (the default setting)
NOISY = 1.5  # a repeat's p50 over this multiple of the median p50 is flagged
CHUNKS_PER_DOC, DOCS_PER_FILE = 4, 100
COUNTRIES = [f"Country {i:02d}" for i in range(40)]
AREAS = ["Access to Justice", "Legal Aid", "Open Justice", "Courts", "Anti-Corruption", "Gender"]


# -- timing helpers ---------------------------------------------------------------------------------


@dataclass
class Timing:
    """Per-repeat lists of seconds; summarised as the median over repeats of p50 and p95."""

    repeats: list[list[float]] = field(default_factory=list)

    def new_repeat(self) -> None:
        self.repeats.append([])

    def add(self, seconds: float) -> None:
        self.repeats[-1].append(seconds)

    def _pct(self, q: float) -> list[float]:
        return [float(np.percentile(r, q)) for r in self.repeats if r]

    @property
    def p50(self) -> float:
        return statistics.median(self._pct(50))

    @property
    def p95(self) -> float:
        return statistics.median(self._pct(95))

    def noisy(self) -> str:
        p50s = self._pct(50)
        median = statistics.median(p50s)
        flags = [f"r{i + 1} x{v / median:.1f}" for i, v in enumerate(p50s) if median and v > NOISY * median]
        return "noisy: " + ", ".join(flags) if flags else ""


def timed_repeats(fn, repeats: int) -> tuple[float, str, object]:
    """(median seconds, noise flag, last result) of ``fn()`` run ``repeats`` times."""
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    flags = [f"r{i + 1} x{v / median:.1f}" for i, v in enumerate(times) if v > NOISY * median]
    return median, ("noisy: " + ", ".join(flags) if flags else ""), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


# -- synthetic index --------------------------------------------------------------------------------


def load_sqlite(writer: IndexWriter, n: int, vocab: Vocabulary, rng: np.random.Generator,
                sample_ids: np.ndarray) -> dict[int, np.ndarray]:
    """Documents, chunks, chunk_terms, policy areas and files for chunk ids 1..n, with the
    INSERTs of IndexWriter.add_file; -> the word ranks of the chunks in ``sample_ids``."""
    db = writer.db
    wanted = set(sample_ids.tolist())
    kept: dict[int, np.ndarray] = {}
    country_p = 1.0 / np.arange(1, len(COUNTRIES) + 1)
    country_p /= country_p.sum()
    block = 8192  # chunks per batch: a multiple of CHUNKS_PER_DOC, so no document spans two batches
    for start in range(1, n + 1, block):
        stop = min(n + 1, start + block)
        passages = vocab.passages(stop - start, rng)
        texts = [vocab.text(p) for p in passages]
        terms = [vocab.terms(p) for p in passages]
        for cid, p in zip(range(start, stop), passages):
            if cid in wanted:
                kept[cid] = p
        documents, chunks, areas = [], [], []
        first_doc = (start - 1) // CHUNKS_PER_DOC + 1
        last_doc = (stop - 2) // CHUNKS_PER_DOC + 1
        countries = rng.choice(len(COUNTRIES), size=last_doc - first_doc + 1, p=country_p)
        for doc in range(first_doc, last_doc + 1):
            file_no = (doc - 1) // DOCS_PER_FILE
            kind = ("report", "guide", "commitment")[file_no % 3]
            source = f"{kind}s/file-{file_no:06d}.{'pdf' if kind == 'report' else 'md' if kind == 'guide' else 'csv'}"
            ids = range(max(start, (doc - 1) * CHUNKS_PER_DOC + 1), min(stop, doc * CHUNKS_PER_DOC + 1))
            parts = [texts[i - start] for i in ids]
            doc_text = "\n\n".join(parts)
            country = COUNTRIES[int(countries[doc - first_doc])]
            page = (doc - 1) % DOCS_PER_FILE + 1
            documents.append((
                doc, source, kind, f"Synthetic {kind} {file_no}", page if kind == "report" else None,
                str(page) if kind == "report" else None, f"Chapter {page}" if kind == "guide" else None,
                f"XX{doc % 10000:04d}" if kind == "commitment" else None, country, "Region", 2010 + doc % 15,
                f"https://example.org/{file_no}", "en", json.dumps({"lead_institution": "Ministry of Justice"}),
                doc_text))
            at = 0
            for ordinal, (cid, text) in enumerate(zip(ids, parts)):
                chunks.append((cid, doc, source, ordinal, at, at + len(text), "en", 220, text))
                at += len(text) + 2
            areas.append((doc, AREAS[doc % len(AREAS)]))
        db.executemany(  # as IndexWriter.add_file, with the document ids given
            "INSERT INTO documents (id, source, kind, title, page, page_label, section, commitment_id,"
            " country, region, year, url, language, metadata, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            documents)
        db.executemany("INSERT INTO policy_areas (document_id, area) VALUES (?, ?)", areas)
        db.executemany(
            "INSERT INTO chunks (id, document_id, source, ordinal, char_start, char_end, language, token_count, text)"
            " VALUES (?,?,?,?,?,?,?,?,?)", chunks)
        db.executemany("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", zip(range(start, stop), terms))
        for cid, text in zip(range(start, stop), terms):  # the BM25 postings, as add_file feeds them
            writer.postings.add(cid, text.split())
    files = (n + CHUNKS_PER_DOC * DOCS_PER_FILE - 1) // (CHUNKS_PER_DOC * DOCS_PER_FILE)
    db.execute(
        "INSERT INTO files (source, sha256, size, kind, title, documents, chunks, warnings, indexed_at)"
        " SELECT source, printf('%064d', MIN(id)), 100000, kind, title, COUNT(*), 0, '[]', '2026-01-01'"
        " FROM documents GROUP BY source")
    db.execute("UPDATE files SET chunks = (SELECT COUNT(*) FROM chunks c WHERE c.source = files.source)")
    assert db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == files
    return kept


RSS_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np, faiss
from indexer.store import IndexReader
def rss():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:"))
faiss.omp_set_num_threads(1)
before = rss()
queries = np.random.default_rng(0).standard_normal((20, 384), dtype=np.float32)
if sys.argv[2] == "reader":
    reader = IndexReader(sys.argv[3])
    for q in queries:
        scores, ids = reader.search_vectors(q, 100)
        reader.chunks_by_id(ids[0][:10].tolist())
else:
    index = faiss.read_index(sys.argv[3])
    for q in queries:
        index.search(q[None], 100)
print(json.dumps({"before_kb": before, "after_kb": rss()}))
"""


def process_rss(kind: str, path: Path) -> int:
    """Bytes of RSS a fresh process gains by loading the index at ``path`` and answering 20 questions."""
    out = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(REPO), kind, str(path)],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return (data["after_kb"] - data["before_kb"]) * 1024


# -- one size ---------------------------------------------------------------------------------------


def run_size(n: int, args, vocab: Vocabulary, work: Path) -> dict:
    print(f"\n== {n:,} chunks ==", flush=True)
    out: dict = {"n": n}
    t0 = time.perf_counter()
    corpus = ClusteredCorpus(n, seed=n)
    vectors = corpus.vectors()
    queries = corpus.queries(args.queries)
    out["generate_s"] = time.perf_counter() - t0
    ids = np.arange(1, n + 1, dtype=np.int64)  # chunk id = row + 1

    # SQLite rows and the FAISS index through the real writer
    index_dir = work / f"index-{n}"
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    rng = np.random.default_rng(n)
    writer = IndexWriter(index_dir, None, corpus.dim, exact_search_limit=args.limit)
    sample_ids = rng.choice(ids, size=min(n, 400), replace=False)
    t = time.perf_counter()
    kept = load_sqlite(writer, n, vocab, rng, sample_ids)
    out["sqlite_load_s"] = time.perf_counter() - t
    writer.add_vectors(ids, vectors)
    t = time.perf_counter()
    manifest = writer.commit(model="synthetic", backend="onnx-int8", max_tokens=256, chunk_tokens=224,
                             overlap_tokens=32)
    out["commit_s"] = time.perf_counter() - t
    out["commit_vectors_s"] = writer.vector_seconds
    out["faiss_index"] = manifest.faiss_index
    assert manifest.faiss_index == vector_index_type(n, args.limit)
    out["faiss_bytes"], out["sqlite_bytes"] = manifest.faiss_bytes, manifest.sqlite_bytes
    print(f"  {manifest.faiss_index}: sqlite load {out['sqlite_load_s']:.1f} s, commit {out['commit_s']:.1f} s "
          f"(vectors {out['commit_vectors_s']:.1f} s)", flush=True)

    reader = IndexReader(index_dir, nprobe=args.default_nprobe)
    chosen_ivf = reader.ivf is not None

    # Build times, from scratch, repeated
    with _bulk_faiss():
        out["flat_build_s"], out["flat_build_noise"], flat = timed_repeats(
            lambda: _flat_index(corpus.dim, ids, vectors), args.repeats)
    out["ivf_build_s"], out["ivf_build_noise"], ivf = timed_repeats(
        lambda: _ivf_index(corpus.dim, ids, vectors), args.repeats)
    out["ivf_type"] = f"IVF{ivf_lists(n)},SQ8"
    if chosen_ivf:
        ivf = reader.vectors  # the index the writer made and the reader loaded
    print(f"  build: flat {out['flat_build_s']:.2f} s, {out['ivf_type']} {out['ivf_build_s']:.2f} s", flush=True)

    # Ground truth: exact top 10 over the float vectors
    truth = exact_top_k(vectors, queries, 10) + 1
    country = COUNTRIES[5]
    allowed = np.array([r[0] for r in reader.db.execute(
        "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.country = ?", (country,))],
        dtype=np.int64)
    truth_filtered = allowed[exact_top_k(vectors[allowed - 1], queries, 10)]
    out["filter_share"] = len(allowed) / n

    # Vector search latency, one thread, interleaved
    faiss.omp_set_num_threads(1)
    methods: dict[str, object] = {"exact flat (baseline)": ("flat", None)}
    ivf_base = faiss.extract_index_ivf(ivf)
    for p in args.nprobe:
        if p <= ivf_base.nlist:
            methods[f"{out['ivf_type']} nprobe {p}"] = ("ivf", p)
    timings = {m: Timing() for m in methods}
    found = {m: [] for m in methods}
    filtered, filtered_found = Timing(), []
    for r in range(args.repeats):
        for tm in timings.values():
            tm.new_repeat()
        filtered.new_repeat()
        for qi, q in enumerate(queries):
            q1 = q[None]
            for name, (kind, p) in methods.items():
                if kind == "flat":
                    t = time.perf_counter()
                    _, got = flat.search(q1, DEPTH)
                else:
                    ivf_base.nprobe = p
                    t = time.perf_counter()
                    _, got = ivf.search(q1, DEPTH)
                timings[name].add(time.perf_counter() - t)
                if r == 0:
                    found[name].append(got[0][:10])
            # filtered, through the reader (its nprobe; widened by the filter when IVF)
            if chosen_ivf:
                reader.ivf.nprobe = args.default_nprobe
            t = time.perf_counter()
            _, got = reader.search_vectors(q, DEPTH, allowed)
            filtered.add(time.perf_counter() - t)
            if r == 0:
                filtered_found.append(got[0][:10])
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    out["methods"] = []
    for name in methods:
        out["methods"].append({
            "name": name, "p50": timings[name].p50, "p95": timings[name].p95,
            "recall": recall_at(np.vstack(found[name]), truth, 10), "noise": timings[name].noisy(),
            "chosen": (name.startswith("exact") and not chosen_ivf)
            or (chosen_ivf and methods[name][1] == args.default_nprobe)})
    out["filtered"] = {"p50": filtered.p50, "p95": filtered.p95, "noise": filtered.noisy(),
                       "recall": recall_at(np.vstack(filtered_found), truth_filtered, 10)}
    for m in out["methods"]:
        print(f"  {m['name']:<28} p50 {ms(m['p50'])} ms  p95 {ms(m['p95'])} ms  recall@10 {m['recall']:.3f} "
              f"{m['noise']}", flush=True)
    f = out["filtered"]
    print(f"  filtered ({country}, {out['filter_share']:.1%}) p50 {ms(f['p50'])} ms p95 {ms(f['p95'])} ms "
          f"recall@10 {f['recall']:.3f} {f['noise']}", flush=True)

    # SQLite: metadata of 10 chunks, and the keyword rankings
    meta, fts, postings, near = Timing(), Timing(), Timing(), Timing()
    questions = [vocab.question(kept[int(c)], rng) for c in list(kept)[: args.fts_queries]]
    term_lists, matches, near_matches = [], [], []
    for question in questions:
        terms = query_terms(question, ("en",))
        term_lists.append(terms)
        matches.append(" OR ".join(f'"{t}"' for t in terms))
        near_matches.append(" OR ".join(f'NEAR("{a}" "{b}", 2)' for a, b in zip(terms, terms[1:])))
    sql = ("SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
           " ORDER BY bm25(chunk_terms) LIMIT ?")
    id_sets = [rng.choice(ids, size=10, replace=False).tolist() for _ in range(args.queries)]
    same_top10 = 0
    for r in range(args.repeats):
        for tm in (meta, fts, postings, near):
            tm.new_repeat()
        for chosen in id_sets:
            t = time.perf_counter()
            got = reader.chunks_by_id(chosen)
            meta.add(time.perf_counter() - t)
            assert len(got) == 10
        for terms, match, near_match in zip(term_lists, matches, near_matches):
            t = time.perf_counter()
            by_fts = reader.db.execute(sql, (match, DEPTH)).fetchall()
            fts.add(time.perf_counter() - t)
            t = time.perf_counter()
            by_postings = bm25_scores(reader.db, terms, DEPTH)
            postings.add(time.perf_counter() - t)
            t = time.perf_counter()
            reader.db.execute(sql, (near_match, DEPTH)).fetchall()
            near.add(time.perf_counter() - t)
            if r == 0:
                same_top10 += [row[0] for row in by_fts[:10]] == list(by_postings)[:10]
    out["meta"] = {"p50": meta.p50, "p95": meta.p95, "noise": meta.noisy()}
    out["fts"] = {"p50": fts.p50, "p95": fts.p95, "noise": fts.noisy(), "queries": len(matches)}
    out["postings"] = {"p50": postings.p50, "p95": postings.p95, "noise": postings.noisy(),
                       "same_top10": same_top10 / max(len(matches), 1)}
    out["near"] = {"p50": near.p50, "p95": near.p95, "noise": near.noisy()}
    print(f"  sqlite: 10 chunks p50 {ms(meta.p50)} ms p95 {ms(meta.p95)} ms {meta.noisy()}\n"
          f"  keyword OR: FTS5 bm25() p50 {ms(fts.p50)} ms p95 {ms(fts.p95)} ms {fts.noisy()}; postings (used) "
          f"p50 {ms(postings.p50)} ms p95 {ms(postings.p95)} ms {postings.noisy()}; same top 10 as FTS5 in "
          f"{out['postings']['same_top10']:.0%} of questions\n"
          f"  proximity (FTS5 NEAR pairs, used) p50 {ms(near.p50)} ms p95 {ms(near.p95)} ms {near.noisy()}",
          flush=True)
    reader.close()

    # The whole question through Searcher.search, as the CLI and the app ask it: the real encoder
    # (the synthetic vectors have its dimension; what it finds is not the point, the time is),
    # keyword postings, proximity, vector search, fusion, collapse, highlights; 10 results.
    if args.encoder is not None:
        searcher = Searcher(index_dir, Settings(nprobe=args.default_nprobe), encoder=args.encoder)
        whole = Timing()
        for _ in range(args.repeats):
            whole.new_repeat()
            for question in questions:
                t = time.perf_counter()
                found = searcher.search(question, 10)
                whole.add(time.perf_counter() - t)
                assert len(found) == 10
        searcher.close()
        out["search"] = {"p50": whole.p50, "p95": whole.p95, "noise": whole.noisy()}
        print(f"  Searcher.search, whole question: p50 {ms(whole.p50)} ms p95 {ms(whole.p95)} ms {whole.noisy()}",
              flush=True)

    # Memory of a process holding the index, and of one holding the exact index
    flat_path = work / f"flat-{n}.faiss"
    faiss.write_index(flat, str(flat_path))
    out["flat_faiss_bytes"] = flat_path.stat().st_size
    out["rss_bytes"] = process_rss("reader", index_dir)
    out["flat_rss_bytes"] = process_rss("faiss", flat_path)
    if not chosen_ivf:
        ivf_path = work / f"ivf-{n}.faiss"
        faiss.write_index(ivf, str(ivf_path))
        out["ivf_faiss_bytes"] = ivf_path.stat().st_size
        out["ivf_rss_bytes"] = process_rss("faiss", ivf_path)
        ivf_path.unlink()
    else:
        out["ivf_faiss_bytes"], out["ivf_rss_bytes"] = manifest.faiss_bytes, None
    flat_path.unlink()
    print(f"  disk {(manifest.faiss_bytes + manifest.sqlite_bytes) / n:.0f} B/chunk "
          f"(faiss {manifest.faiss_bytes / n:.0f}, sqlite {manifest.sqlite_bytes / n:.0f}); "
          f"RSS holding it {out['rss_bytes'] / 2**20:.0f} MB, exact index {out['flat_rss_bytes'] / 2**20:.0f} MB",
          flush=True)
    if not args.keep:
        shutil.rmtree(index_dir, ignore_errors=True)
    del vectors, flat, ivf
    out["total_s"] = time.perf_counter() - t0
    return out


# -- report -----------------------------------------------------------------------------------------


def report(results: list[dict], args, started: str, loads: tuple) -> str:
    lines = [
        "# Scale benchmark (issue 5)", "",
        f"`python benchmarks/bench_scale.py {' '.join(sys.argv[1:])}`, {started}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, faiss {faiss.__version__}, "
        f"SQLite {__import__('sqlite3').sqlite_version}; load average {loads[0]:.2f} at start, {loads[1]:.2f} at end "
        "(the machine is shared).", "",
        f"exact_search_limit = {args.limit:,}, nprobe = {args.default_nprobe}; {args.queries} vector questions and "
        f"{args.fts_queries} keyword questions per repeat, {args.repeats} repeats; latencies are medians over repeats "
        f"of each repeat's p50 / p95, single question, one FAISS thread, depth {DEPTH}; recall@10 against exact "
        "search over the float vectors.", "",
        "## Summary", "",
        "| chunks | index chosen | FAISS in commit s | SQLite load s | exact p50 / p95 ms | chosen p50 / p95 ms "
        "| recall@10 | disk B/chunk (faiss + sqlite) | RSS holding it, B/chunk | 10-chunk metadata p50 / p95 ms "
        "| keyword BM25 from postings p50 / p95 ms (FTS5 bm25() baseline) | proximity NEAR p50 / p95 ms "
        "| whole question (Searcher.search) p50 / p95 ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        exact = r["methods"][0]
        chosen = next(m for m in r["methods"] if m["chosen"])
        lines.append(
            f"| {r['n']:,} | {r['faiss_index']} | {r['commit_vectors_s']:.2f} | {r['sqlite_load_s']:.1f} "
            f"| {ms(exact['p50'])} / {ms(exact['p95'])} | {ms(chosen['p50'])} / {ms(chosen['p95'])} "
            f"| {chosen['recall']:.3f} | {(r['faiss_bytes'] + r['sqlite_bytes']) / r['n']:,.0f} "
            f"({r['faiss_bytes'] / r['n']:,.0f} + {r['sqlite_bytes'] / r['n']:,.0f}) "
            f"| {r['rss_bytes'] / r['n']:,.0f} ({r['rss_bytes'] / 2**20:,.0f} MB) "
            f"| {ms(r['meta']['p50'])} / {ms(r['meta']['p95'])} "
            f"| {ms(r['postings']['p50'])} / {ms(r['postings']['p95'])} ({ms(r['fts']['p50'])} / {ms(r['fts']['p95'])}) "
            f"| {ms(r['near']['p50'])} / {ms(r['near']['p95'])} "
            f"| {ms(r['search']['p50']) + ' / ' + ms(r['search']['p95']) if 'search' in r else 'not run'} |")
    lines += ["", "## Vector search by index", ""]
    lines += ["| chunks | index | build s (median) | p50 ms | p95 ms | recall@10 | file B/chunk | RSS B/chunk | note |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        n = r["n"]
        for m in r["methods"]:
            is_flat = m["name"].startswith("exact")
            build = r["flat_build_s"] if is_flat else r["ivf_build_s"]
            noise = "; ".join(x for x in (m["noise"], r["flat_build_noise"] if is_flat else r["ivf_build_noise"]) if x)
            file_b = r["flat_faiss_bytes"] if is_flat else r["ivf_faiss_bytes"]
            rss = r["flat_rss_bytes"] if is_flat else (r["ivf_rss_bytes"] if r["ivf_rss_bytes"] is not None
                                                          else r["rss_bytes"])
            note = "; ".join(x for x in ("**chosen**" if m["chosen"] else "", noise) if x)
            lines.append(f"| {n:,} | {m['name']} | {build:.2f} | {ms(m['p50'])} | {ms(m['p95'])} | {m['recall']:.3f} "
                         f"| {file_b / n:,.0f} | {rss / n:,.0f} | {note} |")
        f = r["filtered"]
        lines.append(f"| {n:,} | {r['faiss_index']}, filtered to 1 country ({r['filter_share']:.1%} of chunks) | | "
                     f"{ms(f['p50'])} | {ms(f['p95'])} | {f['recall']:.3f} | | | {f['noise']} |")
    lines += ["", "## SQLite", ""]
    lines += ["| chunks | SQLite B/chunk | load s (rows + FTS5 + postings) | 10-chunk metadata p50 / p95 ms "
              "| keyword OR, FTS5 bm25() p50 / p95 ms (baseline) | keyword OR, BM25 from postings p50 / p95 ms (used) "
              "| same top 10 | proximity NEAR p50 / p95 ms | note |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        noise = "; ".join(x for x in (r["meta"]["noise"], r["fts"]["noise"], r["postings"]["noise"],
                                      r["near"]["noise"]) if x)
        lines.append(f"| {r['n']:,} | {r['sqlite_bytes'] / r['n']:,.0f} | {r['sqlite_load_s']:.1f} "
                     f"| {ms(r['meta']['p50'])} / {ms(r['meta']['p95'])} | {ms(r['fts']['p50'])} / {ms(r['fts']['p95'])} "
                     f"| {ms(r['postings']['p50'])} / {ms(r['postings']['p95'])} | {r['postings']['same_top10']:.0%} "
                     f"| {ms(r['near']['p50'])} / {ms(r['near']['p95'])} | {noise} |")
    lines += ["", "Run time per size: " + ", ".join(f"{r['n']:,}: {r['total_s']:.0f} s" for r in results), ""]
    return "\n".join(lines)


def main() -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated chunk counts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="vector questions (and 10-id fetches) per repeat")
    parser.add_argument("--fts-queries", type=int, default=50, help="keyword questions per repeat")
    parser.add_argument("--nprobe", default="4,8,16,32,64", help="nprobe values timed on the IVF index")
    parser.add_argument("--limit", type=int, default=defaults.exact_search_limit, help="exact_search_limit")
    parser.add_argument("--default-nprobe", type=int, default=defaults.nprobe, help="the nprobe setting")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "scale.md")
    parser.add_argument("--no-search", action="store_true",
                        help="skip the whole-question Searcher timing (it loads the ONNX encoder)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: 2,000 chunks, one repeat, few questions; the report goes to a temporary file")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.repeats, args.queries, args.fts_queries, args.nprobe = "2000", 1, 20, 5, "4"
        args.out = Path(tempfile.mkdtemp(prefix="bench-scale-smoke-")) / "scale.md"
        atexit.register(shutil.rmtree, args.out.parent, True)
    args.encoder = None
    if not args.no_search:
        from indexer.embedding import load_encoder

        args.encoder = load_encoder(defaults)
        args.encoder.encode(["load the model once"])
    args.nprobe = sorted({int(x) for x in args.nprobe.split(",")} | {args.default_nprobe})
    sizes = [int(x) for x in args.sizes.split(",")]
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_start = os.getloadavg()[0]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    vocab = Vocabulary(50_000, seed=1)
    print(f"vocabulary of 50,000 words in {time.perf_counter() - t:.1f} s; work folder {work}", flush=True)
    results = []
    try:
        for n in sizes:
            results.append(run_size(n, args, vocab, work))
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    text = report(results, args, started, (load_start, os.getloadavg()[0]))
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
