"""The page view: a PDF page rendered to an image with a passage's text marked on it.

``GET /page/<source>?page=N&doc=D&start=S&end=E[&zoom=Z]`` (the path ``search.hit.page_view_path``
builds for a hit) shows page N of the corpus PDF ``source`` with boxes over the passage
``document_text(D)[S:E]``, zoom links and a link to the PDF at that page. Pages are rendered by
pypdfium2 and cached as PNG files by the file's SHA-256, page and scale.

Where the boxes come from. The loader's page text (pypdf, with its own spacing, line joins and
running lines taken out) is not pdfium's text of the same page, so offsets cannot be carried over.
Both are reduced to the same key -- letters and digits only, folded to lower case, accents and
ligatures unfolded, each kept with its index in the original -- and the passage's key is looked up
in the page's key: as a whole when it is there, else as a few long stretches (each the longest the
page has; together at least 75% of the passage), so a caption or a number the two readers place
differently costs only itself, else word by word (each passage word at its next occurrence after the
previous one), so a hyphen or a ligature that reads differently costs one word, not the passage (at
least 60% of its words must be found in order). Failing that, for text set in
columns (one reader reads column by column, the other across the page), each line of the passage is
looked up on its own; 60% of the passage must be found so, else nothing is marked. The chars found
give pdfium's char boxes, merged into one box per run on a line. A page on which pdfium finds no
text is taken as one the loader read by OCR (it OCRs the pages pypdf finds empty; on scans the two
agree): its boxes are Tesseract's word boxes (``tsv`` output, kept beside the page's image) for the
words found the same way.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .files import CORPUS_ROUTE, AllowedSources, reader_language, requested_corpus_file

__all__ = ["PAGE_ROUTE", "ZOOMS", "Box", "PageCache", "passage_boxes", "ocr_word_boxes", "tesseract_tsv",
           "page_route", "page_view_route", "render_page_html"]

PAGE_ROUTE = "page"  # the page view is served at /page/<source>
ZOOMS = (1.0, 1.5, 2.0)  # the zoom links offered; the image is rendered at 1.5x the zoom (sharp on HiDPI)
_RENDER_FACTOR = 1.5
_OCR_DPI = 200
_PAGE_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; "
             "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")


@dataclass(frozen=True)
class Box:
    """A highlight rectangle in PDF points, origin at the page's top-left corner (as an image is)."""

    left: float
    top: float
    right: float
    bottom: float


def _key(text: str) -> tuple[str, list[int]]:
    """``text`` reduced to lower-case letters and digits, accents and ligatures unfolded (NFKD: one
    reader may give "Ó" as one char, the other as "O" and a combining accent; "ﬁ" as one glyph),
    with each kept char's index in ``text``."""
    chars, where = [], []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char) if not char.isascii() else char:
            if part.isalnum():
                chars.append(part.lower())
                where.append(index)
    return "".join(chars), where


def _match(passage: str, page_words: list[str]) -> list[int]:
    """Indices into ``page_words`` whose run of keys spells the passage: the whole passage when its
    key is found in the page's, else word by word in order (see the module's docstring)."""
    joined, owner = "", []
    for index, word in enumerate(page_words):
        key, _ = _key(word)
        joined += key
        owner += [index] * len(key)
    wanted, _ = _key(passage)
    if not wanted or not joined:
        return []
    at = joined.find(wanted)
    if at >= 0:
        return sorted(set(owner[at:at + len(wanted)]))
    runs = _match_runs(wanted, joined, owner)
    if runs:
        return runs
    found, position, tried, matched = [], 0, 0, 0
    for word in passage.split():
        key, _ = _key(word)
        if len(key) < 2:
            continue
        tried += 1
        at = joined.find(key, position)
        if at < 0 or (found and at - position > 200):  # far ahead: a different place, not this passage
            continue
        matched += 1
        found += owner[at:at + len(key)]
        position = at + len(key)
    # Most words must be there in order; a few common words found here and there are not the passage.
    if matched >= max(2, 0.6 * tried):
        return sorted(set(found))
    return _match_lines(passage, joined, owner, len(wanted))


