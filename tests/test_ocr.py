"""OCR of pages without a text layer: a scanned PDF made in the test (text set with fpdf2, pages
rasterised with pypdfium2, saved as an image-only PDF) is read by the real Tesseract, found by its
words with its page, says it was read by OCR, and a second load reads the cache, not Tesseract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.errors import LoaderError
from indexer.loaders import load_file
from indexer.loaders.ocr import OcrOptions, PageReader
from indexer.loaders.pdf import load_pdf

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="needs Tesseract (apt-get install tesseract-ocr tesseract-ocr-spa)")

SCANNED_PAGES = [
    "Legal aid clinics opened in every district court.\nPeople below the income threshold receive free advice.",
    "Los tribunales publican sus sentencias en linea.\nLa mediacion reduce los casos pendientes.",
]


def make_scanned_pdf(path: Path, pages: list[str], dpi: int = 150) -> Path:
    """A PDF whose pages are only pictures of text, as a scanner makes them."""
    import pypdfium2
    from fpdf import FPDF

    text_pdf = FPDF()
    text_pdf.set_font("Helvetica", size=14)
    for text in pages:
        text_pdf.add_page()
        text_pdf.multi_cell(0, 9, text)
    source = pypdfium2.PdfDocument(bytes(text_pdf.output()))
    images = [source[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(source))]
    source.close()
    scan = FPDF()
    for at, image in enumerate(images):
        scan.add_page()
        picture = path.with_name(f"{path.stem}-{at}.png")
        image.save(picture)
        scan.image(str(picture), x=0, y=0, w=scan.w, h=scan.h)
        picture.unlink()
    scan.output(str(path))
    return path


def test_made_scan_has_no_text_layer(tmp_path):
    from pypdf import PdfReader

    path = make_scanned_pdf(tmp_path / "scan.pdf", SCANNED_PAGES[:1])
    assert PdfReader(path).pages[0].extract_text().strip() == ""


@needs_tesseract
def test_scanned_pdf_is_read_by_ocr_with_page_provenance_and_cached(tmp_path, monkeypatch):
    path = make_scanned_pdf(tmp_path / "scanned-plan.pdf", SCANNED_PAGES)
    (tmp_path / "scanned-plan.pdf.source.json").write_text('{"language": "en"}', encoding="utf-8")
    options = OcrOptions(cache_dir=tmp_path / "ocr-cache")
    documents, warnings = load_pdf(path, "scanned-plan.pdf", options)
    by_page = {d.provenance.page: d for d in documents}
    assert sorted(by_page) == [1, 2]
    assert "district court" in by_page[1].text and "income threshold" in by_page[1].text
    assert "mediacion" in by_page[2].text.lower()
    assert by_page[1].provenance.metadata["read by"] == "OCR (Tesseract, eng)"  # the sidecar's language
    assert any("2 of 2 pages read by OCR (Tesseract, eng)" in w for w in warnings), warnings

    # A second load (a rebuild) reads every page from the cache: Tesseract must not run.
    def no_tesseract(*args, **kwargs):
        raise AssertionError("OCR ran again instead of reading the cache")

    monkeypatch.setattr(PageReader, "_run_tesseract", no_tesseract)
    again, _ = load_pdf(path, "scanned-plan.pdf", options)
    assert [d.text for d in again] == [d.text for d in documents]


@needs_tesseract
def test_without_a_declared_language_the_scan_is_read_in_the_detected_one(tmp_path):
    path = make_scanned_pdf(tmp_path / "sentencias.pdf", [SCANNED_PAGES[1], SCANNED_PAGES[1]])
    documents, _ = load_pdf(path, "sentencias.pdf", OcrOptions(cache_dir=tmp_path / "cache"))
    read_by = [d.provenance.metadata["read by"] for d in documents]
    # the first page is read in English+Spanish+French to tell the language, the rest in Spanish
    assert read_by == ["OCR (Tesseract, eng+spa+fra)", "OCR (Tesseract, spa)"]
    assert all("tribunales publican" in d.text for d in documents)


def test_ocr_turned_off_refuses_a_scan_and_says_so(tmp_path):
    path = make_scanned_pdf(tmp_path / "scan.pdf", SCANNED_PAGES[:1])
    with pytest.raises(LoaderError) as info:
        load_pdf(path, "scan.pdf", OcrOptions(enabled=False))
    assert "needs OCR" in info.value.reason and 'ocr = "off"' in info.value.reason


def test_without_tesseract_a_scan_is_refused_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    path = make_scanned_pdf(tmp_path / "scan.pdf", SCANNED_PAGES[:1])
    with pytest.raises(LoaderError) as info:
        load_file(path, "scan.pdf")
    assert "needs OCR" in info.value.reason and "apt-get install tesseract-ocr" in info.value.reason


def test_the_build_reads_scans_with_the_ocr_settings_and_counts_their_pages(tmp_path, encoder):
    """The ocr settings reach the worker processes that read files; the report counts OCR pages."""
    from dataclasses import replace

    from indexer.build import build_index
    from indexer.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_scanned_pdf(corpus / "scan.pdf", ["Magistrates court circular on remote hearings for tenants."])
    off = Settings(corpus_dir=corpus, index_dir=tmp_path / "off", ocr="off", cache_dir=tmp_path / "cache")
    report = build_index(off, progress=False, encoder=encoder)
    assert [source for source, _ in report.failed] == ["scan.pdf"] and report.ocr_pages == 0
    on = replace(off, index_dir=tmp_path / "on", ocr="on")
    report = build_index(on, progress=False, encoder=encoder)
    assert report.failed == [] and report.ocr_pages == 1
    assert "pages read by OCR: 1" in report.summary()
    assert list((tmp_path / "cache" / "ocr").rglob("*")), "the OCR result is cached under the setting's cache_dir"
