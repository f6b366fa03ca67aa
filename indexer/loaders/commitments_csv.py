"""The OGP commitments export (CSV): one Document per commitment, its facts kept as metadata."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import LoaderError
from ..records import Document, Provenance
from .text import read_text_file

__all__ = ["load_commitments_csv", "commitments_from_rows", "is_export_header", "POLICY_AREA_COLUMNS", "ID_COLUMN"]

ID_COLUMN = "Commitment Unique Identifier"
_TITLE_COLUMNS = ("Commitment Title", "Short Title")
_TEXT_COLUMN = "Full Text"

#: The export's policy-area flag columns (value "1" when the commitment is tagged).
POLICY_AREA_COLUMNS = (
    "Anti-Corruption and Integrity", "Anti-corruption Institutions", "Anti-Corruption Strategies",
    "Asset Disclosure", "Audits", "Beneficial Ownership", "Conflicts Of Interest", "Elections",
    "Political Finance", "Lobbying", "Open Contracting", "Public Procurement", "Right To Information",
    "Whistleblower Protections", "Civic Space and Enabling Environment", "Freedom of Assembly",
    "Freedom of Association", "Freedom of Expression", "Democratizing Decision-Making",
    "Digital Participation", "Mainstreaming Participation", "Regulatory Governance",
    "Social Accountability", "Digital Governance", "Automated Decision-making",
    "Data Stewardship and Privacy", "Digital Inclusion", "Disinformation/Misinformation",
    "Online Civic Space", "Environment & Climate", "Climate Finance", "Climate Mitigation and Adaptation",
    "Environmental Regulation", "International Environmental Agreements", "Fiscal Openness",
    "Publication Of Budget/Fiscal Information", "Public Participation In Budget/Fiscal Policy",
    "Oversight Of Budget/Fiscal Policies", "Stimulus and Economic Recovery", "Tax", "Debt", "Inclusion",
    "Gender", "Gender-Based Violence", "Economic Inclusion", "LGBTQIA+", "People with Disabilities",
    "Youth", "Justice", "Access to Justice", "Open Justice", "Policing & Corrections", "Judiciary",
    "Open Parliaments", "Public Service Delivery", "Citizenship & Immigration", "Education",
    "Health & Nutrition", "Infrastructure & Transport", "Water & Sanitation", "Capacity Building",
    "Digital Transformation", "Legislation", "Regulation", "Legislative Oversight", "Open Data",
    "Public Participation", "Aid", "Energy", "Extractive Industries", "Land and Spatial Planning",
    "Media & Telecommunications", "Science & Technology", "Security & Public Safety", "Labor",
    "Private Sector", "Subnational", "Human Rights", "Participation in Lawmaking", "Access to information",
    "Money in Politics",
)

#: Export columns kept as metadata (shown in comparisons and source views), under a short key.
METADATA_COLUMNS = {
    "Action Plan Number": "action_plan",
    "Action Plan ID": "action_plan_id",
    "Commitment Number": "commitment_number",
    "National Or Local": "level",
    "Action Plan End Year": "end_year",
    "Theme": "theme",
    "Status": "status",
    "Lead Institution": "lead_institution",
    "Supporting Institution(s)": "supporting_institutions",
    "Specificity": "irm_specificity",
    "Verifiable": "irm_verifiable",
    "Potential Impact": "irm_potential_impact",
    "Potential for Results": "irm_potential_for_results",
    "Completion (Progress Report)": "irm_completion_midterm",
    "Completion (End Of Term)": "irm_completion_end_of_term",
    "Did It Open Government (Overall)": "irm_did_it_open_government",
    "Early Results": "irm_early_results",
    "Starred (Current Formula) End of Term": "irm_starred",
    "Latest IRM Report": "irm_report",
}
_MISSING = {"", "nd", "na", "n/a", "none", "null", "-"}
#: A 'Full Text' longer than this (about 50 pages) is indexed, with a warning: it is usually a
#: stray quote mark that made the CSV reader swallow the following rows into one cell.
LONG_CELL_CHARS = 100_000


def _present(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value.lower() in _MISSING else value


def load_commitments_csv(path: Path, source: str) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    text = read_text_file(path, source, warnings)
    csv.field_size_limit(sys.maxsize)  # real exports have multi-page Full Text cells
    try:
        reader = csv.DictReader(_lines(text))
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        if not is_export_header(header):
            raise LoaderError(
                source,
                f"not an OGP commitments export: no '{ID_COLUMN}' column "
                f"(columns found: {', '.join(header[:6]) or 'none'})",
            )
        documents = commitments_from_rows(header, enumerate(reader, start=2), source, warnings)
    except csv.Error as exc:
        raise LoaderError(source, f"the CSV is malformed ({exc})") from None
    return documents, warnings


def _lines(text: str) -> Iterator[str]:
    """The text's lines, each with its ending (\\r\\n, \\r or \\n, as ``io.StringIO(text, newline="")``
    gives them to the CSV reader; the reader joins those of a quoted cell).

    Not ``io.StringIO(text)`` itself: it copies the whole text at four bytes a character, and with the
    csv module's own buffer for one long cell that took a 40 MB cell past half a gigabyte, the memory
    limit of a reading worker in the tests."""
    start = 0
    for end in _LINE_END.finditer(text):
        yield text[start:end.end()]
        start = end.end()
    if start < len(text):
        yield text[start:]


_LINE_END = re.compile(r"\r\n|\r|\n")


def is_export_header(header: list[str]) -> bool:
    """Whether a table's header row is the OGP commitments export's (the CSV or the same saved as a sheet)."""
    return ID_COLUMN in header


def commitments_from_rows(header: list[str], rows: Iterable[tuple[int, dict]], source: str,
                          warnings: list[str], where: str = "row") -> list[Document]:
    """One Document per commitment from the export's (row number, column -> value) rows.

    Shared by the CSV and spreadsheet loaders, so the export saved as XLSX gives the same records.
    ``where`` names a row in warnings ("row", or "sheet 'Export' row").
    """
    title_column = next((c for c in _TITLE_COLUMNS if c in header), None)
    if title_column is None and _TEXT_COLUMN not in header:
        raise LoaderError(source, f"no '{_TEXT_COLUMN}' or 'Commitment Title' column: nothing to index")
    if _TEXT_COLUMN not in header:
        warnings.append(f"no '{_TEXT_COLUMN}' column: only the commitment titles were indexed")
    for column, what in (("Country/Locality", "country"), ("Year Of Submission", "year")):
        if column not in header:
            warnings.append(f"no '{column}' column: the commitments have no {what}, so a {what} filter "
                            f"leaves them out")
    documents: list[Document] = []
    seen: set[str] = set()
    for line_no, row in rows:
        commitment_id = _present(row.get(ID_COLUMN))
        title = _present(row.get(title_column)) if title_column else None
        full_text = _present(row.get(_TEXT_COLUMN))
        if not commitment_id:
            warnings.append(f"{where} {line_no}: no commitment id; skipped")
            continue
        if commitment_id in seen:
            warnings.append(f"{where} {line_no}: duplicate id {commitment_id}; kept the first")
            continue
        if not (title or full_text):
            warnings.append(f"{where} {line_no} ({commitment_id}): no title or text; skipped")
            continue
        if full_text and len(full_text) > LONG_CELL_CHARS:
            warnings.append(
                f"{where} {line_no} ({commitment_id}): the '{_TEXT_COLUMN}' cell is {len(full_text):,} characters "
                "long; if that is not expected, look for a stray quote mark that merged rows")
        seen.add(commitment_id)
        documents.append(_commitment(row, source, commitment_id, title, full_text))
    return documents


def _commitment(row: dict, source: str, commitment_id: str, title: str | None, full_text: str | None) -> Document:
    year_text = _present(row.get("Year Of Submission")) or ""
    match = re.match(r"\d{4}", year_text)
    metadata = {key: value for column, key in METADATA_COLUMNS.items() if (value := _present(row.get(column)))}
    policy_areas = tuple(c for c in POLICY_AREA_COLUMNS if (row.get(c) or "").strip() == "1")
    body = "\n\n".join(part for part in (title, full_text) if part)
    return Document(
        Provenance(
            source=source,
            kind="commitment",
            title=title or commitment_id,
            commitment_id=commitment_id,
            country=_present(row.get("Country/Locality")),
            region=_present(row.get("Region")),
            year=int(match.group()) if match else None,
            url=_present(row.get("URL")),
            policy_areas=policy_areas,
            metadata=metadata,
        ),
        body,
    )