#: A stretch of the passage's key this long is taken to be the passage wherever the page has it ...
_RUN = 12
#: ... and the passage is marked by such stretches when they cover this share of it.
_RUNS_COVER = 0.75


def _match_runs(wanted: str, joined: str, owner: list[int]) -> list[int]:
    """The passage as a few long stretches of its key, each the longest the page has from where the
    last one ended (a number or a caption the two readers put in another order breaks the whole, not
    the stretches around it). Unlike a word-by-word search, a short common first word cannot anchor
    it in another paragraph. [] when the stretches cover less than _RUNS_COVER of the passage."""
    found: list[int] = []
    covered, i = 0, 0
    while i <= len(wanted) - _RUN:
        if wanted[i:i + _RUN] not in joined:
            i += 1
            continue
        low, high = _RUN, len(wanted) - i  # the longest stretch from i the page has (a prefix property)
        while low < high:
            middle = (low + high + 1) // 2
            if wanted[i:i + middle] in joined:
                low = middle
            else:
                high = middle - 1
        at = joined.find(wanted[i:i + low])
        found += owner[at:at + low]
        covered += low
        i += low
    return sorted(set(found)) if covered >= _RUNS_COVER * len(wanted) else []


def _match_lines(passage: str, joined: str, owner: list[int], wanted: int) -> list[int]:
    """Line by line, each line anywhere on the page: for text set in columns, which one reader reads
    column by column and the other across the page, so only a line keeps its order in both."""
    found, covered = [], 0
    for line in passage.splitlines():
        key, _ = _key(line)
        at = joined.find(key) if len(key) >= 12 else -1
        if at >= 0:
            found += owner[at:at + len(key)]
            covered += len(key)
    return sorted(set(found)) if covered >= 0.6 * wanted else []


def passage_boxes(pdf_page, passage: str) -> list[Box]:
    """Boxes over ``passage`` on a pypdfium2 page, from pdfium's char boxes (merged per line)."""
    import pypdfium2.raw as pdfium_c

    textpage = pdf_page.get_textpage()
    try:
        count = textpage.count_chars()
        # One "word" per char: _match then works on char indices, so every found char has its box.
        chars = [chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count)]
        height = pdf_page.get_size()[1]
        boxes: list[Box] = []
        for index in _match(passage, chars):
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            box = Box(left, height - top, right, height - bottom)
            if boxes and _same_line(boxes[-1], box):
                last = boxes[-1]
                boxes[-1] = Box(min(last.left, box.left), min(last.top, box.top), max(last.right, box.right),
                                max(last.bottom, box.bottom))
            else:
                boxes.append(box)
        return boxes
    finally:
        textpage.close()


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap > 0.5 * min(a.bottom - a.top, b.bottom - b.top) and b.left >= a.left - 1


def tesseract_tsv(png: bytes, languages: str = "eng") -> str:
    """Tesseract's ``tsv`` output (a row per word, with its box in pixels) for a page image; '' when
    Tesseract is not installed."""
    if not shutil.which("tesseract"):
        return ""
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", languages, "--psm", "3", "tsv"], input=png,
                          capture_output=True, timeout=120, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def ocr_word_boxes(png: bytes, scale: float, passage: str, languages: str = "eng", tsv: str | None = None,
                   ) -> list[Box]:
    """Boxes over ``passage`` on a page image read by Tesseract (its ``tsv`` word boxes, given or
    read now), in PDF points (``scale`` pixels a point). Empty when Tesseract is not installed."""
    tsv = tesseract_tsv(png, languages) if tsv is None else tsv
    words, rects = [], []
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            left, top, width, height = (int(v) for v in cells[6:10])
            words.append(cells[11])
            rects.append(Box(left / scale, top / scale, (left + width) / scale, (top + height) / scale))
    return [rects[i] for i in _match(passage, words)]


