"""Build throughput on a corpus, against baselines measured in the same run.

For the same corpus it times, `--repeats` times each, and prints medians:
  * raw encoder: the project's encoder on exactly the chunks the build embeds (no parsing, no storage);
  * full build: `build_index` into an empty folder (parse, chunk, embed, write);
  * tutorial pipeline: the same text cut into 1,000-character chunks with 200 overlap, embedded with
    sentence-transformers `encode` at batch size 64 (what a tutorial does), no storage;
  * rebuild with nothing changed, and with one file changed;
and reports tokens/s, chunks/s, the build/raw-encoder ratio (the pipeline's own overhead), the speed-up
over the tutorial pipeline, peak RSS of this process, and index bytes on disk per chunk.

    python benchmarks/bench_build.py --corpus ../shared/corpus-real --repeats 3
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.analysis import detect_language  # noqa: E402
from indexer.build import BuildReport, build_index, scan_corpus  # noqa: E402
from indexer.chunking import Chunker  # noqa: E402
from indexer.embedding import SentenceTransformerEncoder  # noqa: E402
from indexer.errors import LoaderError  # noqa: E402
from indexer.loaders import load_file  # noqa: E402
from indexer.settings import Settings  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-real"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"needs {args.corpus}", file=sys.stderr)
        return 2
    settings = Settings(corpus_dir=args.corpus)
    encoder = SentenceTransformerEncoder(settings.model, settings.batch_size)
    encoder.model  # load once, outside every timing

    # The exact chunks a build embeds, and the tutorial's 1,000-character chunks of the same text.
    chunker = Chunker(encoder.tokenizer, settings.max_tokens, settings.chunk_tokens, settings.overlap_tokens,
                      detect_language=detect_language)
    ours, naive = [], []
    for f in scan_corpus(args.corpus, BuildReport(index_dir=Path("."))):
        try:
            documents = load_file(f.path, f.source).documents
        except LoaderError:
            continue
        for d in documents:
            ours += [c.embedding_text for c in chunker.chunk(d)]
            naive += [d.text[i:i + 1000] for i in range(0, max(len(d.text) - 200, 1), 800)]
    tokens = sum(len(e.ids) + 2 for e in encoder.tokenizer.encode_batch(ours))

    rows: dict[str, list[float]] = {k: [] for k in ("raw", "build", "tutorial", "nochange", "onefile")}
    sizes = []
    for _ in range(args.repeats):
        rows["raw"].append(timed(lambda: encoder.encode(ours)))
        rows["tutorial"].append(timed(lambda: encoder.model.encode(naive, batch_size=64, show_progress_bar=False)))
        work = Path(tempfile.mkdtemp(prefix="bench-build-"))
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        s = Settings(corpus_dir=corpus, index_dir=work / "index")
        rows["build"].append(timed(lambda: build_index(s, progress=False, encoder=encoder)))
        rows["nochange"].append(timed(lambda: build_index(s, progress=False, encoder=encoder)))
        target = max((p for p in corpus.rglob("*.md")), key=lambda p: p.stat().st_size)
        target.write_text(target.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n", encoding="utf-8")
        rows["onefile"].append(timed(lambda: build_index(s, progress=False, encoder=encoder)))
        sizes.append(sum(p.stat().st_size for p in (work / "index").iterdir() if p.is_file()))
        shutil.rmtree(work)

    med = {k: statistics.median(v) for k, v in rows.items()}
    spread = {k: (max(v) - min(v)) / med[k] if med[k] else 0 for k, v in rows.items()}
    print(f"\ncorpus {args.corpus}: {len(ours)} chunks, {tokens} word pieces (tutorial: {len(naive)} chunks); "
          f"{args.repeats} repeats, medians (spread = (max-min)/median; over 0.2 means a noisy machine)\n")
    print("| step | seconds | chunks/s | tokens/s | spread |")
    print("|---|---|---|---|---|")
    for key, label in (("raw", "raw encoder, same chunks"), ("build", "full build (end to end)"),
                       ("tutorial", "tutorial pipeline (1,000 chars, batch 64)"),
                       ("nochange", "rebuild, nothing changed"), ("onefile", "rebuild, one file changed")):
        n = len(naive) if key == "tutorial" else len(ours)
        tps = f"{tokens / med[key]:.0f}" if key in ("raw", "build") else ""
        print(f"| {label} | {med[key]:.2f} | {n / med[key]:.1f} | {tps} | {spread[key]:.2f} |")
    print(f"\nbuild / raw encoder throughput: {med['raw'] / med['build']:.2f} (target >= 0.9)")
    print(f"speed-up over the tutorial pipeline: {med['tutorial'] / med['build']:.2f}x (target >= 2.5x)")
    print(f"no-change rebuild / full build: {100 * med['nochange'] / med['build']:.2f}% (target < 3%)")
    print(f"index bytes per chunk: {statistics.median(sizes) / len(ours):.0f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
