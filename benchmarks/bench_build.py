"""Build throughput on a corpus, against baselines measured in the same run, plus the
quality guard that decides which encoder runtime may be the default.

Timed `--repeats` times each (medians, with a flag on any repeat over 1.5x its median:
the machine is shared and a busy neighbour can slow one repeat several-fold). The build's
ratio to the raw encoder is the median of per-repeat ratios, each repeat timing the two back
to back (in turn first), so both sides of a ratio see the same machine:
  * raw encoder: the chosen backend (`--backend`, default the settings' default) on exactly the
    chunks the build embeds, with nothing else (no parsing, no storage);
  * full build: `build_index` into an empty folder (parse, chunk, embed, write);
  * tutorial pipeline: the same text cut into 1,000-character chunks with 200 overlap, embedded
    with sentence-transformers `encode` at batch size 64, fp32 torch (what a tutorial does);
  * rebuild with nothing changed, and with one file changed.
Once:
  * a cold `python -m indexer build` in a child process: its wall time and peak RSS;
  * the quality guard (`--gold`): every backend encodes the build's chunks; each is compared
    with sentence-transformers fp32 (mean and minimum cosine similarity, throughput) and an
    index built from its vectors is scored on the dev questions (MRR@10, Success@1). A backend
    passes when its mean cosine is at least 0.99 and its MRR@10 is at most 0.01 below fp32's.

    python benchmarks/bench_build.py --corpus ../shared/corpus-real --repeats 3
    python benchmarks/bench_build.py --repeats 1 --no-guard          the timing table only
    python benchmarks/bench_build.py --builds-only --repeats 3        raw encoder and builds only (before/after
                                                                     comparisons of the build path)
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.analysis import detect_language  # noqa: E402
from indexer.build import BuildReport, build_index, scan_corpus  # noqa: E402
from indexer.chunking import Chunker  # noqa: E402
from indexer.embedding import SentenceTransformerEncoder, encoder_for  # noqa: E402
from indexer.errors import LoaderError  # noqa: E402
from indexer.loaders import load_file  # noqa: E402
from indexer.settings import BACKENDS, Settings  # noqa: E402

NOISY = 1.5  # a repeat this many times its median is reported as disturbed


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def corpus_texts(corpus: Path, chunker: Chunker) -> tuple[list[str], list[str]]:
    """The exact texts a build embeds, and the tutorial's 1,000-character chunks of the same documents."""
    ours, naive = [], []
    for f in scan_corpus(corpus, BuildReport(index_dir=Path("."))):
        try:
            documents = load_file(f.path, f.source).documents
        except LoaderError:
            continue
        for d in documents:
            ours += [c.embedding_text for c in chunker.chunk(d)]
            naive += [d.text[i:i + 1000] for i in range(0, max(len(d.text) - 200, 1), 800)]
    return ours, naive


class Precomputed:
    """An encoder that returns vectors already computed for these texts (to build guard indexes cheaply)."""

    def __init__(self, like, texts: list[str], vectors: np.ndarray) -> None:
        self.name, self.tokenizer, self.dimension = like.name, like.tokenizer, vectors.shape[1]
        self._by_text = dict(zip(texts, vectors))

    def encode(self, texts, progress=None, token_ids=None):
        out = np.vstack([self._by_text[t] for t in texts]) if texts else np.zeros((0, self.dimension), np.float32)
        if progress:
            progress(len(texts))
        return out


