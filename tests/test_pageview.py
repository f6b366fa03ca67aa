"""The page view: passage boxes from pdfium's char boxes (and Tesseract's word boxes on scans), the
route that renders and caches pages, and the hit's page_view path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import make_pdf
from search.hit import page_view_path
from webui.pageview import Box, ocr_word_boxes, page_route, passage_boxes

PAGE_ONE = ("Eligibility rules decide who receives state-funded legal help. Means tests compare income with "
            "a threshold set by law.\n\nA second paragraph about court fees and waivers for people on low "
            "incomes, written so that it wraps over several lines of the page.")


def _word_box(pdf_page, word: str) -> Box:
    """pdfium's own box of the first occurrence of ``word`` (the reference the highlight must cover)."""
    textpage = pdf_page.get_textpage()
    searcher = textpage.search(word, match_case=True, match_whole_word=True)
    index, count = searcher.get_next()
    height = pdf_page.get_size()[1]
    rects = [textpage.get_charbox(i) for i in range(index, index + count)]
    textpage.close()
    return Box(min(r[0] for r in rects), height - max(r[3] for r in rects), max(r[2] for r in rects),
               height - min(r[1] for r in rects))


def _covered(word: Box, boxes: list[Box]) -> bool:
    cy = (word.top + word.bottom) / 2
    return any(b.left <= word.left + 0.5 and word.right - 0.5 <= b.right and b.top <= cy <= b.bottom for b in boxes)


def test_boxes_cover_the_passage_words_and_not_the_rest(tmp_path):
    pdf = pypdfium2.PdfDocument(str(make_pdf(tmp_path / "note.pdf", [PAGE_ONE])))
    page = pdf[0]
    # The loader's text differs from pdfium's (line breaks, spacing): the boxes must still be found.
    passage = "Means  tests compare\nincome with a threshold set by law."
    boxes = passage_boxes(page, passage)
    assert boxes
    for word in ("Means", "threshold", "law"):
        assert _covered(_word_box(page, word), boxes), word
    for word in ("Eligibility", "court", "waivers"):
        assert not _covered(_word_box(page, word), boxes), word
    assert passage_boxes(page, "nothing of the kind appears here") == []
    pdf.close()


def test_a_passage_split_across_lines_gets_one_box_per_line(tmp_path):
    pdf = pypdfium2.PdfDocument(str(make_pdf(tmp_path / "note.pdf", [PAGE_ONE])))
    page = pdf[0]
    passage = PAGE_ONE.split("\n\n")[1]
    boxes = passage_boxes(page, passage)
    assert len(boxes) >= 2  # it wraps: a box per line, not one rectangle over the whole page
    assert all(b.bottom - b.top < 20 for b in boxes)
    assert _covered(_word_box(page, "waivers"), boxes)
    pdf.close()


@pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract-ocr")
def test_ocr_word_boxes_mark_the_passage_on_a_scanned_page(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 600), 255)
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 40)
    except OSError:
        font = ImageFont.load_default(size=40)
    draw.text((80, 100), "Legal aid offices opened", font=font, fill=0)
    draw.text((80, 300), "Court fees were waived", font=font, fill=0)
    scale = 2.0
    import io

    png = io.BytesIO()
    image.save(png, format="PNG")
    boxes = ocr_word_boxes(png.getvalue(), scale, "court fees were waived")
    assert len(boxes) == 4
    assert all(140 <= b.top * scale and b.bottom * scale <= 360 for b in boxes)  # the second line only
    assert min(b.left for b in boxes) * scale < 120


def test_page_view_path_is_relative_and_names_the_passage():
    path = page_view_path("reports/a note.pdf", 3, 12, 40, 900)
    assert path == "/page/reports/a%20note.pdf?page=3&doc=12&start=40&end=900"


def test_pdf_hits_carry_page_view_and_others_do_not(starter_searcher):
    hits = starter_searcher.search("eligibility for free legal aid means test", 10)
    pdf_hits = [h for h in hits if h.provenance.source.endswith(".pdf")]
    others = [h for h in hits if not h.provenance.source.endswith(".pdf")]
    assert pdf_hits and others
    record = pdf_hits[0].to_dict()
    assert record["page_view"].startswith(f"/page/{record['source']}?page={record['page']}&")
    assert all(h.to_dict()["page_view"] is None for h in others)


def test_the_route_renders_marks_and_caches_the_page(starter_index, starter_searcher, tmp_path):
    settings, _ = starter_index
    corpus = Path(settings.corpus_dir)
    hit = next(h for h in starter_searcher.search("eligibility for free legal aid means test", 10)
               if h.page_view)
    cache = tmp_path / "pages"
    route = page_route(corpus, starter_searcher.sources(), starter_searcher.document_text, cache,
                       lambda lang: {"page": "page", "open_pdf": "Open PDF", "found": "found",
                                     "not_found": "missing", "ocr": "ocr"})
    client = TestClient(Starlette(routes=[route]))
    answer = client.get(hit.page_view + "&zoom=1.5")
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    body = answer.text
    assert body.count('class="hl"') >= 1 and "found" in body
    assert f'#page={hit.provenance.page}"' in body and 'class="zoom on"' in body and ">150%<" in body
    assert len(list(cache.rglob("*.png"))) == 1
    assert client.get(hit.page_view + "&zoom=1.5").text == body  # from the cache, the same page
    unmarked = client.get(hit.page_view.split("&doc=")[0])
    assert unmarked.status_code == 200 and 'class="hl"' not in unmarked.text and "missing" in unmarked.text
    assert client.get("/page/../secret.pdf?page=1").status_code in (403, 404)
    assert client.get("/page/guides/access-to-justice.md?page=1").status_code == 404
    assert client.get(hit.page_view.replace("page=", "page=999")).status_code == 404


