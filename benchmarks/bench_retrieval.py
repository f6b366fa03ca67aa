"""Retrieval quality and latency of the project's index against naive baselines (and txtai's defaults), in one run.

Baselines (implemented here, as a tutorial would): the corpus's text cut into
1,000-character chunks with 200 characters of overlap, then (a) BM25 alone, (b) the same
embedding model alone (all-MiniLM-L6-v2, exact inner-product search), (c) both mixed half and
half: BM25 divided by the question's top BM25 score, plus the cosine (a simple hybrid; hybrid
libraries normalise in their own ways, so this is not any one of them), and with --txtai (d) txtai's
hybrid index with its defaults (``Embeddings(path=MODEL, hybrid=True, content=True)``) over the same
chunks and model: a library's hybrid as its users get it (``pip install txtai==9.14.0``; the figures
name the version). Our retriever is the
project's own index (build it first, see --index), hybrid and with the keyword rankings off (the
dense-only search that is the hybrid's latency reference). Prints MRR@10, Success@1/3/5/10,
Coverage@10 and query latency (median and p95 of several passes) for each, and the bare vector
lookup's latency.

    python benchmarks/bench_retrieval.py --corpus ../shared/corpus-real --index real-index \
        --gold ../shared/eval/dev.jsonl

Several --gold files are measured in one run (the baselines' chunks are embedded once), each in
its own table, then MRR@10 and Success@1 over all their questions together.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.build import BuildReport, scan_corpus  # noqa: E402
from indexer.embedding import SentenceTransformerEncoder  # noqa: E402
from indexer.errors import LoaderError  # noqa: E402
from indexer.loaders import load_file  # noqa: E402
from indexer.settings import PACKAGED_MODEL_NAME  # noqa: E402
from search import Searcher, candidates  # noqa: E402
from search.evaluate import evaluate, load_gold  # noqa: E402


def naive_chunks(corpus: Path, size: int = 1000, overlap: int = 200) -> list[dict]:
    """1,000-character windows with 200 overlap over each page / section / record."""
    out = []
    for f in scan_corpus(corpus, BuildReport(index_dir=Path("."))):
        try:
            docs = load_file(f.path, f.source).documents
        except LoaderError:
            continue
        for d in docs:
            p = d.provenance
            for start in range(0, max(len(d.text) - overlap, 1), size - overlap):
                out.append({"text": d.text[start:start + size], "source": p.source, "page": p.page,
                            "commitment_id": p.commitment_id, "citation": f"{p.source} p{p.page}"})
    return out


_TOKEN = re.compile(r"\w+")


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over lower-cased word tokens, as tutorials use it."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.docs = [Counter(_TOKEN.findall(t.lower())) for t in texts]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float32)
        self.avg = float(self.lengths.mean())
        df: Counter = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(texts)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(self.docs):
            for t, c in d.items():
                self.postings.setdefault(t, []).append((i, c))
        self.k1, self.b = k1, b

    def top(self, query: str, k: int = 10) -> list[int]:
        return list(np.argsort(-self.scores(query))[:k])

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(len(self.docs), dtype=np.float32)
        for t in set(_TOKEN.findall(query.lower())):
            idf = self.idf.get(t)
            if idf is None:
                continue
            for i, c in self.postings[t]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
                scores[i] += idf * c * (self.k1 + 1) / (c + norm)
        return scores


def latency(ask, questions, passes: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(passes):
        for q in questions:
            t = time.perf_counter()
            ask(q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def print_table(gold_file: Path, gold, rows, bare: tuple[float, float], naive_chunks: int, project_chunks: int,
                corpus: Path, per_question: bool) -> None:
    print(f"\n{gold_file}: {len(gold)} questions, corpus {corpus}, {naive_chunks} naive chunks, "
          f"{project_chunks} project chunks\n")
    print("| retriever | MRR@10 | S@1 | S@3 | S@5 | S@10 | Cov@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r, p50, p95 in rows:
        s = r.success
        print(f"| {name} | {r.mrr10:.3f} | {s[1]:.3f} | {s[3]:.3f} | {s[5]:.3f} | {s[10]:.3f} | "
              f"{r.coverage10:.3f} | {p50:.1f} | {p95:.1f} |")
    print(f"| bare vector lookup on the project index (encoding + FAISS, no passages) | | | | | | | "
          f"{bare[0]:.1f} | {bare[1]:.1f} |")
    ours, dense_only = rows[-1], rows[-2]
    print(f"\nhybrid / dense-only search latency, p50: {ours[2] / dense_only[2]:.2f}x (target <= 1.5x); "
          f"hybrid / bare vector lookup: {ours[2] / bare[0]:.2f}x")
    for qid, q, got in ours[1].misses:
        print(f"miss {qid}: {q} -> {got[:2]}")
    if per_question:
        print("\nfirst relevant rank (- = not in the top 10): " + " / ".join(name for name, *_ in rows))
        for g in gold:
            ranks = [r.first_relevant_rank.get(g.id) for _, r, _, _ in rows]
            print(f"  {g.id}: {' / '.join(str(x or '-') for x in ranks)}  {g.q}")


def txtai_baseline(chunks: list[dict]) -> tuple[str, object]:
    """(name, ask) of txtai's hybrid index over ``chunks`` with the packaged model, every other
    setting txtai's default."""
    try:
        from txtai import Embeddings
    except ImportError:
        raise SystemExit("--txtai needs txtai: pip install txtai==9.14.0") from None
    from importlib.metadata import version

    from indexer.embedding import resolve_model_path

    print(f"indexing {len(chunks)} naive chunks with txtai {version('txtai')} (hybrid, defaults) ...", file=sys.stderr)
    embeddings = Embeddings(path=resolve_model_path(PACKAGED_MODEL_NAME), hybrid=True, content=True)
    embeddings.index((i, chunk["text"], None) for i, chunk in enumerate(chunks))

    def ask_txtai(q: str) -> list[dict]:
        return [chunks[int(r["id"])] for r in embeddings.search(q, 10)]

    return f"txtai {version('txtai')} hybrid, defaults, 1,000-char chunks", ask_txtai


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-real"))
    parser.add_argument("--index", type=Path, default=Path("real-index"))
    parser.add_argument("--gold", type=Path, action="append",
                        help="gold question file (JSON Lines); repeat for several (default: ../shared/eval/dev.jsonl)")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--per-question", action="store_true",
                        help="also print each question's first relevant rank under every retriever")
    parser.add_argument("--txtai", action="store_true",
                        help="also txtai's hybrid index with its defaults over the same chunks (pip install txtai)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus, its index and four questions, one pass")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.corpus, args.index, args.gold, args.passes = data.corpus, data.index, [data.gold], 1
    gold_files = args.gold or [Path("../shared/eval/dev.jsonl")]
    missing = [str(p) for p in [args.corpus, *gold_files] if not p.exists()]
    if missing:
        print(f"needs {', '.join(missing)} (the team's shared corpus and gold questions)", file=sys.stderr)
        return 2
    encoder = SentenceTransformerEncoder(PACKAGED_MODEL_NAME)

    print("cutting the naive 1,000-character chunks ...", file=sys.stderr)
    chunks = naive_chunks(args.corpus)
    bm25 = BM25([c["text"] for c in chunks])
    print(f"embedding {len(chunks)} naive chunks for the dense baseline ...", file=sys.stderr)
    vectors = encoder.encode([c["text"] for c in chunks])

    def ask_bm25(q: str) -> list[dict]:
        return [chunks[i] for i in bm25.top(q, 10)]

    def ask_dense(q: str) -> list[dict]:
        scores = vectors @ encoder.encode([q])[0]
        return [chunks[i] for i in np.argsort(-scores)[:10]]

    def ask_naive_hybrid(q: str) -> list[dict]:
        keyword = bm25.scores(q)
        keyword /= max(float(keyword.max()), 1e-9)
        scores = 0.5 * keyword + 0.5 * (vectors @ encoder.encode([q])[0])
        return [chunks[i] for i in np.argsort(-scores)[:10]]

    extra_baselines = []
    if args.txtai:
        extra_baselines.append(txtai_baseline(chunks))

    # The project answers with the runtime its index was built with (the manifest's backend);
    # the dense baseline above is the tutorial's sentence-transformers fp32.
    searcher = Searcher(args.index)
    searcher.warm_up()

    def ask_ours(q: str) -> list[dict]:
        return [h.to_dict() for h in searcher.search(q, 10)]

    # The latency reference for the hybrid: the same searcher with the keyword ranking and the
    # learned ranker off, so it returns the same kind of cited, de-duplicated,
    # highlighted passages from the dense ranking alone (what "dense-only search" costs in this product).
    dense_only = Searcher(args.index, searcher.settings.with_overrides(
        keyword_weight=0, rerank_depth=0), encoder=searcher.encoder)

    def ask_our_dense_only(q: str) -> list[dict]:
        return [h.to_dict() for h in dense_only.search(q, 10)]

    def bare_vector_lookup(q: str) -> list[int]:
        # Question encoding and the FAISS lookup only: no passages read, nothing cited.
        return candidates.dense(searcher.reader, searcher.encode_query(q), 10, None)

    retrievers = (("BM25, 1,000-char chunks", ask_bm25), ("dense, 1,000-char chunks", ask_dense),
                  ("BM25 + dense half and half, 1,000-char chunks", ask_naive_hybrid), *extra_baselines,
                  ("this project, dense only (same output, keyword rankings and ranker off)", ask_our_dense_only),
                  ("this project (hybrid)", ask_ours))
    totals = {name: [0.0, 0.0, 0] for name, _ in retrievers}  # reciprocal ranks, firsts, questions
    for gold_file in gold_files:
        gold = load_gold(gold_file)
        questions = [g.q for g in gold]
        rows = []
        for name, ask in retrievers:
            report = evaluate(gold, ask)
            p50, p95 = latency(ask, questions, args.passes)
            rows.append((name, report, p50, p95))
            totals[name][0] += report.mrr10 * report.questions
            totals[name][1] += report.success[1] * report.questions
            totals[name][2] += report.questions
        print_table(gold_file, gold, rows, latency(bare_vector_lookup, questions, args.passes), len(chunks),
                    searcher.manifest.chunks, args.corpus, args.per_question)
    if len(gold_files) > 1:
        print(f"\nall {totals[retrievers[0][0]][2]} questions of {len(gold_files)} sets: MRR@10 / S@1")
        for name, (reciprocal, first, n) in totals.items():
            print(f"  {name}: {reciprocal / n:.3f} / {first / n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