def quality_guard(corpus: Path, gold: Path, ours: list[str], reference: SentenceTransformerEncoder,
                  settings: Settings) -> list[tuple]:
    """(backend, passages/s, mean cos, min cos, MRR@10, S@1) for every backend; torch fp32 is the reference."""
    from search import Searcher
    from search.evaluate import evaluate, load_gold

    questions = load_gold(gold)
    rows, ref_vectors, ref_mrr = [], None, None
    for backend in ("torch", *[b for b in BACKENDS if b != "torch"]):
        encoder = reference if backend == "torch" else encoder_for(settings.model, backend, settings)
        encoder.encode(ours[:8])  # load (and export, the first time) outside the timing
        started = time.perf_counter()
        vectors = encoder.encode(ours)
        seconds = time.perf_counter() - started
        ref_vectors = vectors if ref_vectors is None else ref_vectors
        cosine = (vectors * ref_vectors).sum(axis=1)
        work = Path(tempfile.mkdtemp(prefix=f"bench-guard-{backend}-"))
        try:
            s = settings.with_overrides(corpus_dir=corpus, index_dir=work / "index", backend=backend)
            build_index(s, progress=False, encoder=Precomputed(encoder, ours, vectors))
            searcher = Searcher(s.index_dir, s, encoder=encoder)
            report = evaluate(questions, lambda q: [h.to_dict() for h in searcher.search(q, 10)])
            searcher.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        ref_mrr = report.mrr10 if ref_mrr is None else ref_mrr
        rows.append((backend, len(ours) / seconds, float(cosine.mean()), float(cosine.min()),
                     report.mrr10, report.success[1], cosine.mean() >= 0.99 and report.mrr10 >= ref_mrr - 0.01))
    return rows


