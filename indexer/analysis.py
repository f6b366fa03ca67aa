"""Keyword analysis shared by the index (at build) and the search (at query time).

Text becomes lower-case, accent-free word stems in its own language (Snowball stemmers
for English, Spanish, French, Portuguese and more), so "tribunales" finds "tribunal" and
"publishing" finds "published". Identifiers such as MK0164 pass through unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["STEMMER_LANGUAGES", "count_words", "detect_language", "keyword_terms", "matching_stems", "query_terms"]

#: ISO 639-1 code -> Snowball stemmer name.
STEMMER_LANGUAGES = {
    "en": "english", "es": "spanish", "fr": "french", "pt": "portuguese", "it": "italian",
    "de": "german", "nl": "dutch", "ro": "romanian", "sv": "swedish", "id": "indonesian",
}

_STOPWORDS = set(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its of on or our so such than that the their them there these they this to was we were what when where
    which who why will with would you your about also any all other more most not no only over per via
    el la los las de del y o en un una unos unas que por para con sin se su sus al lo es son como más
    le les des du et ou une dans pour par sur au aux ce cette qui est sont pas""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> str:
    text = text.lower()
    if text.isascii():  # the common case: nothing to strip, skip the per-character pass
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=16)
def _stemmer(language: str):
    import snowballstemmer

    name = STEMMER_LANGUAGES.get(language)
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=262144)
def _stem(language: str, word: str) -> str:
    # Snowball is pure Python (~60 us a word); words repeat, so a cache makes it nearly free.
    stemmer = _stemmer(language)
    return stemmer.stemWord(word) if stemmer else word


def keyword_terms(text: str, language: str = "en") -> list[str]:
    """The terms indexed for ``text``: folded words, stemmed in ``language`` where a stemmer exists."""
    return [_stem(language, w) for w in _WORD.findall(_fold(text)) if w != "_"]


def matching_stems(text: str, wanted: set[str], languages: tuple[str, ...]) -> set[str]:
    """The stems of ``wanted`` that ``text`` contains, stemming its words in each of ``languages``.

    Only words that begin like some wanted stem are stemmed (Snowball stems keep a word's
    first letters), which makes marking the best sentence of ten passages cheap even when
    their words are not yet in the stem cache.
    """
    starts = {t[:3] for t in wanted}
    found: set[str] = set()
    for word in _WORD.findall(_fold(text)):
        if word[:3] in starts:
            found.update(_stem(language, word) for language in languages)
    return found & wanted


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def query_terms(query: str, languages: tuple[str, ...] = ("en",)) -> list[str]:
    """Distinct stems of a question's content words in each language the index holds.

    A question's language cannot be told reliably from a few words, so each word is
    stemmed in every language the index has; a stem no passage contains costs nothing.
    """
    words = [w for w in _WORD.findall(_fold(query)) if w not in _STOPWORDS and w != "_"]
    if not words:
        words = _WORD.findall(_fold(query))
    terms: dict[str, None] = {}
    for language in languages:
        for word in words:
            terms.setdefault(_stem(language, word), None)
    return list(terms)


_LANGID_CONFIDENT_CHARS = 40


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language ('und' when too short to tell)."""
    if len(text.strip()) < _LANGID_CONFIDENT_CHARS:
        return "und"
    import py3langid

    return py3langid.classify(text)[0]
