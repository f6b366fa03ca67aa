"""A question, analysed once at the door: its keyword terms, the commitment ids, member and years
it names, and the filters it is asked with. Every later stage reads these instead of the text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from indexer.analysis import query_terms
from indexer.countries import MemberNames, canonical_country

from .filters import Filters

__all__ = ["Query", "QueryAnalyser", "QueryVersion"]

_COMMITMENT_ID = re.compile(r"\b([A-Za-z]{2,4}\d{4})\b")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
#: Stand-ins for member names while a question is translated: words no dictionary holds, which
#: Apertium passes through unchanged (letters only: a digit would split the word).
_HOLDERS = ("Xkqa", "Xkqb", "Xkqc", "Xkqd", "Xkqe", "Xkqf")
_COMMITMENT_NUMBER = re.compile(
    r"\b(?:commitment|compromiso|engagement)\s*(?:no\.?|number|n[º°o]\.?|#)?\s*(\d{1,3})\b", re.I)
#: What a question asks for, beyond its topic, in English, Spanish and French: the ranker lets a
#: passage's type and form count only through these (a commitment record when the question asks for
#: commitments or countries; a list of names or a table of contents when it asks for people or contents).
_ASKS_FOR = {
    "commitments": re.compile(
        r"\b(commitments?|compromisos?|engagements?|which countries|what countries|countries that|"
        r"qu[ée] pa[ií]ses|cu[aá]les pa[ií]ses|pa[ií]ses que|quels pays|les pays qui)\b", re.I),
    # A question word, not a relative pronoun: "who" opening a question or clause ("people who
    # report corruption" asks for a commitment), Spanish "quién" written with its accent (the
    # relative "quien" has none), French "qui" opening the question or after a preposition.
    # Names in the plural and of someone ("names of the judges"); a thing's name or a member state is
    # not a list of people.
    "people": re.compile(
        r"(?:^|[,;:?¿]\s*|\b(?:and|or|y|o|et|ou)\s+)(?:(?:to|by|with|for|from)\s+)?(?:who|whom)\b|"
        r"(?:^|[,;:?¿]\s*|\b(?:and|y|et)\s+)(?:(?:à|par|avec|pour)\s+)?qui\b|"
        r"\bqui[ée]n(?:es)?\b(?<!quien)(?<!quienes)|"
        r"\b(?:members|miembros|membres|attendees|attended|asistentes|signator(?:y|ies)|firmantes|"
        r"signataires|names of|nombres de|noms des?)\b", re.I),
    # "Índice" alone is an index (Guatemala's Índice de Justicia Abierta), not a table of contents.
    "contents": re.compile(
        r"\b(?:table of contents|contents page|tabla de contenidos?|[ií]ndice (?:general|de contenidos?)|"
        r"sommaire|table des mati[eè]res|chapters?|cap[ií]tulos?|chapitres?)\b", re.I),
}


@dataclass(frozen=True)
class QueryVersion:
    """The question machine-translated into one of the index's languages, searched among that
    language's passages with that language's analyser."""

    language: str
    text: str
    terms: tuple[str, ...]  # keyword stems in ``language`` alone


@dataclass(frozen=True)
class Query:
    """One question and what the search needs to know about it."""

    text: str
    terms: tuple[str, ...]  # distinct keyword stems, in every stemmed language of the index
    commitment_ids: tuple[str, ...]  # commitment ids it names ("MK0164"), upper case, sorted
    commitment_number: str | None  # the number in "commitment 7", when it says one
    #: The member it names (or, when it names none, its translations name), in the export's English spelling.
    country: str | None
    years: frozenset[int]  # the years it names
    filters: Filters
    #: The question in the index's other languages (none when it holds one, or translation is off).
    versions: tuple[QueryVersion, ...] = ()
    #: The language the question is asked in, as translation saw it ("" when it was not translated).
    asked_in: str = ""
    #: What it asks for beyond its topic: "commitments", "people", "contents" (see _ASKS_FOR).
    asks_for: frozenset[str] = frozenset()
    #: Its keyword stems in the language the passages were rendered into (indexer/bridge.py): its own
    #: words when asked in it (or when its language was not told apart), else its translation's.
    rendering_terms: tuple[str, ...] = ()

    @property
    def names_place_or_time(self) -> bool:
        return self.country is not None or bool(self.years)

    def named_count(self, country: str | None, year: int | None) -> int:
        """How many of the country and year the question names a passage's document has (0-2)."""
        return (self.country is not None and canonical_country(country) == self.country) + (year in self.years)


