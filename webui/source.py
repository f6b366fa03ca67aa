""""Show source" in pages: a result card holds the page of its document that contains the passage,
marked, never the whole document; ``/source/<document id>?page=N`` serves the other pages.

A document may hold up to ``max_document_chars`` characters (two million by default: a long
commitment record, a spreadsheet's notes), and a page of results used to carry each card's whole
document, so one search could send tens of megabytes. Page k of a document ends at character
k x SOURCE_PAGE_CHARS, moved back to just after a space or line break within 200 characters when
there is one, so words stay whole, a page holds SOURCE_PAGE_CHARS characters give or take 200,
and the pages put end to end are the document exactly. A document of one page is shown whole,
as before.

The card's previous/next links open the page on its own (they work without scripts); the results'
script (SOURCE_PAGE_JS) fetches the page's fragment instead and shows it in the card.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .files import logged_in
from .i18n import choose_language, format_number, text

__all__ = ["SOURCE_CSS", "SOURCE_PAGE_CHARS", "SOURCE_PAGE_JS", "SOURCE_ROUTE", "SourcePage", "card_source", "page_of",
           "source_body", "source_page", "source_route"]

SOURCE_ROUTE = "source"  # pages are served at /source/<document id>
#: Characters of document text a page of "show source" holds (a few printed pages).
SOURCE_PAGE_CHARS = 20_000
#: How far back from a page's last character its end may move to fall between words.
_WORD_SLACK = 200


class DocumentTexts(Protocol):
    def document_text(self, document_id: int) -> str: ...


@dataclass(frozen=True)
class SourcePage:
    """Page ``number`` of ``count`` of a document's text: the characters [start, end)."""

    number: int
    count: int
    start: int
    end: int


def _boundary(document: str, k: int) -> int:
    """Where page k ends and page k + 1 begins: k pages' worth of characters, moved back to just
    after a space or line break when one is near."""
    at = k * SOURCE_PAGE_CHARS
    if at >= len(document):
        return len(document)
    space = max(document.rfind(" ", at - _WORD_SLACK, at), document.rfind("\n", at - _WORD_SLACK, at))
    return space + 1 if space >= 0 else at


