"""Seconds per page of reading scanned PDF pages by OCR (Tesseract via indexer/loaders/ocr.py), and
of reading them again from the OCR cache, on a scan made here: a text PDF (fpdf2) rendered page by
page to pictures (pypdfium2) and saved as an image-only PDF. Word recall says how much of the
original text came back (share of its words found, lower-cased, in the page's OCR text).

    python benchmarks/bench_ocr.py                       # 4 pages, 300 dpi: about a minute on two cores
    python benchmarks/bench_ocr.py --pages 2 --dpi 200 300
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPHS = [
    "The Ministry of Justice publishes court statistics every quarter, by district and by type of case. "
    "Legal aid clinics opened in every district court; people below the income threshold receive free advice.",
    "Los tribunales publican sus sentencias en linea y la mediacion reduce los casos pendientes. "
    "Las provincias adhieren al convenio de datos abiertos de justicia por escrito.",
]


def make_scan(path: Path, pages: int, scan_dpi: int = 200) -> list[str]:
    """Write an image-only PDF of ``pages`` pages; returns each page's original text."""
    import pypdfium2
    from fpdf import FPDF

    texts = [f"Report page {n + 1}\n" + "\n\n".join(PARAGRAPHS * 4) for n in range(pages)]
    text_pdf = FPDF()
    text_pdf.set_font("Helvetica", size=11)
    for text in texts:
        text_pdf.add_page()
        text_pdf.multi_cell(0, 6, text)
    source = pypdfium2.PdfDocument(bytes(text_pdf.output()))
    scan = FPDF()
    for index in range(len(source)):
        picture = path.with_name(f"page-{index}.png")
        source[index].render(scale=scan_dpi / 72, grayscale=True).to_pil().save(picture)
        scan.add_page()
        scan.image(str(picture), x=0, y=0, w=scan.w, h=scan.h)
    source.close()
    scan.output(str(path))
    return texts


def word_recall(original: str, read: str) -> float:
    words = re.findall(r"\w+", original.lower())
    found = set(re.findall(r"\w+", read.lower()))
    return sum(w in found for w in words) / len(words)


def main() -> None:
    from indexer.loaders.ocr import OcrOptions, tesseract_languages
    from indexer.loaders.pdf import load_pdf

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, nargs="+", default=[300], help="OCR rendering resolutions")
    parser.add_argument("--languages", default="eng", help="Tesseract languages ('' detects them per file)")
    args = parser.parse_args()
    if not tesseract_languages():
        sys.exit("Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scan.pdf"
        texts = make_scan(path, args.pages)
        print(f"{args.pages} scanned pages ({path.stat().st_size / 1024:.0f} KiB), languages "
              f"{args.languages or 'detected'}")
        print(f"{'dpi':>4} {'OCR s/page':>11} {'cached s/page':>14} {'word recall':>12}")
        for dpi in args.dpi:
            options = OcrOptions(languages=args.languages, cache_dir=Path(tmp) / f"cache-{dpi}", dpi=dpi)
            started = time.perf_counter()
            documents, _ = load_pdf(path, "scan.pdf", options)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            load_pdf(path, "scan.pdf", options)
            warm = time.perf_counter() - started
            read: dict[int, str] = {}  # a page's body, running lines and notes together
            for d in documents:
                read[d.provenance.page] = read.get(d.provenance.page, "") + "\n" + d.text
            recall = sum(word_recall(t, read.get(n + 1, "")) for n, t in enumerate(texts)) / len(texts)
            print(f"{dpi:>4} {cold / args.pages:>11.2f} {warm / args.pages:>14.3f} {recall:>12.3f}")


if __name__ == "__main__":
    main()
