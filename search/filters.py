"""Search filters: a value the store translates (indexer/store.py), applied inside every retriever before
ranking (never after truncation), and matched to the index's own spelling of its values."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from indexer.analysis import fold
from indexer.errors import IndexerError, UnknownFilterValueError

__all__ = ["Filters", "LANGUAGE_NAMES", "LANGUAGE_OTHER_NAMES", "comparable", "match_known", "parse_year_range"]

#: Other names of the languages the tool translates between, in Spanish and French (accepted by --lang).
LANGUAGE_OTHER_NAMES = {"inglés": "en", "anglais": "en", "español": "es", "castellano": "es", "espagnol": "es",
                        "francés": "fr", "français": "fr", "portugués": "pt", "portugais": "pt"}
#: Language codes the indexer detects -> English names (shown in the app; accepted by --lang).
LANGUAGE_NAMES = {"und": "Undetermined", "en": "English", "es": "Spanish", "fr": "French", "pt": "Portuguese",
                  "ar": "Arabic", "ru": "Russian", "uk": "Ukrainian", "ka": "Georgian", "hy": "Armenian",
                  "id": "Indonesian"}
#: Below this many values, a message about an unknown value lists them all.
_LIST_ALL_UNDER = 13
#: ... and above that, the first few of them.
_LIST_SOME = 8

#: Filter fields that name values from the index, and how a message names each.
VALUE_FIELDS = {"country": "country", "region": "region", "kind": "document type", "policy_area": "policy area",
                "language": "language"}


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

    def matched_to(self, known: Mapping[str, Iterable[str]],
                   aliases: Mapping[str, Mapping[str, str]] | None = None) -> Filters:
        """These filters with each value spelt as the index spells it (``known``: field -> the index's
        values), ignoring case, accents, spacing and apostrophe style; ``aliases``: field -> other
        names for some values ("uk" -> "United Kingdom", "Spanish" -> "es").

        Raises UnknownFilterValueError naming every value that matches nothing, with suggestions:
        such a filter would return nothing, and the reader would not know why."""
        changes: dict[str, tuple[str, ...]] = {}
        problems: list[str] = []
        unknown_values: list[tuple[str, str, tuple[str, ...]]] = []
        for name, label in VALUE_FIELDS.items():
            values = getattr(self, name)
            if not values:
                continue
            choices = [str(v) for v in known.get(name, ())]
            matched, unknown = match_known(values, choices, (aliases or {}).get(name))
            for value, suggestions in unknown:
                if suggestions:
                    hint = f" (did you mean {' or '.join(repr(v) for v in suggestions)}?)"
                elif len(choices) < _LIST_ALL_UNDER:
                    hint = f" (it holds {', '.join(choices) or 'none'})"
                else:  # too many to list: enough to see how the index spells them
                    shown = sorted(choices, key=str.casefold)[:_LIST_SOME]
                    hint = f" (it holds {len(choices)}: {', '.join(shown)}, ...)"
                problems.append(f"no {label} '{value}' in this index{hint}")
                unknown_values.append((name, value, tuple(suggestions)))
            changes[name] = tuple(matched)
        if problems:
            raise UnknownFilterValueError("; ".join(problems) + ": a filter on it would match nothing.",
                                          tuple(unknown_values))
        return replace(self, **changes)

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


def comparable(value: str) -> str:
    """A value as compared with the index's: lower case, no accents, straight apostrophes, single spaces."""
    return " ".join(fold(value.replace("\u2019", "'").replace("\u2018", "'")).split())


def _rejoined(values: list[str], forms: Mapping[str, str]) -> list[str]:
    """``values`` with neighbours joined again where the index holds them as one value: a list given
    as "Madrid, Spain,Chile" was split at every comma, and "Madrid, Spain" is one member."""
    out: list[str] = []
    i = 0
    while i < len(values):
        for width in (3, 2):
            joined = ", ".join(v.strip() for v in values[i:i + width])
            if i + width <= len(values) and comparable(joined) in forms:
                out.append(joined)
                i += width
                break
        else:
            out.append(values[i])
            i += 1
    return out


def match_known(values: Iterable[str], known: Iterable[str], aliases: Mapping[str, str] | None = None,
                ) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """``values`` mapped onto ``known`` (case, accents, spacing and apostrophes aside; ``aliases``
    maps other names onto known values): (matched, [(unknown value, up to three suggestions)])."""
    by_form = {comparable(str(k)): str(k) for k in known}
    for alias, target in (aliases or {}).items():
        if comparable(target) in by_form:
            by_form.setdefault(comparable(alias), by_form[comparable(target)])
    matched: list[str] = []
    unknown: list[tuple[str, list[str]]] = []
    for value in _rejoined([str(v) for v in values], by_form):
        value = value.strip()
        if not value:
            continue
        form = comparable(value)
        hit = by_form.get(form)
        if hit is not None:
            if hit not in matched:
                matched.append(hit)
            continue
        # Suggest known values that contain the value as a word ("Africa" -> "Africa and the Middle
        # East"), then the closest spellings ("Slovakia" -> "Slovak Republic").
        containing = [k for f, k in by_form.items() if re.search(rf"\b{re.escape(form)}\b", f)]
        close = [by_form[f] for f in difflib.get_close_matches(form, list(by_form), n=3, cutoff=0.6)]
        suggestions = list(dict.fromkeys([*containing, *close]))[:3]
        unknown.append((value, suggestions))
    return matched, unknown