class PageCache:
    """Rendered pages as PNG files under ``folder``/<sha256>/page-<n>-<scale>.png, and the word boxes
    of pages read by OCR beside them (page-<n>-<languages>.tsv)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).expanduser()
        self._hashes: dict[tuple[Path, float, int], str] = {}

    def sha256(self, path: Path) -> str:
        stat = path.stat()
        key = (path, stat.st_mtime, stat.st_size)
        if key not in self._hashes:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            self._hashes[key] = digest.hexdigest()
        return self._hashes[key]

    def png(self, path: Path, pdf_page, page: int, scale: float) -> bytes:
        """Page ``page`` (1-based) of ``path`` as PNG at ``scale``, rendered once."""
        cached = self.folder / self.sha256(path) / f"page-{page}-{scale:g}.png"
        if cached.is_file():
            return cached.read_bytes()
        image = pdf_page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        data = out.getvalue()
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, cached)  # a reader never sees half an image
        return data

    def ocr_tsv(self, path: Path, png: bytes, page: int, languages: str) -> str:
        """Tesseract's word boxes for a page image, read once (a page takes seconds to read)."""
        cached = self.folder / self.sha256(path) / f"page-{page}-{languages}.tsv"
        if cached.is_file():
            return cached.read_text(encoding="utf-8")
        tsv = tesseract_tsv(png, languages)
        if tsv:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            partial.write_text(tsv, encoding="utf-8")
            os.replace(partial, cached)
        return tsv


def render_page_html(*, source: str, page: int, page_count: int, zoom: float, png: bytes, size: tuple[float, float],
                     boxes: list[Box], query: dict[str, str], read_by_ocr: bool, labels: dict[str, str]) -> str:
    """The page view's HTML: zoom links, the PDF link, and the page image with its boxes on top
    (placed in percent of the page, so they stay on the words at any zoom)."""
    e = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    width, height = size
    shown = round(width * zoom * 96 / 72)
    marks = "".join(
        f'<div class="hl" data-left="{b.left:.2f}" data-top="{b.top:.2f}" data-right="{b.right:.2f}" '
        f'data-bottom="{b.bottom:.2f}" style="left:{100 * b.left / width:.3f}%;top:{100 * b.top / height:.3f}%;'
        f'width:{100 * (b.right - b.left) / width:.3f}%;height:{100 * (b.bottom - b.top) / height:.3f}%"></div>'
        for b in boxes)
    base = f"/{PAGE_ROUTE}/{quote(source, safe='/')}"
    zooms = " ".join(
        f'<a class="zoom{" on" if z == zoom else ""}" href="{e(base + "?" + urlencode({**query, "zoom": f"{z:g}"}))}">'
        f"{int(z * 100)}%</a>" for z in ZOOMS)
    pdf_link = f"/{CORPUS_ROUTE}/{quote(source, safe='/')}#page={page}"
    note = labels["found"] if boxes else labels["not_found"]
    if read_by_ocr:
        note += " " + labels["ocr"]
    image = base64.b64encode(png).decode("ascii")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(source)} · {e(labels["page"])} {page}/{page_count}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; background: #f3f4f6; color: #111827; }}
header {{ position: sticky; top: 0; background: #fff; border-bottom: 1px solid #d1d5db; padding: 8px 12px;
          display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; z-index: 2; }}
