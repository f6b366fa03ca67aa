"""Word documents (.docx, via python-docx): headings give the section path, tables become rows.

A numbered commitment heading ("Commitment 3: ...", chunking.is_part_heading) starts a new
passage even when it is styled as body text, as it does in PDFs.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..headings import is_part_heading
from ..errors import LoaderError
from ..records import Document, Provenance
from .text import title_from_filename

__all__ = ["load_docx"]


def load_docx(path: Path, source: str) -> tuple[list[Document], list[str]]:
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - zip and XML readers raise many types on damaged files
        raise LoaderError(source, f"not a readable Word (.docx) file; is it damaged, or an old .doc renamed? "
                                  f"({type(exc).__name__}: {exc})") from None
    title = (document.core_properties.title or "").strip()
    headings: list[tuple[int, str]] = []
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            sections[-1][1].extend(_table_rows(block))
            continue
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block)
        if level is None and is_part_heading(text):
            level = (headings[-1][0] + 1) if headings else 1
        if level is None:
            sections[-1][1].append(text)
            continue
        title = title or (text if level <= 1 else "")
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, text))
        sections.append((" > ".join(h for _, h in headings), [text]))
    title = title or title_from_filename(path)
    documents = [
        Document(Provenance(source=source, kind="guide", title=title, section=section), "\n".join(lines))
        for section, lines in sections if any(lines)
    ]
    return documents, []


def _heading_level(paragraph: Paragraph) -> int | None:
    """1 for 'Heading 1' or 'Title', 2 for 'Heading 2'...; None for body text."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 1
    if name.startswith("Heading"):
        digits = name.removeprefix("Heading").strip()
        return int(digits) if digits.isdigit() else 1
    return None


def _table_rows(table: Table) -> list[str]:
    """'Column: value; Column: value' per row under the first row's header."""
    rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return ["; ".join(c for c in header if c)]
    out = []
    for row in body:
        pairs = [f"{h}: {v}" if h else v for h, v in zip(header, row) if v]
        if pairs:
            out.append("; ".join(dict.fromkeys(pairs)))  # merged cells repeat their text
    return out
