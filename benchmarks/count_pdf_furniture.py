"""Count, over the PDFs of one or more corpus folders, what the PDF loader does with page furniture:
pages whose printed label differs from the physical page (and where the label came from), running
lines moved out of page bodies (with examples), footnote blocks kept apart and titles replaced.

    python benchmarks/count_pdf_furniture.py ../shared/corpus-real ../shared/corpus-justice
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from indexer.errors import LoaderError
    from indexer.loaders.ocr import OcrOptions
    from indexer.loaders.pdf import NOTES, PAGE_LABEL, RUNNING_LINES, load_pdf

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", type=Path, nargs="*")
    parser.add_argument("--smoke", action="store_true", help="CI check: a few seconds on a tiny corpus, one repeat")
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args()
    if args.smoke:
        args.corpora = [ROOT / "corpus"]  # the starter corpus, read in place (nothing is written)
    elif not args.corpora:
        parser.error("name one or more corpus folders")
    print(f"{'corpus':<18} {'PDFs':>5} {'pages':>6} {'label != page':>14} {'physical only':>14} "
          f"{'running lines moved':>20} {'pages w/ notes':>15} {'note lines':>11}")
    for corpus in args.corpora:
        files = pages = differ = physical = moved = noted = note_lines = 0
        examples: Counter[str] = Counter()
        for path in sorted(corpus.rglob("*.pdf")):
            try:
                documents, _ = load_pdf(path, str(path.relative_to(corpus)), OcrOptions(enabled=False))
            except LoaderError:
                continue
            files += 1
            for d in documents:
                p = d.provenance
                if p.section == NOTES:
                    noted += 1
                    note_lines += d.text.count("\n") + 1
                    continue
                pages += 1
                physical += p.metadata.get(PAGE_LABEL) == "physical"
                differ += p.page_label != str(p.page)
                lines = p.metadata.get(RUNNING_LINES, "").split("\n") if RUNNING_LINES in p.metadata else []
                moved += len(lines)
                examples.update(f"{p.source} p.{p.page}: {line}" for line in lines[:1])
        print(f"{corpus.name:<18} {files:>5} {pages:>6} {differ:>14} {physical:>14} {moved:>20} {noted:>15} "
              f"{note_lines:>11}")
        step = max(1, len(examples) // args.examples)
        for example in sorted(examples)[::step][:args.examples]:
            print(f"    e.g. {example[:110]}")


if __name__ == "__main__":
    main()
