"""PDF reports, one Document per page, keeping the physical page number and the printed label."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..chunking import is_part_heading
from ..errors import LoaderError
from ..records import Document, Provenance
from .text import title_from_filename

__all__ = ["load_pdf"]

# pypdf logs every recoverable oddity of real-world PDFs; the build reports what matters itself.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_USELESS_TITLES = re.compile(r"^(untitled|microsoft word|document\d*|slide \d+)\b", re.I)


def load_pdf(path: Path, source: str) -> tuple[list[Document], list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    warnings: list[str] = []
    with path.open("rb") as fh:
        if not fh.read(1024).lstrip().startswith(b"%PDF"):
            raise LoaderError(source, "not a PDF file (it does not start with %PDF); was it renamed?")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except (FileNotDecryptedError, NotImplementedError, PdfReadError):
                unlocked = 0
            if not unlocked:
                raise LoaderError(
                    source, "the PDF is password-protected; save a copy without a password and add that"
                )
        page_count = len(reader.pages)
        labels = _page_labels(reader, page_count)
        title = _pdf_title(reader) or title_from_filename(path)
        documents: list[Document] = []
        empty_pages = 0
        unreadable_pages = 0
        for index in range(page_count):
            try:
                raw = reader.pages[index].extract_text() or ""
            except DependencyError:
                raise  # the whole file needs a missing package, not just this page
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged pages
                warnings.append(f"page {index + 1} could not be read ({type(exc).__name__}); skipped")
                unreadable_pages += 1
                continue
            page_text = clean_pdf_text(raw)
            if not page_text:
                empty_pages += 1
                continue
            documents.append(
                Document(
                    Provenance(
                        source=source,
                        kind="report",
                        title=title,
                        page=index + 1,
                        page_label=labels[index],
                    ),
                    page_text,
                )
            )
    except LoaderError:
        raise
    except DependencyError:
        # pypdf needs the 'cryptography' package for AES, the usual encryption of
        # "no copying" PDFs that open without a password.
        raise LoaderError(
            source, "the PDF is encrypted (AES) and reading it needs the 'cryptography' package: "
            "run `pip install cryptography`, or save a copy without encryption and add that"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure means "damaged file" to the user
        raise LoaderError(source, f"the PDF is damaged or incomplete and cannot be read ({exc})") from None
    if page_count and not documents and unreadable_pages:
        detail = ("none of its pages could be read" if unreadable_pages == page_count else
                  f"{unreadable_pages} of its {page_count} pages could not be read and the others have no text")
        raise LoaderError(source, f"the PDF is damaged: {detail}")
    if page_count and not documents:
        raise LoaderError(source, "no extractable text: needs OCR (the pages look like scanned images)")
    if empty_pages:
        warnings.append(f"{empty_pages} of {page_count} pages had no extractable text (images?)")
    return _without_running_lines(documents), warnings


#: A running header or footer sits in a page's first or last few lines ...
_EDGE_LINES = 2
#: ... and recurs, numbers aside, on at least this share of the pages (and on three at least).
_RUNNING_SHARE = 0.5
_NUMBER = re.compile(r"\d+")


def _running_key(line: str) -> str:
    return _NUMBER.sub("#", " ".join(line.lower().split()))


def _edges(lines: list[str]) -> list[int]:
    """Positions of the first and last ``_EDGE_LINES`` non-empty lines."""
    filled = [at for at, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]))


def _without_running_lines(documents: list[Document]) -> list[Document]:
    """Pages without the lines printed on most of them: page numbers, running titles ("Court Data
    for Open Justice - page 23"), markings ("UNCLASSIFIED").

    Left in, such a line is quoted as the answer to a question that shares its words, and makes
    every page's last passage look like a copy of the others. A running line sits among a page's
    first or last lines, recurs on at least half the pages, and its numbers either stay the same
    or go up with the page (a year, a page number): a line of content that merely follows a
    pattern ("District 12 opened 3 desks") changes its numbers every which way. Numbered
    headings ("Commitment 18") are never dropped (a plan that opens most pages with one still
    needs it to say which commitment a passage belongs to); a page that is nothing but such lines
    keeps them.
    """
    if len(documents) < 3:
        return documents
    pages = [d.text.split("\n") for d in documents]
    # Each page's edge lines: (position, key).
    edges = [[(at, _running_key(lines[at])) for at in _edges(lines)] for lines in pages]
    numbers: dict[str, list[tuple[int, ...]]] = {}
    for lines, page_edges in zip(pages, edges):
        for at, key in page_edges:
            numbers.setdefault(key, []).append(tuple(int(n) for n in _NUMBER.findall(lines[at])[:_MOST_NUMBERS]))
    needed = max(3, math.ceil(_RUNNING_SHARE * len(documents)))
    running = {key for key, seen in numbers.items() if len(seen) >= needed and _steady(seen)}
    if not running:
        return documents
    out = []
    for document, lines, page_edges in zip(documents, pages, edges):
        drop = {at for at, key in page_edges if key in running and not is_part_heading(lines[at])}
        kept = [line for at, line in enumerate(lines) if at not in drop]
        out.append(replace(document, text=clean_pdf_text("\n".join(kept))) if any(map(str.strip, kept))
                   else document)
    return out


#: Numbers compared per line (a long line of figures is content, not a running title).
_MOST_NUMBERS = 4


def _steady(occurrences: list[tuple[int, ...]]) -> bool:
    """Whether each number of a recurring line, page after page, stays the same or never goes down."""
    if len({len(numbers) for numbers in occurrences}) != 1:
        return False
    for column in zip(*occurrences):
        if any(later < earlier for earlier, later in zip(column, column[1:])):
            return False
    return True


def _page_labels(reader, page_count: int) -> list[str]:
    try:
        labels = list(reader.page_labels)
        if len(labels) == page_count:
            return labels
    except Exception:  # noqa: BLE001 - a broken /PageLabels tree should not lose the pages
        pass
    return [str(i + 1) for i in range(page_count)]


def _pdf_title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001
        return None
    title = str(title).strip() if title else ""
    if not title or _USELESS_TITLES.match(title) or len(title) > 200:
        return None
    return title


_SPACES = re.compile(r"[ \t\u00a0]+")
_MANY_BREAKS = re.compile(r"\n{3,}")


def clean_pdf_text(raw: str) -> str:
    """Tidy extracted text: one space between words, at most one blank line, no NULs."""
    text = raw.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_BREAKS.sub("\n\n", text).strip()
