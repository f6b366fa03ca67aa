"""Seconds per page of OCR, and of a rebuild that finds the pages in the cache.

The benchmark makes its own scan: a text PDF of full pages (fpdf2) is rendered with pypdfium2
and saved as an image-only PDF, which the real PDF loader then reads with Tesseract. The first
load runs Tesseract on every page; the second finds every page in the OCR cache.

    python benchmarks/bench_ocr.py                 # 4 pages at 300 dpi, about half a minute
    python benchmarks/bench_ocr.py --pages 2 --dpi 200 --language es
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SENTENCES = {
    "en": "District court {n} opened a legal aid clinic and published {m} judgments online this year.",
    "es": "El juzgado de distrito {n} abrio una clinica juridica y publico {m} sentencias en linea este ano.",
}


def make_scanned_pdf(path: Path, pages: int, language: str, scan_dpi: int = 200) -> Path:
    """An image-only PDF of ``pages`` full pages of text, as a scanner makes them."""
    import pypdfium2
    from fpdf import FPDF

    text_pdf = FPDF()
    text_pdf.set_font("Helvetica", size=11)
    for page in range(1, pages + 1):
        text_pdf.add_page()
        text_pdf.multi_cell(0, 6, "\n".join(_SENTENCES[language].format(n=page * 40 + line, m=line * 7)
                                            for line in range(1, 36)))
    source = pypdfium2.PdfDocument(bytes(text_pdf.output()))
    scan = FPDF()
    for index in range(len(source)):
        image = source[index].render(scale=scan_dpi / 72, grayscale=True).to_pil()
        picture = path.with_name(f"page-{index}.png")
        image.save(picture)
        scan.add_page()
        scan.image(str(picture), x=0, y=0, w=scan.w, h=scan.h)
        picture.unlink()
    source.close()
    scan.output(str(path))
    return path


def main() -> None:
    from indexer.loaders.ocr import OcrOptions, tesseract_languages
    from indexer.loaders.pdf import load_pdf

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, default=300, help="OCR rendering resolution (the ocr_dpi setting)")
    parser.add_argument("--language", choices=sorted(_SENTENCES), default="en")
    parser.add_argument("--smoke", action="store_true", help="CI check: a few seconds on a tiny corpus, one repeat")
    args = parser.parse_args()
    if args.smoke:
        args.pages, args.dpi = 1, 150
    if not tesseract_languages():
        sys.exit("Tesseract is not installed")
    with tempfile.TemporaryDirectory() as folder:
        path = make_scanned_pdf(Path(folder) / "scan.pdf", args.pages, args.language)
        (Path(folder) / "scan.pdf.source.json").write_text(f'{{"language": "{args.language}"}}')
        options = OcrOptions(cache_dir=Path(folder) / "cache", dpi=args.dpi)
        rows = []
        for run in ("OCR", "cached"):
            started = time.perf_counter()
            documents, _ = load_pdf(path, "scan.pdf", options)
            seconds = time.perf_counter() - started
            words = sum(len(d.text.split()) for d in documents if d.provenance.section is None)
            rows.append((run, seconds, words))
    print(f"{args.pages} pages, {args.dpi} dpi, language {args.language}")
    print(f"{'run':<8} {'seconds':>8} {'s/page':>8} {'words':>7}")
    for run, seconds, words in rows:
        print(f"{run:<8} {seconds:>8.2f} {seconds / args.pages:>8.3f} {words:>7}")


if __name__ == "__main__":
    main()
