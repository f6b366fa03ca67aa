"""Comparable commitments: which members committed to something like this, one row each."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .filters import Filters
from .retrieve import Hit, Searcher

__all__ = ["CommitmentRow", "compare"]


@dataclass(frozen=True)
class CommitmentRow:
    """One commitment that matches the question, with its best passage."""

    country: str | None
    commitment_id: str
    year: int | None
    title: str
    lead_institution: str | None
    policy_areas: tuple[str, ...]
    irm_potential_impact: str | None
    irm_completion: str | None
    url: str | None
    passage: str
    score: float

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["policy_areas"] = list(self.policy_areas)
        return out


def compare(searcher: Searcher, question: str, filters: Filters | None = None, limit: int = 20) -> list[CommitmentRow]:
    """Up to ``limit`` commitments best matching ``question``, one row per commitment,
    ordered by country (countries with the best match first) so similar efforts group together."""
    base = filters or Filters()
    only_commitments = Filters(base.country, base.region, base.year_from, base.year_to, ("commitment",),
                               base.policy_area, base.language)
    hits: list[Hit] = searcher.search(question, k=limit * 3, filters=only_commitments)
    rows: dict[str, CommitmentRow] = {}
    for hit in hits:
        p = hit.provenance
        if not p.commitment_id or p.commitment_id in rows:
            continue
        meta = p.metadata
        rows[p.commitment_id] = CommitmentRow(
            country=p.country, commitment_id=p.commitment_id, year=p.year, title=p.title,
            # the export's column, or a tracker page's front matter (indexer/loaders/frontmatter.py)
            lead_institution=meta.get("lead_institution") or meta.get("lead agency"), policy_areas=p.policy_areas,
            irm_potential_impact=meta.get("irm_potential_impact"),
            irm_completion=meta.get("irm_completion_end_of_term") or meta.get("irm_completion_midterm"),
            url=p.url, passage=hit.best_sentence, score=hit.score,
        )
        if len(rows) >= limit:
            break
    # A tracker's sub-commitment page is titled by its own sentence: the row takes its commitment's title.
    titles = searcher.reader.commitment_titles(list(rows))
    rows = {cid: replace(row, title=titles.get(cid, row.title)) for cid, row in rows.items()}
    best_by_country: dict[str | None, float] = {}
    for row in rows.values():
        best_by_country[row.country] = max(best_by_country.get(row.country, float("-inf")), row.score)
    return sorted(rows.values(), key=lambda r: (-best_by_country[r.country], r.country or "", -r.score))