_MEASURED_CLI = """
import resource, runpy, sys
sys.argv = ["indexer", *sys.argv[1:]]
try:
    runpy.run_module("indexer", run_name="__main__")
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def cold_cli_build(corpus: Path, backend: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of `python -m indexer build` in a fresh process.

    The child reports its own peak after exec: a forked child's ru_maxrss would include the
    pages it shared with this (large) benchmark process before exec.
    """
    work = Path(tempfile.mkdtemp(prefix="bench-cli-build-"))
    try:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MEASURED_CLI, "build", "--corpus", str(corpus), "--index",
                               str(work / "index"), "--backend", backend, "--quiet"], cwd=REPO, check=False,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - t
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        return seconds, peak_kib / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-real"))
    parser.add_argument("--gold", type=Path, default=Path("../shared/eval/dev.jsonl"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", choices=BACKENDS, default=Settings().backend,
                        help="the runtime the build uses (default: the settings' default)")
    parser.add_argument("--no-guard", action="store_true", help="skip the per-backend quality guard")
    parser.add_argument("--builds-only", action="store_true",
                        help="time only the raw encoder and the builds: no tutorial pipeline, cold CLI build "
                             "or guard (a before/after comparison of the build path in a few minutes)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the builds alone on the starter corpus, one repeat (a few seconds)")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data(build=False)
        args.corpus, args.gold, args.repeats, args.builds_only = data.corpus, data.gold, 1, True
    if not args.corpus.is_dir():
        print(f"needs {args.corpus} (the team's shared corpus)", file=sys.stderr)
        return 2
    settings = Settings(corpus_dir=args.corpus, backend=args.backend)
    encoder = encoder_for(settings.model, args.backend, settings)
    encoder.encode(["load once, outside every timing"])
    tutorial = None if args.smoke else SentenceTransformerEncoder(settings.model)  # smoke: no torch to load
    if tutorial is not None:
        tutorial.model.encode(["load once"])

    chunker = Chunker(encoder.tokenizer, settings.max_tokens, settings.chunk_tokens, settings.overlap_tokens,
                      detect_language=detect_language)
    ours, naive = corpus_texts(args.corpus, chunker)
    tokens = sum(len(e.ids) + 2 for e in encoder.tokenizer.encode_batch(ours))

    rows: dict[str, list[float]] = {k: [] for k in ("raw", "build", "tutorial", "nochange", "onefile")}
    sizes = []
    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1}/{args.repeats} ...", file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix="bench-build-"))
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        s = settings.with_overrides(corpus_dir=corpus, index_dir=work / "index")
        # The raw encoder and the build run back to back, in turn first (raw-build, build-raw, ...):
        # the machine's speed drifts over minutes, and each pair is compared under the same drift.
        pair = {"raw": lambda: encoder.encode(ours), "build": lambda: build_index(s, progress=False, encoder=encoder)}
        for key in (("raw", "build") if repeat % 2 == 0 else ("build", "raw")):
            rows[key].append(timed(pair[key]))
        rows["nochange"].append(timed(lambda: build_index(s, progress=False, encoder=encoder)))
        target = max((p for p in corpus.rglob("*.md")), key=lambda p: p.stat().st_size)
        target.write_text(target.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n", encoding="utf-8")
        rows["onefile"].append(timed(lambda: build_index(s, progress=False, encoder=encoder)))
        sizes.append(sum(p.stat().st_size for p in (work / "index").iterdir() if p.is_file()))
        shutil.rmtree(work)
        if not args.builds_only:
            rows["tutorial"].append(timed(lambda: tutorial.model.encode(naive, batch_size=64,
                                                                        show_progress_bar=False)))
    if not args.builds_only:
        print("cold CLI build in a child process ...", file=sys.stderr)
        cli_seconds, cli_peak = cold_cli_build(args.corpus, args.backend)
    guard = []
    if not args.no_guard and not args.builds_only and args.gold.is_file():
        print("quality guard: every backend on the build's chunks ...", file=sys.stderr)
        guard = quality_guard(args.corpus, args.gold, ours, tutorial, settings)

    rows = {k: v for k, v in rows.items() if v}
    med = {k: statistics.median(v) for k, v in rows.items()}
    noisy = {k: sum(1 for x in v if med[k] and x > NOISY * med[k]) for k, v in rows.items()}
    print(f"\ncorpus {args.corpus}: {len(ours)} chunks, {tokens} word pieces (tutorial: {len(naive)} chunks); "
          f"backend {args.backend}; {args.repeats} repeats, medians; 'noisy' counts repeats over "
          f"{NOISY}x their median (a busy machine)\n")
    print("| step | seconds (median) | chunks/s | tokens/s | all repeats | noisy |")
    print("|---|---|---|---|---|---|")
    for key, label in (("raw", f"raw encoder ({args.backend}), same chunks"), ("build", "full build (end to end)"),
                       ("tutorial", "tutorial pipeline (1,000 chars, ST fp32, batch 64)"),
                       ("nochange", "rebuild, nothing changed"), ("onefile", "rebuild, one file changed")):
        if key not in rows:
            continue
        n = len(naive) if key == "tutorial" else len(ours)
        tps = f"{tokens / med[key]:.0f}" if key in ("raw", "build") else ""
        every = ", ".join(f"{x:.2f}" for x in rows[key])
        print(f"| {label} | {med[key]:.2f} | {n / med[key]:.1f} | {tps} | {every} | {noisy[key]} |")
    paired = [raw / build for raw, build in zip(rows["raw"], rows["build"])]
    print(f"\nbuild / raw encoder throughput: {statistics.median(paired):.2f}, the median of each repeat's "
          f"back-to-back pair ({', '.join(f'{r:.3f}' for r in paired)}); ratio of the medians "
          f"{med['raw'] / med['build']:.2f} (target >= 0.9)")
    if "tutorial" in med:
        print(f"speed-up over the tutorial pipeline: {med['tutorial'] / med['build']:.2f}x (target >= 2.5x)")
    print(f"no-change rebuild / full build: {100 * med['nochange'] / med['build']:.2f}% (target < 3%)")
    print(f"index bytes on disk per chunk: {statistics.median(sizes) / len(ours):.0f}")
    if not args.builds_only:
        print(f"cold `python -m indexer build` (child process): {cli_seconds:.1f} s, peak RSS {cli_peak:.0f} MiB")
    print(f"peak RSS of this benchmark process (both runtimes loaded): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if guard:
        print("\nquality guard (reference: sentence-transformers fp32 torch; pass = mean cos >= 0.99 and "
              "MRR@10 >= fp32's - 0.01)\n")
        print("| backend | passages/s | speed vs torch | mean cos | min cos | MRR@10 | S@1 | passes |")
        print("|---|---|---|---|---|---|---|---|")
        for backend, rate, mean_cos, min_cos, mrr, s1, ok in guard:
            print(f"| {backend} | {rate:.1f} | {rate / guard[0][1]:.2f}x | {mean_cos:.4f} | {min_cos:.4f} | "
                  f"{mrr:.3f} | {s1:.3f} | {'yes' if ok else 'NO'} |")
        passing = [g for g in guard if g[-1]]
        fastest = max(passing, key=lambda g: g[1])[0]
        verdict = "is" if fastest == Settings().backend else f"is NOT (default is {Settings().backend})"
        print(f"\nfastest backend that passes the guard: {fastest}, which {verdict} the default")
    return 0


if __name__ == "__main__":
    sys.exit(main())