header .src {{ font-weight: 600; }} header .note {{ color: #4b5563; font-size: 0.9em; }}
a.zoom.on {{ font-weight: 700; text-decoration: none; color: #111827; }}
#sheet {{ position: relative; width: {shown}px; max-width: none; margin: 12px auto; box-shadow: 0 1px 4px #0003; }}
#sheet img {{ display: block; width: 100%; height: auto; }}
.hl {{ position: absolute; background: rgba(255, 214, 0, 0.38); outline: 2px solid rgba(214, 120, 0, 0.8);
       mix-blend-mode: multiply; }}
</style></head><body>
<header><span class="src">{e(source)} · {e(labels["page"])} {page}/{page_count}</span>
<span class="zooms">{zooms}</span>
<a id="pdf-link" href="{e(pdf_link)}" target="_blank" rel="noopener noreferrer">{e(labels["open_pdf"])}</a>
<span class="note">{e(note)}</span></header>
<div id="sheet" data-width="{width:.2f}" data-height="{height:.2f}"><img id="page-image" alt="{e(source)} · {e(labels["page"])} {page}"
src="data:image/png;base64,{image}">{marks}</div>
</body></html>"""


def _number(value: str | None, default: int | None = None) -> int | None:
    return int(value) if value and re.fullmatch(r"\d{1,9}", value) else default


def page_route(corpus_dir: Path, allowed: AllowedSources, document_text, cache_dir: Path,
               labels_for) -> Route:
    """The page-view route over the corpus PDFs (same login and path rules as the corpus route).
    ``document_text(id)`` gives a page's indexed text; ``labels_for(lang)`` the view's words."""
    cache = PageCache(cache_dir)

    async def serve(request: Request) -> Response:
        path = await requested_corpus_file(request, corpus_dir, allowed, ".pdf")
        if isinstance(path, Response):
            return path
        relative = request.path_params["path"]
        args = request.query_params
        page = _number(args.get("page"), 1)
        try:
            zoom = float(args.get("zoom", "1"))
        except ValueError:
            zoom = 1.0
        zoom = min(ZOOMS, key=lambda z: abs(z - zoom))
        passage = ""
        document, start, end = _number(args.get("doc")), _number(args.get("start")), _number(args.get("end"))
        if document is not None and start is not None and end is not None and start < end:
            try:
                passage = document_text(document)[start:end]
            except Exception:  # an id from another index generation: show the page unmarked
                passage = ""
        import pypdfium2

        pdf = pypdfium2.PdfDocument(str(path))
        try:
            if not 1 <= page <= len(pdf):
                words = labels_for(reader_language(request)).get("page_count",
                                                                 "This PDF has no such page (it has {n}).")
                return PlainTextResponse(words.format(n=len(pdf)), status_code=404)
            pdf_page = pdf[page - 1]
            scale = zoom * _RENDER_FACTOR * 96 / 72
            png = cache.png(path, pdf_page, page, scale)
            textpage = pdf_page.get_textpage()
            has_text = bool(textpage.get_text_range().strip())
            textpage.close()
            if has_text:
                boxes = passage_boxes(pdf_page, passage) if passage else []
            elif passage:
                ocr_scale = round(_OCR_DPI / 72, 4)
                languages = _ocr_languages()
                image = cache.png(path, pdf_page, page, ocr_scale)
                boxes = ocr_word_boxes(image, ocr_scale, passage, languages,
                                       cache.ocr_tsv(path, image, page, languages))
            else:
                boxes = []
            size = pdf_page.get_size()
            count = len(pdf)
            pdf_page.close()
        finally:
            pdf.close()
        query = {k: v for k, v in args.items() if k in ("page", "doc", "start", "end", "ui")}
        body = render_page_html(source=relative, page=page, page_count=count, zoom=zoom, png=png, size=size,
                                boxes=boxes, query=query, read_by_ocr=not has_text,
                                labels=labels_for(reader_language(request)))
        headers = {"Content-Security-Policy": _PAGE_CSP, "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", "Cache-Control": "private, max-age=300"}
        return HTMLResponse(body, headers=headers)

    return Route(f"/{PAGE_ROUTE}/{{path:path}}", serve, methods=["GET"], name="page_view")


def _ocr_languages() -> str:
    """The OCR languages Tesseract has of those the loader reads with (English when none)."""
    from indexer.loaders.ocr import tesseract_languages

    have = tesseract_languages()
    wanted = [code for code in ("eng", "spa", "fra", "por") if code in have]
    return "+".join(wanted) or "eng"


def page_view_route(searcher, corpus_dir: Path) -> Route:
    """The page-view route for an app over ``searcher`` (a Searcher or LiveSearcher): its indexed
    sources and page texts (of the generation served when a page is asked for), pages cached under
    the settings' cache_dir/pages."""
    from search.live import LiveSearcher

    from . import i18n

    live = LiveSearcher.of(searcher)

    def labels(lang: str) -> dict[str, str]:
        return {key: i18n.text(lang, f"pageview.{key}") for key in ("page", "open_pdf", "found", "not_found", "ocr",
                                                                      "page_count")}

    return page_route(Path(corpus_dir), live.sources, live.document_text,
                      Path(live.settings.cache_dir).expanduser() / "pages", labels)
