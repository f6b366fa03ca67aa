"""A search in the page address: ``?q=...&type=commitment&country=...&year=2016-2024&k=5&ui=es``.

``lang`` is the document-language filter (it was first); the interface language is ``ui``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from indexer.errors import IndexerError
from search import Filters, parse_year_range
from search.filters import match_known

__all__ = ["DEFAULT_RESULTS", "MAX_RESULTS", "URL_PARAMS", "UI_PARAM", "SharedSearch", "clamp_k",
           "filters_from", "param_list", "read_shared_search", "share_query", "url_keys"]

DEFAULT_RESULTS = 10
MAX_RESULTS = 30
UI_PARAM = "ui"
#: URL parameters of a shared search: filter field -> accepted names (the first is written).
URL_PARAMS = (("country", ("country",)), ("region", ("region",)), ("kind", ("type", "kind")),
              ("policy_area", ("policy_area", "policy-area")), ("language", ("lang", "language")))


def url_keys() -> list[str]:
    """Every parameter name a shared search writes or reads (others in the address are kept)."""
    return ["q", "k", "year", *(key for _, keys in URL_PARAMS for key in keys)]


def clamp_k(value: Any) -> int:
    """A number of results between 1 and MAX_RESULTS (the default for anything unreadable)."""
    try:
        return max(1, min(MAX_RESULTS, int(value or DEFAULT_RESULTS)))
    except (TypeError, ValueError):
        return DEFAULT_RESULTS


def param_list(params: Mapping[str, str], name: str, choices: Sequence[str]) -> tuple[list[str], list[str]]:
    """A list-valued URL parameter: repeated and/or comma-separated; a whole value naming a choice wins."""
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)] if params.get(name) else []
    values: list[str] = []
    known = {str(c).lower() for c in choices}
    for item in raw:
        if item is None:
            continue
        values.extend([item] if item.strip().lower() in known else item.split(","))
    matched, unknown = match_known(values, choices)
    return matched, [value for value, _ in unknown]


def share_query(question: str, k: int, countries, regions, year_from, year_to, kinds, areas, langs) -> str:
    """The URL query string that reproduces a search."""
    pairs: list[tuple[str, str]] = [("q", question.strip())]
    if clamp_k(k) != DEFAULT_RESULTS:
        pairs.append(("k", str(clamp_k(k))))
    for name, values in (("country", countries), ("region", regions), ("type", kinds), ("policy_area", areas),
                         ("lang", langs)):
        values = list(values or [])
        if any("," in v for v in values):
            pairs += [(name, v) for v in values]
        elif values:
            pairs.append((name, ",".join(values)))
    if year_from or year_to:
        pairs.append(("year", f"{year_from or ''}-{year_to or ''}"))
    return urlencode(pairs)


def filters_from(countries, regions, year_from, year_to, kinds, areas, langs) -> Filters:
    """The Filters of the form's fields; IndexerError for years that are not a year or a range."""
    first = str(year_from or "").strip()
    last = str(year_to or "").strip()
    start = end = None
    if first or last:
        start, end = parse_year_range(f"{first}-{last}")
    return Filters(country=tuple(countries or ()), region=tuple(regions or ()), year_from=start, year_to=end,
                   kind=tuple(kinds or ()), policy_area=tuple(areas or ()), language=tuple(langs or ()))


@dataclass(frozen=True)
class SharedSearch:
    """The search a page address names: the form's values and what the index did not know."""

    question: str
    k: int
    fields: dict[str, list[str]]
    year_from: str
    year_to: str
    ignored: tuple[str, ...]

    def form_values(self) -> list[Any]:
        """[question, k, country, region, year from, year to, kind, policy area, language]: the form's order."""
        f = self.fields
        return [self.question, self.k, f["country"], f["region"], self.year_from, self.year_to, f["kind"],
                f["policy_area"], f["language"]]

    @property
    def narrowed(self) -> bool:
        """Whether the address sets any filter or a number of results (the filters panel is opened)."""
        return any(self.form_values()[2:]) or self.k != DEFAULT_RESULTS


def read_shared_search(params: Mapping[str, str], facets: Mapping[str, Sequence[str]]) -> SharedSearch:
    """The search named by URL parameters, values matched to what the index holds."""
    ignored: list[str] = []
    fields: dict[str, list[str]] = {}
    for name, keys in URL_PARAMS:
        key = next((k for k in keys if params.get(k)), keys[0])
        fields[name], bad = param_list(params, key, facets[name])
        ignored += [f"{key}={b}" for b in bad]
    year_from = year_to = ""
    if params.get("year"):
        try:
            first, last = parse_year_range(params.get("year"))
            year_from = "" if first is None else str(first)
            year_to = "" if last is None else str(last)
        except IndexerError:
            ignored.append(f"year={params.get('year')}")
    return SharedSearch((params.get("q") or "").strip(), clamp_k(params.get("k")), fields, year_from, year_to,
                        tuple(ignored))