def _labels(lang):
    return {"page": "page", "open_pdf": "Open PDF", "found": "found", "not_found": "missing", "ocr": "read by OCR"}


@pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract-ocr")
def test_the_route_marks_a_scanned_page_with_ocr_word_boxes(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi, no text layer
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    except OSError:
        font = ImageFont.load_default(size=36)
    draw.text((120, 200), "Legal aid offices opened in every district", font=font, fill="black")
    draw.text((120, 700), "Court fees were waived for tenants", font=font, fill="black")
    corpus = tmp_path / "corpus"
    (corpus / "scans").mkdir(parents=True)
    image.save(corpus / "scans" / "scan.pdf", resolution=150)
    texts = {1: "Legal aid offices opened in every district\n\nCourt fees were waived for tenants\n"}
    route = page_route(corpus, None, texts.__getitem__, tmp_path / "cache", _labels)
    client = TestClient(Starlette(routes=[route]))
    start = texts[1].index("Court")
    body = client.get(f"/page/scans/scan.pdf?page=1&doc=1&start={start}&end={start + 34}").text
    assert "read by OCR" in body and "found" in body
    tops = [float(v) for v in re.findall(r'data-top="([\d.]+)"', body)]
    assert tops and all(300 < top < 380 for top in tops)  # the second line (700 px at 150 dpi = 336 pt)
    assert len(list((tmp_path / "cache").rglob("page-1-*.tsv"))) == 1  # read once, kept
    assert client.get(f"/page/scans/scan.pdf?page=1&doc=1&start={start}&end={start + 34}").text == body


def test_the_route_asks_for_the_apps_login(tmp_path):
    make_pdf(tmp_path / "corpus" / "a.pdf", ["Some words on a page."])
    app = Starlette(routes=[page_route(tmp_path / "corpus", None, lambda _: "", tmp_path / "cache", _labels)])
    assert TestClient(app).get("/page/a.pdf?page=1").status_code == 200
    app.auth, app.auth_dependency, app.cookie_id, app.tokens = ("user", "pw"), None, "x", {}
    answer = TestClient(app).get("/page/a.pdf?page=1")
    assert answer.status_code == 401 and "Log in" in answer.text


def test_a_number_read_in_another_order_does_not_send_the_marks_to_another_paragraph(tmp_path):
    """The loader read a figure's number after its caption ('Presentación 1'), pdfium before it: the
    passage is not on the page as a whole. Its first word ('Este') also starts a word of the paragraph
    above ('este' in 'En este sentido'); the marks must stay on the passage's own paragraph."""
    text = ("En este sentido la norma establece que los datos sirven a todos.\n\n"
            "Este es un estudio pionero sobre datos abiertos judiciales del país.\n1 Presentación")
    pdf = pypdfium2.PdfDocument(str(make_pdf(tmp_path / "informe.pdf", [text])))
    page = pdf[0]
    boxes = passage_boxes(page, "Este es un estudio pionero sobre datos abiertos judiciales del país.\n"
                                "Presentación 1")
    assert _covered(_word_box(page, "pionero"), boxes) and _covered(_word_box(page, "judiciales"), boxes)
    above = _word_box(page, "sentido")
    assert not any(b.top <= (above.top + above.bottom) / 2 <= b.bottom for b in boxes)  # nothing on that line
    pdf.close()


def test_accents_written_apart_and_columns_read_in_another_order_still_mark(tmp_path):
    import unicodedata

    text = ("Participación ciudadana en los poderes judiciales del país.\n"
            "Encuestas de satisfacción para las personas usuarias.\n"
            "Observatorios ciudadanos que siguen los casos de cerca.")
    pdf = pypdfium2.PdfDocument(str(make_pdf(tmp_path / "ficha.pdf", [text])))
    page = pdf[0]
    # One reader gives "ó" as "o" plus a combining accent (NFD), pdfium as one char.
    marked = passage_boxes(page, unicodedata.normalize("NFD", "Participación ciudadana"))
    assert _covered(_word_box(page, "Participación"), marked) and _covered(_word_box(page, "ciudadana"), marked)
    # Text set in columns: the loader read the lines in another order than pdfium.
    lines = text.splitlines()
    boxes = passage_boxes(page, "\n".join([lines[2], lines[0]]))
    assert _covered(_word_box(page, "Observatorios"), boxes) and _covered(_word_box(page, "poderes"), boxes)
    assert not _covered(_word_box(page, "Encuestas"), boxes)
    pdf.close()


def test_the_page_views_refusals_are_in_the_readers_language(tmp_path):
    """A page view opened from the Spanish app (``ui=es``) or by a French browser says why it shows
    no page in that language: a page past the end, a file that is not an indexed PDF."""
    from webui import i18n

    make_pdf(tmp_path / "corpus" / "a.pdf", ["Some words on a page."])

    def labels(lang):
        return {key: i18n.text(lang, f"pageview.{key}")
                for key in ("page", "open_pdf", "found", "not_found", "ocr", "page_count")}

    client = TestClient(Starlette(routes=[page_route(tmp_path / "corpus", None, lambda _: "", tmp_path / "cache",
                                                     labels)]))
    past_end = client.get("/page/a.pdf?page=9&ui=es")
    assert past_end.status_code == 404 and past_end.text == "Este PDF no tiene esa página (tiene 1)."
    missing = client.get("/page/b.pdf?page=1", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert missing.status_code == 404 and missing.text == "Ce PDF n’est pas dans le corpus."
    assert client.get("/page/b.pdf?page=1").text == "No such PDF in the corpus."
    shown = client.get("/page/a.pdf?page=1", headers={"Accept-Language": "es"}).text
    assert "página 1/1" in shown and "Abrir el PDF en esta página" in shown
