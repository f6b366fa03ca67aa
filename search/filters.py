"""Search filters, applied inside both retrievers before ranking (never after truncation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.errors import IndexerError

__all__ = ["Filters", "parse_year_range"]


@dataclass(frozen=True)
class Filters:
    """Restrict results to passages whose provenance matches every given field.

    Each tuple field matches any of its values (case-insensitive); empty means no restriction.
    """

    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    kind: tuple[str, ...] = ()  # report, guide, commitment, text
    policy_area: tuple[str, ...] = ()
    language: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.country or self.region or self.kind or self.policy_area or self.language
                    or self.year_from is not None or self.year_to is not None)

    def where(self) -> tuple[str, list]:
        """SQL condition over ``chunks c JOIN documents d`` and its parameters."""
        clauses: list[str] = []
        params: list = []

        def any_of(column: str, values: tuple[str, ...]) -> None:
            clauses.append(f"LOWER({column}) IN ({','.join('?' * len(values))})")
            params.extend(v.lower() for v in values)

        if self.country:
            any_of("d.country", self.country)
        if self.region:
            any_of("d.region", self.region)
        if self.kind:
            any_of("d.kind", self.kind)
        if self.language:
            any_of("c.language", self.language)
        if self.year_from is not None:
            clauses.append("d.year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            clauses.append("d.year <= ?")
            params.append(self.year_to)
        if self.policy_area:
            marks = ",".join("?" * len(self.policy_area))
            clauses.append(
                f"d.id IN (SELECT document_id FROM policy_areas WHERE LOWER(area) IN ({marks}))"
            )
            params.extend(v.lower() for v in self.policy_area)
        return (" AND ".join(clauses) or "1"), params

    def to_query(self) -> dict[str, str]:
        """The filters as URL/CLI-style strings (for shareable links and JSON output)."""
        out = {}
        for name in ("country", "region", "kind", "policy_area", "language"):
            values = getattr(self, name)
            if values:
                out[name] = ",".join(values)
        if self.year_from is not None or self.year_to is not None:
            out["year"] = f"{self.year_from or ''}-{self.year_to or ''}"
        return out

    @classmethod
    def from_strings(cls, *, country: str | None = None, region: str | None = None, year: str | None = None,
                     kind: str | None = None, policy_area: str | None = None, language: str | None = None) -> Filters:
        """Build filters from comma-separated strings, as typed on the command line or in a URL."""
        def split(value: str | None) -> tuple[str, ...]:
            return tuple(v.strip() for v in (value or "").split(",") if v.strip())

        year_from, year_to = parse_year_range(year) if year else (None, None)
        return cls(split(country), split(region), year_from, year_to, split(kind), split(policy_area),
                   split(language))


_YEAR_RANGE = re.compile(r"^\s*(\d{4})?\s*(?:(-|–|\.\.)\s*(\d{4})?)?\s*$")


def parse_year_range(text: str) -> tuple[int | None, int | None]:
    """'2018-2024' -> (2018, 2024); '2018' -> (2018, 2018); '2018-' -> (2018, None); '-2020' -> (None, 2020)."""
    match = _YEAR_RANGE.match(text)
    if not match or not (match.group(1) or match.group(3)):
        raise IndexerError(f"Year filter '{text}' is not a year or a range like 2018-2024.")
    first = int(match.group(1)) if match.group(1) else None
    if not match.group(2):
        return first, first
    last = int(match.group(3)) if match.group(3) else None
    if first and last and first > last:
        raise IndexerError(f"Year range '{text}' ends before it starts.")
    return first, last
