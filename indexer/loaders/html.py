"""HTML guide pages: the main text under its headings, without scripts, styles or navigation."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

from ..records import Document, Provenance, section_path
from .text import read_text_file, title_from_filename

__all__ = ["load_html"]

# Content inside these is never document text.
_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form",
         "button", "iframe", "object", "canvas", "select"}
_BLOCK = {"p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article",
          "main", "blockquote", "pre", "dd", "dt", "figcaption", "header", "hr"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}


class _GuideParser(HTMLParser):
    """Collects (heading level, text) and text blocks, remembering which lie inside <main>/<article>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[tuple[int, str, bool]] = []  # (heading level or 0, text, inside main)
        self._skip_depth = 0
        self._main_depth = 0
        self._in_title = False
        self._heading: int = 0
        self._buffer: list[str] = []
        self._meta_url: str | None = None
        self._lang: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "html":
            self._lang = dict(attrs).get("lang")
        if tag == "link" and dict(attrs).get("rel") == "canonical":
            self._meta_url = dict(attrs).get("href")
        if tag == "title":
            self._in_title = True
            return
        if tag in _VOID:
            if tag in _BLOCK:
                self._flush()
            return
        if tag in _SKIP or (tag == "header" and not self._main_depth):
            self._skip_depth += 1
            return
        if tag in ("main", "article"):
            self._main_depth += 1
        if tag in _HEADINGS or tag in _BLOCK:
            self._flush()
            if tag in _HEADINGS:
                self._heading = _HEADINGS[tag]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if tag in _SKIP or (tag == "header" and self._skip_depth and not self._main_depth):
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in _HEADINGS or tag in _BLOCK:
            self._flush()
        if tag in ("main", "article"):
            self._main_depth = max(0, self._main_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            self.blocks.append((self._heading, text, self._main_depth > 0))
        self._heading = 0

    def close(self) -> None:
        super().close()
        self._flush()


# "<![" must start a marked section html.parser knows; any other ("<![x", "<![ ", "<![<")
# makes Python's parser raise AssertionError and lose the whole page.
_BAD_MARKED_SECTION = re.compile(
    r"<!\[(?!(?:cdata|temp|ignore|include|rcdata|if|else|endif)(?![-_.a-zA-Z0-9]))", re.I)


def _tame(html: str) -> str:
    """Neutralise markup that makes html.parser crash or take quadratic time; the text is unchanged.

    After the last ">" no tag can close, and after the last "-->" no comment can: html.parser
    keeps the "<" there as text anyway, but first rescans the rest of the file from each one
    (minutes for a truncated page full of "<"). Escaping them gives the same text at once.
    """
    html = _BAD_MARKED_SECTION.sub("&lt;![", html)
    last_comment_end = html.rfind("-->") + 3 if "-->" in html else 0
    if "<!--" in html[last_comment_end:]:
        html = html[:last_comment_end] + html[last_comment_end:].replace("<!--", "&lt;!--")
    tail = html.rfind(">") + 1
    if "<" in html[tail:]:
        html = html[:tail] + html[tail:].replace("<", "&lt;")
    return html


def load_html(path: Path, source: str) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    parser = _GuideParser()
    parser.feed(_tame(read_text_file(path, source, warnings)))
    parser.close()
    blocks = parser.blocks
    if any(inside for _, _, inside in blocks):
        blocks = [b for b in blocks if b[2]]  # the page has a main area: everything else is chrome
    first_h1 = next((text for level, text, _ in blocks if level == 1), None)
    title = re.sub(r"\s+", " ", parser.title).strip() or first_h1 or title_from_filename(path)
    lang = (parser._lang or "").split("-")[0].lower() or None
    base = Provenance(source=source, kind="guide", title=title, url=parser._meta_url, language=lang)

    documents: list[Document] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []

    def emit() -> None:
        body = "\n\n".join(lines).strip()
        if not body:
            return
        headings = [h for _, h in stack]
        path_parts = section_path(headings, title) if len(headings) > 1 else headings
        heading_line = headings[-1] if headings and headings[-1] != title else ""
        text = f"{heading_line}\n\n{body}" if heading_line else body
        documents.append(Document(dataclasses.replace(base, section=" > ".join(path_parts) or None), text))

    for level, text, _ in blocks:
        if level:
            emit()
            lines = []
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
        else:
            lines.append(text)
    emit()
    return documents, warnings