def _count(document: str) -> int:
    return max(1, -(-len(document) // SOURCE_PAGE_CHARS))


def source_page(document: str, number: int) -> SourcePage:
    """Page ``number`` (1-based, kept within the document) of ``document``."""
    count = _count(document)
    number = min(max(1, number), count)
    return SourcePage(number, count, _boundary(document, number - 1), _boundary(document, number))


def page_of(document: str, offset: int) -> int:
    """The number of the page holding character ``offset`` of ``document``."""
    count = _count(document)
    number = min(max(1, offset // SOURCE_PAGE_CHARS + 1), count)
    # A boundary sits at most _WORD_SLACK before its round figure, so the answer is this page or the next.
    if number < count and offset >= _boundary(document, number):
        number += 1
    return number


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _marked(document: str, page: SourcePage, passage: tuple[int, int] | None,
            best: tuple[int, int] | None) -> str:
    """The page's text, escaped, with the passage (document offsets) in a ``jx-here`` span and its
    best sentence (offsets within the passage) in <mark>, where they fall on this page. A passage
    that runs past the page's end is shown whole: the page is the reader's way to it."""
    start, end = page.start, page.end
    if passage is None or not (start <= passage[0] < end or start < passage[1] <= end):
        return _e(document[start:end])
    p0, p1 = max(passage[0], start), passage[1]
    end = max(end, p1)
    inner = _e(document[p0:p1])
    if best is not None and 0 <= best[0] < best[1] <= passage[1] - passage[0]:
        b0, b1 = passage[0] + best[0], passage[0] + best[1]
        if p0 <= b0 and b1 <= p1:
            inner = (_e(document[p0:b0]) + "<mark>" + _e(document[b0:b1]) + "</mark>" + _e(document[b1:p1]))
    return _e(document[start:p0]) + '<span class="jx-here">' + inner + "</span>" + _e(document[p1:end])


def _link(document_id: int, number: int, passage: tuple[int, int] | None, best: tuple[int, int] | None,
          language: str) -> str:
    params: dict[str, object] = {"page": number}
    if passage is not None:
        params.update(start=passage[0], end=passage[1])
        if best is not None:
            params["best"] = f"{best[0]}-{best[1]}"
    if language != "en":
        params["ui"] = language
    return f"{SOURCE_ROUTE}/{document_id}?{urlencode(params)}"


def _nav(document_id: int, page: SourcePage, passage, best, language: str, prefix: str) -> str:
    """'← Previous page · Page 3 of 95 of this text · Next page →' (links only where there is a page)."""
    parts = []
    for number, key, rel in ((page.number - 1, "source_previous", "prev"), (page.number + 1, "source_next", "next")):
        if 1 <= number <= page.count:
            href = prefix + _link(document_id, number, passage, best, language)
            parts.append(f'<a class="jx-source-page" rel="{rel}" href="{_e(href)}" target="_blank" '
                         f'data-page="{number}">{_e(text(language, key))}</a>')
        else:
            parts.append("")
    where = text(language, "source_page", n=format_number(language, page.number),
                 count=format_number(language, page.count))
    return (f'<nav class="jx-source-nav" data-page="{page.number}" data-pages="{page.count}">{parts[0]}'
            f'<span class="jx-source-where">{_e(where)}</span>{parts[1]}</nav>')


def source_body(document_id: int, document: str, page: SourcePage, passage: tuple[int, int] | None = None,
                best: tuple[int, int] | None = None, language: str = "en", prefix: str = "") -> str:
    """One page of a document as HTML: the text (passage marked where it falls) and, for a document
    of several pages, previous/next links above and below. ``prefix`` goes before the links' paths
    (the card's links are relative to the app, the standalone page's to its own folder)."""
    body = f'<div class="jx-doc">{_marked(document, page, passage, best)}</div>'
    if page.count == 1:
        return body
    nav = _nav(document_id, page, passage, best, language, prefix)
    return nav + body + nav


def card_source(document_id: int, document: str, passage: tuple[int, int] | None, best: tuple[int, int] | None,
                language: str) -> str:
    """A card's "show source" body: the page holding the passage (the first page without one)."""
    page = source_page(document, page_of(document, passage[0]) if passage else 1)
    return (f'<div class="jx-source-body" data-doc="{document_id}">'
            f'{source_body(document_id, document, page, passage, best, language)}</div>')


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None and value.strip() else None
    except ValueError:
        return None


def _offsets(request: Request, length: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The passage (``start``, ``end``) and its best sentence (``best=a-b``, within the passage)."""
    start, end = _int(request.query_params.get("start")), _int(request.query_params.get("end"))
    if start is None or end is None or not 0 <= start < end <= length:
        return None, None
    first, _, last = (request.query_params.get("best") or "").partition("-")
    best = (_int(first), _int(last))
    return (start, end), (best if None not in best else None)


def source_route(searcher: DocumentTexts) -> Route:
    """``GET /source/<document id>?page=N[&start=S&end=E&best=A-B][&ui=es][&part=1]``: a page of an
    indexed document's text (the page holding ``start`` when no page is asked); ``part=1`` gives only
    the part a card shows. Behind the app's login, like the corpus files."""

    async def serve(request: Request) -> Response:
        if not await logged_in(request):
            return PlainTextResponse("Log in to the app first.", status_code=401)
        language = choose_language(request.query_params.get("ui"), request.headers.get("accept-language"))
        document_id = request.path_params["document_id"]
        document = searcher.document_text(document_id)
        if not document:
            return PlainTextResponse("No such document in the index.", status_code=404)
        passage, best = _offsets(request, len(document))
        number = _int(request.query_params.get("page"))
        if number is None:
            number = page_of(document, passage[0]) if passage else 1
        page = source_page(document, number)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300",
                   "Referrer-Policy": "no-referrer"}
        if request.query_params.get("part") == "1":
            # Shown inside a card, whose links are relative to the app's address.
            return HTMLResponse(source_body(document_id, document, page, passage, best, language),
                                headers=headers)
        title = text(language, "source_title")
        where = text(language, "source_page", n=format_number(language, page.number),
                     count=format_number(language, page.count))
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"
        return HTMLResponse(
            f'<!doctype html><html lang="{_e(language)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)} · {_e(where)}</title><style>{_PAGE_CSS}{SOURCE_CSS}</style></head>"
            f'<body><main class="jx-source-page-view">'
            f"{source_body(document_id, document, page, passage, best, language, prefix='../')}</main></body></html>",
            headers=headers)

    return Route(f"/{SOURCE_ROUTE}/{{document_id:int}}", serve, methods=["GET"], name="source_page")


#: The page on its own (a new tab without scripts): the card's look, without the app's styles.
_PAGE_CSS = ("body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 16px; color: #111; }"
             "main { max-width: 60rem; margin: 0 auto; } .jx-doc { white-space: pre-wrap; }"
             ".jx-doc mark { background: #fff2a8; } .jx-doc .jx-here { background: #e6f0ff; }")
SOURCE_CSS = """
.jx-source-nav { display: flex; gap: 12px; align-items: baseline; justify-content: space-between;
                 margin: 6px 0; font-size: 0.9em; }
.jx-source-nav a:empty { display: none; }
.jx-source-where { color: var(--jx-subdued, #4b5563); }
"""
#: For the results' js_on_load: a card's previous/next link fetches that page's part and shows it
#: in the card instead of opening a tab.
SOURCE_PAGE_JS = """
element.addEventListener("click", async (event) => {
  const link = event.target.closest && event.target.closest("a.jx-source-page");
  if (!link) return;
  const body = link.closest(".jx-source-body");
  if (!body) return;
  event.preventDefault();
  try {
    const response = await fetch(link.href + "&part=1", {credentials: "same-origin"});
    if (!response.ok) throw new Error(String(response.status));
    body.innerHTML = await response.text();
    const nav = body.querySelector(".jx-source-nav");
    if (nav) nav.scrollIntoView({block: "nearest"});
  } catch (error) {
    window.open(link.href, "_blank", "noopener");
  }
});
"""
