"""Which member a text names, and the build stage that gives a file the member its text is about.

The official export's records carry their member ("Country/Locality"); an action plan in PDF, a
tracker, a blog post or a spreadsheet of cases carries none, or carries it in Spanish ("Estados
Unidos"). A question that names a member is answered first by that member's passages (the fusion
bonus and the ranker's ``named`` signal), so without this a question about the United States' fifth
plan could not tell it from Colombia's. Names are compared in one canonical spelling (the English
one the export uses), whichever language they were written in.

The stage gives each file without a member of its own the member its commitment ids belong to, where
its documents carry ids (a tracker's commitment and sub-commitment pages: "US0146" is the United
States', as the export's records with that prefix say); otherwise it reads the file in the model's
language where it has renderings (indexer/bridge.py), counts the members it names, and records the
one it names most when that one is named often enough and at least as often as all the others
together. An id outweighs the names: a US commitment on Puerto Rico names Puerto Rico most. A build reads only
the files not yet looked at against the index's present members: new and changed files, or all of
them when the members change (a new export can add members that older files name).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator

__all__ = ["SHORT_NAMES", "COUNTRY_ALIASES", "MemberNames", "canonical_country", "id_prefix_members",
           "needs_placing", "place_files"]

#: Short English names people give members whose export name is longer.
SHORT_NAMES = {"uk": "United Kingdom", "britain": "United Kingdom", "us": "United States",
               "usa": "United States", "macedonia": "North Macedonia", "czechia": "Czech Republic",
               "kyrgyzstan": "Kyrgyz Republic"}

#: Every other name of a member a question, a document or a filter may use, in English, Spanish and
#: French, with the export's English spelling ("--country España" is Spain).
COUNTRY_ALIASES = SHORT_NAMES | {
    "great britain": "United Kingdom", "reino unido": "United Kingdom", "royaume-uni": "United Kingdom",
    "scotland": "Scotland, United Kingdom", "escocia": "Scotland, United Kingdom", "écosse": "Scotland, United Kingdom",
    "british": "United Kingdom", "united states of america": "United States",
    "estados unidos": "United States", "ee.uu": "United States", "eeuu": "United States",
    "états-unis": "United States", "etats-unis": "United States",
    "macedonia del norte": "North Macedonia", "macédoine du nord": "North Macedonia", "slovakia": "Slovak Republic",
    "eslovaquia": "Slovak Republic", "slovaquie": "Slovak Republic",
    "south korea": "Republic of Korea", "korea": "Republic of Korea", "corea del sur": "Republic of Korea",
    "corée du sud": "Republic of Korea",
    "francia": "France", "españa": "Spain", "espagne": "Spain", "méxico": "Mexico", "mexique": "Mexico",
    "perú": "Peru", "pérou": "Peru", "brasil": "Brazil", "brésil": "Brazil", "canadá": "Canada",
    "alemania": "Germany", "allemagne": "Germany", "italia": "Italy", "italie": "Italy",
    "países bajos": "Netherlands", "pays-bas": "Netherlands", "nueva zelanda": "New Zealand",
    "nouvelle-zélande": "New Zealand", "japón": "Japan", "japon": "Japan", "sudáfrica": "South Africa",
    "afrique du sud": "South Africa", "marruecos": "Morocco", "maroc": "Morocco", "túnez": "Tunisia",
    "tunisie": "Tunisia", "república dominicana": "Dominican Republic",
    "république dominicaine": "Dominican Republic", "panamá": "Panama", "tailandia": "Thailand",
    "thaïlande": "Thailand", "grecia": "Greece", "grèce": "Greece", "irlanda": "Ireland", "irlande": "Ireland",
    "noruega": "Norway", "norvège": "Norway", "suecia": "Sweden", "suède": "Sweden", "finlandia": "Finland",
    "finlande": "Finland", "dinamarca": "Denmark", "danemark": "Denmark", "ucrania": "Ukraine",
    "chili": "Chile", "colombie": "Colombia", "sénégal": "Senegal", "kenia": "Kenya", "filipinas": "Philippines",
    "indonésie": "Indonesia", "géorgie": "Georgia", "arménie": "Armenia", "moldavia": "Moldova",
    "mongolie": "Mongolia", "croacia": "Croatia", "croatie": "Croatia", "serbie": "Serbia",
    "rumania": "Romania", "roumanie": "Romania", "lituania": "Lithuania", "lituanie": "Lithuania",
    "letonia": "Latvia", "lettonie": "Latvia", "jordania": "Jordan", "jordanie": "Jordan",
    "albanie": "Albania", "bulgarie": "Bulgaria", "bolivie": "Bolivia", "équateur": "Ecuador",
    "guatémala": "Guatemala", "tanzanie": "Tanzania", "ouganda": "Uganda", "libéria": "Liberia",
    # English adjectives of members, left out where the adjective is also a language's name ("French",
    # "Spanish", "Georgian"), where it names more than one member ("American"), and where it is rare.
    "argentine": "Argentina", "argentinian": "Argentina", "chilean": "Chile", "colombian": "Colombia",
    "guatemalan": "Guatemala", "canadian": "Canada", "mexican": "Mexico", "peruvian": "Peru",
    "brazilian": "Brazil", "uruguayan": "Uruguay", "paraguayan": "Paraguay", "costa rican": "Costa Rica",
    "honduran": "Honduras", "panamanian": "Panama", "ecuadorian": "Ecuador", "bolivian": "Bolivia",
    "jamaican": "Jamaica", "moroccan": "Morocco", "tunisian": "Tunisia", "kenyan": "Kenya",
    "nigerian": "Nigeria", "ghanaian": "Ghana", "senegalese": "Senegal", "liberian": "Liberia",
    "sierra leonean": "Sierra Leone", "south african": "South Africa", "australian": "Australia",
    "sri lankan": "Sri Lanka", "philippine": "Philippines", "jordanian": "Jordan", "moldovan": "Moldova",
    "montenegrin": "Montenegro", "ugandan": "Uganda", "tanzanian": "Tanzania", "malawian": "Malawi",
}


def _inflected(adjective: str) -> tuple[str, ...]:
    """A Spanish or French adjective of a member in its masculine singular, with its other genders and
    numbers ("guatemalteco": -a, -os, -as; "colombien": -ne, -s, -nes), so each of them names the member."""
    if adjective.endswith(("ien", "éen")):
        return adjective, adjective + "ne", adjective + "s", adjective + "nes"
    if adjective.endswith("ais"):
        return adjective, adjective + "e", adjective + "es"
    if adjective.endswith(("ain", "in", "an")):
        return adjective, adjective + "e", adjective + "s", adjective + "es"
    if adjective.endswith("és"):
        stem = adjective[:-2] + "es"
        return adjective, stem + "a", stem + "es", stem + "as"
    if adjective.endswith("o"):
        return adjective, adjective[:-1] + "a", adjective + "s", adjective[:-1] + "as"
    if adjective.endswith("í"):
        return adjective, adjective + "es"
    return adjective, adjective + "s"


# Spanish and French adjectives of members, by the same rules as the English ones: none that is also a
# language's name ("francés", "italien", "filipino"), names more than one member ("americano",
# "américain") or is also a common word or a religious order ("dominicano").
_ADJECTIVES = {
    "Guatemala": ("guatemalteco", "guatémaltèque"), "Argentina": ("argentino", "argentin"),
    "Colombia": ("colombiano", "colombien"), "Chile": ("chileno", "chilien"), "Mexico": ("mexicano", "mexicain"),
    "Peru": ("peruano", "péruvien"), "Uruguay": ("uruguayo", "uruguayen"), "Paraguay": ("paraguayo", "paraguayen"),
    "Costa Rica": ("costarricense", "costaricien"), "Honduras": ("hondureño", "hondurien"),
    "Panama": ("panameño", "panaméen"), "Ecuador": ("ecuatoriano", "équatorien"), "Bolivia": ("boliviano", "bolivien"),
    "Brazil": ("brasileño", "brésilien"), "Canada": ("canadiense", "canadien"),
    "United States": ("estadounidense", "étatsunien", "états-unien"), "United Kingdom": ("británico", "britannique"),
    "Morocco": ("marroquí", "marocain"), "Tunisia": ("tunecino", "tunisien"), "Kenya": ("keniano", "kényan"),
    "Nigeria": ("nigeriano", "nigérian"), "Ghana": ("ghanés", "ghanéen"), "Senegal": ("senegalés", "sénégalais"),
    "Liberia": ("liberiano", "libérien"), "South Africa": ("sudafricano", "sud-africain"),
    "Australia": ("australiano", "australien"), "Jamaica": ("jamaicano", "jamaïcain"),
    "Jordan": ("jordano", "jordanien"), "Montenegro": ("montenegrino", "monténégrin"),
    "New Zealand": ("neozelandés", "néo-zélandais"), "Cote d'Ivoire": ("marfileño", "ivoirien"),
}
COUNTRY_ALIASES |= {form: member for member, adjectives in _ADJECTIVES.items()
                    for adjective in adjectives for form in _inflected(adjective)}
#: Names that are also common words: they name a member only when written in capitals ("us", the pronoun).
_WORD_ALIASES = frozenset({"us"})
_US_DOTTED = re.compile(r"\bU\.S\.(?:A\.)?")

#: A file is given a member only when its text names it at least this often ...
_FEWEST_MENTIONS = 3
#: ... and at least this share of all the members it names.
_LEAST_SHARE = 0.5


def canonical_country(name: str | None) -> str | None:
    """The export's English spelling of a member named in any of the three languages ("Estados
    Unidos" -> "United States"); a name the table does not know is returned as it is."""
    if name is None:
        return None
    return COUNTRY_ALIASES.get(name.lower(), name)


