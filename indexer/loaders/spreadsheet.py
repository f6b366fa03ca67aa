"""Spreadsheets (.xlsx via openpyxl, .ods via odfpy): one record per row under a detected header,
cited by sheet and row.

odfpy reads .ods on its own, pure Python (pandas' ods reader is pandas plus odfpy; pyexcel-ods3
adds two more packages and drops cell links).

A sheet whose header is the OGP commitments export's is read exactly as the CSV export is
(commitments_csv.commitments_from_rows). Elsewhere a row becomes "Column: value" lines, its
title from a name/title column; a cell's hyperlink is kept beside its text. Metadata keys:
"sheet", "row".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from odf import teletype
from odf import text as odf_text
from odf.opendocument import load as load_odf
from odf.table import Table, TableRow

from ..errors import LoaderError
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
    documents: list[Document] = []
    kind = path.suffix.lower().lstrip(".").upper()
    try:
        sheets = list(_ods_sheets(path) if kind == "ODS" else _xlsx_sheets(path))
    except Exception as exc:  # noqa: BLE001 - zip and XML readers raise many types on damaged files
        raise LoaderError(source, f"not a readable {kind} spreadsheet; is it damaged or another format? "
                                  f"({type(exc).__name__}: {exc})") from None
    for sheet_name, rows in sheets:
        header_at = next((i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]) if _is_header(row)), None)
        if header_at is None:
            if any(any(row) for row in rows):
                warnings.append(f"sheet '{sheet_name}': no header row found in its first "
                                f"{_HEADER_SEARCH_ROWS} rows; skipped")
            continue
        header = [h.strip() for h in rows[header_at]]
        numbered = [(i + 1, dict(zip(header, row))) for i, row in enumerate(rows) if i > header_at and any(row)]
        if commitments_csv.is_export_header(header):
            documents += commitments_csv.commitments_from_rows(
                header, numbered, source, warnings, where=f"sheet '{sheet_name}' row")
            continue
        documents += [_row_document(path, source, sheet_name, n, row) for n, row in numbered]
    return documents, warnings


def _xlsx_sheets(path: Path) -> Iterator[tuple[str, list[list[str]]]]:
    # Not read_only: only a fully loaded workbook exposes cell hyperlinks.
    workbook = openpyxl.load_workbook(path, data_only=True)
    for sheet in workbook.worksheets:
        yield sheet.title, [[_cell_text(cell) for cell in row] for row in sheet.iter_rows()]


# An ODS file stores a run of equal rows or cells once with a repeat count. Runs are expanded so
# row numbers and columns stay true, up to this many (the blank run to the sheet's edge is a
# million rows); trailing blanks are then dropped.
_MAX_REPEAT = 1000


def _ods_sheets(path: Path) -> Iterator[tuple[str, list[list[str]]]]:
    document = load_odf(str(path))
    for table in document.spreadsheet.getElementsByType(Table):
        rows: list[list[str]] = []
        for row in table.getElementsByType(TableRow):
            cells: list[str] = []
            for cell in row.childNodes:
                if getattr(cell, "qname", (None, None))[1] not in ("table-cell", "covered-table-cell"):
                    continue
                value = _ods_cell_text(cell)
                repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
                cells.extend([value] * min(repeat, _MAX_REPEAT))
            while cells and not cells[-1]:
                cells.pop()
            repeat = int(row.getAttribute("numberrowsrepeated") or 1)
            rows.extend([cells] * min(repeat, _MAX_REPEAT))
        while rows and not rows[-1]:
            rows.pop()
        yield str(table.getAttribute("name")), rows


def _ods_cell_text(cell: Any) -> str:
    paragraphs = [teletype.extractText(p).strip() for p in cell.getElementsByType(odf_text.P)]
    text = "\n".join(p for p in paragraphs if p)
    for link in cell.getElementsByType(odf_text.A):
        target = link.getAttribute("href")
        if target and target not in text:
            text = f"{text} ({target})" if text else target
    return text


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
