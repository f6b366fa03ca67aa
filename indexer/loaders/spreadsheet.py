"""Spreadsheets (.xlsx, via openpyxl): one record per row under a detected header, cited by sheet and row.

A sheet whose header is the OGP commitments export's is read exactly as the CSV export is
(commitments_csv.commitments_from_rows). Elsewhere a row becomes "Column: value" lines, its
title from a name/title column; a cell's hyperlink is kept beside its text. Metadata keys:
"sheet", "row".
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from ..records import Document, Provenance
from . import commitments_csv
from .text import title_from_filename

__all__ = ["load_spreadsheet"]

# Rows searched for the header; a header is the first row with this many text cells and no numbers.
_HEADER_SEARCH_ROWS = 10
_HEADER_MIN_CELLS = 2
_TITLE_COLUMNS = ("title", "name", "nombre", "título", "titulo", "nom", "commitment title", "short title")
_COUNTRY_COLUMNS = ("country", "país", "pais", "pays", "country/locality")


def load_spreadsheet(path: Path, source: str) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    # Not read_only: only a fully loaded workbook exposes cell hyperlinks.
    workbook = openpyxl.load_workbook(path, data_only=True)
    documents: list[Document] = []
    for sheet in workbook.worksheets:
        rows = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows()]
        header_at = next((i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]) if _is_header(row)), None)
        if header_at is None:
            if any(any(row) for row in rows):
                warnings.append(f"sheet '{sheet.title}': no header row found in its first "
                                f"{_HEADER_SEARCH_ROWS} rows; skipped")
            continue
        header = [h.strip() for h in rows[header_at]]
        numbered = [(i + 1, dict(zip(header, row))) for i, row in enumerate(rows) if i > header_at and any(row)]
        if commitments_csv.is_export_header(header):
            documents += commitments_csv.commitments_from_rows(
                header, numbered, source, warnings, where=f"sheet '{sheet.title}' row")
            continue
        documents += [_row_document(path, source, sheet.title, n, row) for n, row in numbered]
    return documents, warnings


def _cell_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        text = ""
    elif isinstance(value, datetime) and not (value.hour or value.minute or value.second):
        text = value.date().isoformat()
    elif isinstance(value, (date, datetime)):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    link = getattr(cell, "hyperlink", None)
    target = getattr(link, "target", None) if link is not None else None
    if target and target not in text:
        text = f"{text} ({target})" if text else target
    return text


def _is_header(row: list[str]) -> bool:
    cells = [c for c in row if c]
    return len(cells) >= _HEADER_MIN_CELLS and not any(c.replace(".", "", 1).isdigit() for c in cells if c != "#")


def _row_document(path: Path, source: str, sheet: str, row_number: int, row: dict[str, str]) -> Document:
    folded = {k.strip().casefold(): v for k, v in row.items() if k}
    title = next((folded[c] for c in _TITLE_COLUMNS if folded.get(c)), None)
    country = next((folded[c] for c in _COUNTRY_COLUMNS if folded.get(c)), None)
    lines = [f"{column}: {value}" for column, value in row.items() if column and value]
    return Document(
        Provenance(
            source=source,
            kind="guide",
            title=title or f"{title_from_filename(path)}, row {row_number}",
            section=f"{sheet} > row {row_number}",
            country=country,
            metadata={"sheet": sheet, "row": str(row_number)},
        ),
        "\n".join(lines),
    )
