"""Peak memory and time of reading and chunking a 1,000-page PDF, against a 10-page baseline.

Each measurement runs in a fresh child process (this script with --child), so peak RSS
(VmHWM from /proc/self/status) belongs to that one file: the child imports the loader
and the tokenizer (tokenizer.json; no torch), notes its peak RSS, then loads the PDF with
``load_file`` and chunks every page with the real tokenizer and notes the peak again. The
difference ("over start") is what the file costs, plus pypdf's own import (about 10 MiB,
made on the first PDF); the "vs 10 p." column compares peaks with the 10-page run. Every size
is measured 3 times (median shown).

Time per page across 10 / 100 / 1,000 / 2,000 pages shows whether anything grows faster than
the page count. A second table does the same for one long document of short paragraphs
(a text file or a CSV cell), where the chunker's packing step is measured alone.

    python benchmarks/bench_big_pdf.py            # about a minute on two cores
    python benchmarks/bench_big_pdf.py --runs 1 --pages 10 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINES_PER_PAGE = 12  # about 800 characters, 130 word pieces: one or two chunks a page


def make_pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 5, "\n".join(
            f"Page {page}, line {line}: district court {page * 13 + line} reported {page % 97} legal aid cases."
            for line in range(1, LINES_PER_PAGE + 1)))
    pdf.output(str(path))
    return path


def _peak_rss_mib() -> float:
    """This process's peak resident memory.

    VmHWM belongs to the address space, which exec replaces; ru_maxrss would be wrong here,
    as Linux carries it over from the parent across fork and exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS


def child(path: Path, kind: str) -> dict:
    """Runs in a fresh process: load and chunk one file, report peak RSS before and after."""
    from indexer.chunking import Chunker
    from indexer.embedding import SentenceTransformerEncoder
    from indexer.loaders import load_file
    from indexer.records import Document, Provenance
    from indexer.settings import PACKAGED_MODEL_NAME

    tokenizer = SentenceTransformerEncoder(PACKAGED_MODEL_NAME).tokenizer
    chunker = Chunker(tokenizer)
    chunker.chunk(Document(Provenance(source="w", kind="text", title="Warm up"), "Warm up the tokenizer. " * 50))
    before = _peak_rss_mib()
    started = time.perf_counter()
    if kind == "pdf":
        documents = load_file(path, path.name).documents
        loaded = time.perf_counter()
        chunks = sum(len(chunker.chunk(d)) for d in documents)
    else:  # one long document: the chunker alone
        documents = [Document(Provenance(source=path.name, kind="text", title="Long"), path.read_text())]
        loaded = time.perf_counter()
        chunks = len(chunker.chunk(documents[0]))
    done = time.perf_counter()
    return {"before_mib": before, "peak_mib": _peak_rss_mib(), "load_s": loaded - started,
            "chunk_s": done - loaded, "documents": len(documents), "chunks": chunks}


def measure(path: Path, kind: str, runs: int) -> dict:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child", str(path), "--kind", kind], capture_output=True,
                             text=True, check=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 100, 1000, 2000])
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[12_500, 25_000, 50_000],
                        help="paragraphs of the long single document (0 to skip)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="CI check: a few seconds on a tiny corpus, one repeat")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="pdf", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.kind)))
        return
    if args.smoke:
        args.pages, args.paragraphs, args.runs = [2, 4], [500], 1

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for pages in args.pages:
            path = make_pdf(Path(tmp) / f"report-{pages}.pdf", pages)
            rows.append((pages, path.stat().st_size, measure(path, "pdf", args.runs)))
        base_pages, _, base = rows[0]
        print(f"Reading + chunking a PDF ({LINES_PER_PAGE} lines a page), median of {args.runs} fresh processes; "
              f"RSS after imports {base['before_mib']:.0f} MiB")
        print(f"{'pages':>6} {'file KiB':>9} {'peak RSS MiB':>13} {'over start':>13} "
              f"{f'vs {base_pages} p.':>9} {'load s':>7} {'chunk s':>8} {'ms/page':>8} {'chunks':>7}")
        for pages, size, r in rows:
            per_page = 1000 * (r["load_s"] + r["chunk_s"]) / pages
            print(f"{pages:>6} {size / 1024:>9.0f} {r['peak_mib']:>13.1f} {r['peak_mib'] - r['before_mib']:>+13.1f} "
                  f"{r['peak_mib'] - base['peak_mib']:>+9.1f} {r['load_s']:>7.2f} {r['chunk_s']:>8.2f} "
                  f"{per_page:>8.2f} {r['chunks']:>7.0f}")

        paragraphs = [n for n in args.paragraphs if n]
        if paragraphs:
            print(f"\nChunking one document of N short paragraphs (\"Short para here.\" + blank line), "
                  f"median of {args.runs}")
            print(f"{'paragraphs':>10} {'MB':>5} {'chunk s':>8} {'us/paragraph':>13} {'peak RSS MiB':>13}")
            for n in paragraphs:
                path = Path(tmp) / f"paras-{n}.txt"
                path.write_text("Short para here.\n\n" * n, encoding="utf-8")
                r = measure(path, "text", args.runs)
                print(f"{n:>10} {path.stat().st_size / 1e6:>5.2f} {r['chunk_s']:>8.2f} "
                      f"{1e6 * r['chunk_s'] / n:>13.1f} {r['peak_mib']:>13.1f}")


if __name__ == "__main__":
    main()