class MemberNames:
    """Finds the members of one index in a text, by the names its records use and their other names."""

    def __init__(self, countries: Iterable[str]) -> None:
        members = {canonical_country(c) for c in countries}
        #: Stands for this set of members and the names known for them: a file looked at against
        #: another set is looked at again.
        self.fingerprint = hashlib.sha256(
            json.dumps([sorted(members), _FEWEST_MENTIONS, _LEAST_SHARE, sorted(COUNTRY_ALIASES.items())])
            .encode()).hexdigest()[:16]
        self._names = {c.lower(): c for c in members}
        self._names.update({alias: c for alias, c in COUNTRY_ALIASES.items() if c in members})
        # One pattern for every name (longest first), built once instead of a regex per member.
        names = sorted(self._names, key=len, reverse=True)
        self._pattern = re.compile(rf"(?<!\w)({'|'.join(map(re.escape, names))})(?!\w)") if names else None

    def named(self, text: str) -> Iterator[str]:
        """Each member ``text`` names, in canonical spelling, once per mention, in order ("us" only
        as "US" or "U.S.": in lower case it is the pronoun)."""
        if self._pattern is None:
            return
        text = _US_DOTTED.sub("US", text)
        for match in self._pattern.finditer(text.lower()):
            name = match.group(1)
            if name in _WORD_ALIASES and text[match.start():match.end()] != name.upper():
                continue
            yield self._names[name]

    def first(self, text: str) -> str | None:
        """The first member ``text`` names, or None."""
        return next(self.named(text), None)

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, member in canonical spelling) of each name of a member in ``text``, by its
        place in ``text`` ("us" left out: a word of English, the only language it is a name in)."""
        lowered = text.lower()
        if self._pattern is None or len(lowered) != len(text):  # a case change that moves the places
            return []
        return [(m.start(), m.end(), self._names[m.group(1)]) for m in self._pattern.finditer(lowered)
                if m.group(1) not in _WORD_ALIASES]


_ID_PREFIX = re.compile(r"[A-Za-z]+")


def id_prefix_members(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Commitment-id prefix -> member, from (id, member) pairs of the records that carry both: a
    prefix the records give to two members is left out."""
    seen: dict[str, set[str]] = {}
    for commitment_id, member in pairs:
        prefix = _ID_PREFIX.match(commitment_id)
        if prefix:
            seen.setdefault(prefix.group(0).upper(), set()).add(canonical_country(member))
    return {prefix: next(iter(members)) for prefix, members in seen.items() if len(members) == 1}