class QueryAnalyser:
    """Analyses questions against one index: its stemmed languages and the members it holds."""

    def __init__(self, languages: tuple[str, ...], countries: Iterable[str],
                 translate: Callable[..., dict[str, str]] | None = None, rendering_language: str | None = None) -> None:
        """``languages``: the index's stemmed languages; ``translate``: (question, targets=()) ->
        {language: text}, its own language first, in ``targets`` or else in every language searched
        (search/translate.py's question_versions), or None for no versions; ``rendering_language``:
        the language the index's passages were rendered into, when it holds renderings."""
        self.languages = languages
        self._translate = translate
        self._members = MemberNames(countries)
        self._rendering_language = rendering_language

    def analyse(self, text: str, filters: Filters | None = None) -> Query:
        number = _COMMITMENT_NUMBER.search(text)
        versions = self._versions(text)
        versions_text = [v.text for v in versions.get("versions", ())]
        return Query(
            rendering_terms=self._rendering_terms(text, versions),
            text=text,
            terms=tuple(query_terms(text, self.languages)),
            commitment_ids=tuple(sorted({m.upper() for m in _COMMITMENT_ID.findall(text)})),
            commitment_number=number.group(1) if number else None,
            # A member named in the question's own words, or else in its translations (Apertium renders
            # "EE.UU." as "USA", which the question's own words miss).
            country=self.country_in(text) or next(filter(None, map(self.country_in, versions_text)), None),
            years=frozenset(int(y) for y in _YEAR.findall(text)),
            filters=filters or Filters(),
            asks_for=frozenset(name for name, pattern in _ASKS_FOR.items() if pattern.search(text)),
            **versions,
        )

    def _rendering_terms(self, text: str, versions: dict) -> tuple[str, ...]:
        language = self._rendering_language
        if language is None:
            return ()
        if versions.get("asked_in", "") in ("", language):
            return tuple(query_terms(text, (language,)))
        return next((v.terms for v in versions["versions"] if v.language == language), ())

    def _versions(self, text: str) -> dict:
        if self._translate is None:
            return {}
        versions = self._translate(text)
        if len(versions) < 2:
            return {}
        asked_in, *others = versions
        if "en" in others:
            versions["en"] = self._english_names(text, asked_in, versions["en"])
        return {"asked_in": asked_in, "versions": tuple(
            QueryVersion(lang, versions[lang], tuple(query_terms(versions[lang], (lang,)))) for lang in others)}

    def _english_names(self, text: str, asked_in: str, english: str) -> str:
        """``english`` (the question's machine translation) with the members ``text`` names in the
        records' English spelling. Apertium leaves some names as they are ("Kenia") and turns others
        into words ("Países Bajos" -> "Low Countries"), which the keyword side and the model then
        miss; such a question is translated again with each name held by a placeholder the engine
        passes through, and the placeholders become the English names."""
        mentions = [m for m in self._members.mentions(text) if m[2].lower() not in english.lower()]
        if not mentions or len(mentions) > len(_HOLDERS):
            return english
        held = text
        for holder, (start, end, _) in reversed(list(zip(_HOLDERS, mentions))):
            held = held[:start] + holder + held[end:]
        again = self._translate(held, targets=("en",))
        translated = again.get("en") if next(iter(again)) == asked_in else None
        if translated is None or not all(holder in translated for holder in _HOLDERS[:len(mentions)]):
            return english  # the engine did not keep a placeholder: the first translation stands
        for holder, (_, _, member) in zip(_HOLDERS, mentions):
            translated = translated.replace(holder, member, 1)
        return translated

    def country_in(self, text: str) -> str | None:
        """The member named in ``text``, in the export's English spelling ("us" only as "US" or
        "U.S.": in lower case it is the pronoun)."""
        return self._members.first(text)
