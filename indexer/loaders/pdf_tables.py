"""Tables on PDF pages read as rows: "Column: value; Column: value" per row, not a word soup.

pypdf's plain extraction gives a table's cells one line each, in no order a reader can follow
("Número de / ministros o vocales / ISJ / Anual —"). Its layout mode keeps every cell where the
page prints it; columns are then the positions where many lines start a segment (text separated
by two spaces or more), a row starts where the first column has text, and a row's lines are
joined cell by cell under the header's column names.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["looks_tabular", "table_rows"]

_SEGMENT = re.compile(r"\S+(?: \S+)*")
#: A page is read as a table when most of its lines are this short and it has this many lines.
_SHORT_WORDS, _SHORT_SHARE, _MIN_LINES = 4, 0.4, 20
_MIN_COLUMNS = 3
_MOST_FILLED, _FEWEST_ONE_CELL = 0.7, 0.2
_HEADER_WORDS = 6


def looks_tabular(text: str) -> bool:
    """Whether plain extraction of a page looks like cells of a table, one per line."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < _MIN_LINES:
        return False
    short = sum(len(line.split()) <= _SHORT_WORDS for line in lines)
    return short >= _SHORT_SHARE * len(lines)


def _segments(line: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _SEGMENT.finditer(line)]


def table_rows(layout: str, previous_header: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]] | None:
    """The page's text with its table as rows, from pypdf's layout-mode text, and the table's
    column names; None when no columns are found. A page that continues a table without
    repeating its header (its first line holds numbers) takes ``previous_header`` when the
    columns agree; without column names the page is left alone (None)."""
    lines = layout.split("\n")
    segmented = [_segments(line) for line in lines]
    starts = Counter(start for segs in segmented if len(segs) >= 2 for start, _ in segs)
    wide = sum(len(segs) >= 2 for segs in segmented)
    anchors: list[int] = []
    for start, count in sorted(starts.items()):
        if count >= max(3, 0.15 * wide) and not any(abs(start - a) <= 3 for a in anchors):
            anchors.append(start)
    if len(anchors) < _MIN_COLUMNS:
        return None
    # Prose set in columns fills nearly every column on every line; a table's cells wrap, leaving
    # most columns of a line empty and many lines with one cell (measured on the Argentine
    # protocols' tables: at most 0.66 of the columns filled, 26% or more one-cell lines; the
    # two-column practice sheets: 0.77 or more, and at most 5% in the one sheet under 0.77).
    content = [segs for segs in segmented if segs]
    filled = sum(len(segs) for segs in content) / len(content) / len(anchors)
    one_cell = sum(len(segs) == 1 for segs in content) / len(content)
    if filled > _MOST_FILLED or one_cell < _FEWEST_ONE_CELL:
        return None

    def column(start: int) -> int:
        return max((i for i, a in enumerate(anchors) if a <= start + 3), default=0)

    header_at = next((i for i, segs in enumerate(segmented)
                      if len({column(s) for s, _ in segs}) >= _MIN_COLUMNS), None)
    if header_at is None:
        return None
    header = [""] * len(anchors)
    at = header_at
    # The header runs until the first line with text in the first column (a row's number or name).
    while at < len(lines) and (at == header_at or not any(column(s) == 0 for s, _ in segmented[at])):
        for s, text in segmented[at]:
            header[column(s)] = f"{header[column(s)]} {text}".strip()
        at += 1
    if not _is_header(header):
        if len(previous_header) != len(anchors):
            # No names for the columns: justified prose and forms look like this too, so the page is
            # left as it was read rather than risk cutting sentences into cells.
            return None
        at = header_at  # a data row: the table goes on from an earlier page
        header = list(previous_header)
    out = [line.strip() for line in lines[:header_at] if line.strip()]
    row: list[str] | None = None

    def flush() -> None:
        cells = [(name, cell) for name, cell in zip(header, row or []) if any(ch.isalnum() for ch in cell)]
        if cells:  # a cell of bullets alone ("") says nothing
            out.append("; ".join(f"{name}: {cell}" if name else cell for name, cell in cells))

    for segs in segmented[at:]:
        if not segs:
            continue
        if any(column(s) == 0 for s, _ in segs):
            flush()
            row = [""] * len(anchors)
        if row is None:
            row = [""] * len(anchors)
        for s, text in segs:
            row[column(s)] = f"{row[column(s)]} {text}".strip()
    flush()
    return "\n".join(out), tuple(header)


def _is_header(names: list[str]) -> bool:
    """Column names are short, start with a capital and hold no figures; a row of data or a line of
    justified prose ("MP. La  información  incluye") does not pass."""
    cells = [name for name in names if name]
    return len(cells) >= _MIN_COLUMNS and all(
        len(name.split()) <= _HEADER_WORDS and name[0].isupper() and not any(ch.isdigit() for ch in name)
        for name in cells)