def placement_key(names: MemberNames, prefixes: dict[str, str]) -> str:
    """Stands for what a file is looked at against: the members and their names, and the members
    the commitment ids' prefixes belong to."""
    return hashlib.sha256(json.dumps([names.fingerprint, sorted(prefixes.items())]).encode()).hexdigest()[:16]


def needs_placing(previous) -> bool:
    """True when an otherwise up-to-date index (an IndexReader) has files not yet looked at against
    its present members: built before this stage, or before its present rules."""
    key = placement_key(MemberNames(previous.countries()), id_prefix_members(previous.commitment_members()))
    return previous.unplaced_count(key) > 0


def place_files(writer) -> int:
    """Give each file whose documents carry no member the one its commitment ids or its text say it is
    about (see the module's docstring); returns how many files this build gave one. ``writer``: the
    IndexWriter of the build. Only files not yet looked at against the index's present members are
    read: the new and changed ones, or every one when the members changed (a new export)."""
    names = MemberNames(writer.countries())
    prefixes = id_prefix_members(writer.commitment_members())
    looked_at = placement_key(names, prefixes)
    mentions: dict[str, Counter] = {}
    by_id: dict[str, Counter] = {}
    for source, text, commitment_id in writer.unplaced_texts(looked_at):
        mentions.setdefault(source, Counter()).update(names.named(text))
        prefix = _ID_PREFIX.match(commitment_id or "")
        if prefix and prefix.group(0).upper() in prefixes:
            by_id.setdefault(source, Counter())[prefixes[prefix.group(0).upper()]] += 1
    found = []
    for source, counts in mentions.items():
        if source in by_id:
            member = by_id[source].most_common(1)[0][0]
            found.append((source, member, counts[member]))
            continue
        member, most = counts.most_common(1)[0] if counts else (None, 0)
        if most >= _FEWEST_MENTIONS and most >= _LEAST_SHARE * sum(counts.values()):
            found.append((source, member, most))
        else:
            found.append((source, None, most))  # looked at: read again only if it or the members change
    writer.set_file_countries(found, looked_at)
    return sum(member is not None for _, member, _ in found)
