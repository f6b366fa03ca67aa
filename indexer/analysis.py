"""Keyword analysis shared by the index (at build) and the search (at query time).

Text becomes lower-case, accent-free word stems in its own language (Snowball stemmers
for English, Spanish, French, Portuguese and more), so "tribunales" finds "tribunal" and
"publishing" finds "published". Identifiers such as MK0164 pass through unchanged.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["ANALYZER_VERSION", "STEMMER_LANGUAGES", "detect_language", "detect_languages", "language_identifier", "fold", "keyword_terms", "matching_stems",
           "matching_stems_in_spans", "query_terms", "split_words"]

#: Changes whenever a text's terms change; an index built with another version is rebuilt
#: (its stored terms would no longer match the questions'). 1: Snowball stems; 2: British and
#: American spellings share a term; 3: a hyphenated word is also indexed joined up.
ANALYZER_VERSION = 3

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
# Letters and digits; the underscore separates words, as FTS5's unicode61 tokenizer has it, so
# "acceso_informacion" (from a file name or URL) is two terms in both keyword rankings.
_WORD = re.compile(r"[^\W_]+")
# A word written with hyphens ("re-offending", "co-creation") is also a term joined up
# ("reoffend"), after the passage's other terms, so a question that writes it either way finds it
# (its parts stay terms too). Letters only: "2012-13" is a range, not a word.
_COMPOUND = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011][^\W\d_]+)+")
_HYPHENS = str.maketrans("", "", "-\u2010\u2011")


def fold(text: str) -> str:
    """``text`` in lower case without accents, as every keyword term is compared."""
    text = text.lower()
    if text.isascii():  # the common case: nothing to strip
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    # Strip the combining marks (accents) the decomposition split off. Only the distinct
    # characters are examined in Python; the deletion runs in C (2.3x faster than a
    # per-character generator on corpus-real's passages, same output).
    marks = {ord(ch): None for ch in set(decomposed) if not ch.isascii() and _is_combining(ch)}
    return decomposed.translate(marks) if marks else decomposed


@lru_cache(maxsize=4096)
def _is_combining(ch: str) -> bool:
    return unicodedata.combining(ch) != 0


_STEMMERS = threading.local()


def _stemmer(language: str):
    """This thread's Snowball stemmer for ``language`` (None when there is none). A stemmer keeps
    the word it is cutting in itself, so threads sharing one (searches answered side by side)
    got each other's stems, or an IndexError."""
    stemmers = getattr(_STEMMERS, "by_language", None)
    if stemmers is None:
        stemmers = _STEMMERS.by_language = {}
    if language not in stemmers:
        import snowballstemmer

        name = STEMMER_LANGUAGES.get(language)
        stemmers[language] = snowballstemmer.stemmer(name) if name else None
    return stemmers[language]


@lru_cache(maxsize=262144)
def _stem(language: str, word: str) -> str:
    # Snowball is pure Python (~60 us a word); words repeat, so a cache makes it nearly free.
    stemmer = _stemmer(language)
    if stemmer is None:
        return word
    if language == "en":
        stem = stemmer.stemWord(_american_word(word))
        return _STEM_SPELLINGS.get(stem, stem)
    return stemmer.stemWord(word)


# British and American spellings of one word share a term, so a question that says
# "programmes" finds a "Program" and "organization" finds "organisation". English only, at
# build and at question time alike: the word is respelt before stemming (-our, -ise, -yse)
# and a few stems after it (programme, -tre, -ence, -logue, judgement).
_AMERICAN_WORD = re.compile(
    r"^(?:(?P<our>lab|behavi|fav|hon|col|neighb|harb|rum|vig|endeav|hum|flav|arm|od|savi|parl)our(?P<our_end>[a-z]*)"
    r"|(?P<ise>[a-z]{3,}?)(?P<vowel>[iy])s(?P<ise_end>e|es|ed|ing|ation|ations|ational|er|ers))$")
# Words that end in -ise in American spelling too ("advise", "precise", "promise"): left
# alone, so "revise" still meets "revision".
_ISE_IN_BOTH = frozenset(
    "adv rev superv telev dev improv compr comprom surpr enterpr exerc expert franch merchand prec conc exc inc "
    "desp disgu prem prom otherw likew clockw cru treat chast dem parad circumc repr appra mort bru".split())
_STEM_SPELLINGS = {"programm": "program", "centr": "center", "metr": "meter", "theatr": "theater",
                   "litr": "liter", "fibr": "fiber", "defenc": "defens", "licenc": "licens",
                   "offenc": "offens", "judgement": "judgment", "dialogu": "dialog", "catalogu": "catalog"}


def _american_word(word: str) -> str:
    match = _AMERICAN_WORD.match(word)
    if match is None:
        return word
    if match["our"]:
        return f"{match['our']}or{match['our_end']}"
    if match["ise"] in _ISE_IN_BOTH:
        return word
    return f"{match['ise']}{match['vowel']}z{match['ise_end']}"


def split_words(text: str) -> list[str]:
    """The words of ``text`` as the keyword index splits them (letters and digits, as FTS5's
    unicode61 tokenizer does), without folding or stemming: for stored, already analysed terms."""
    return _WORD.findall(text)


def keyword_terms(text: str, language: str = "en") -> list[str]:
    """The terms indexed for ``text``: folded words, stemmed in ``language`` where a stemmer exists."""
    folded = fold(text)
    return [_stem(language, w) for w in [*_WORD.findall(folded), *_joined_compounds(folded)]]


def _joined_compounds(folded: str) -> list[str]:
    return [c.translate(_HYPHENS) for c in _COMPOUND.findall(folded)] if "-" in folded or "\u2010" in folded else []


def matching_stems(text: str, wanted: set[str], languages: tuple[str, ...]) -> set[str]:
    """The stems of ``wanted`` that ``text`` contains, stemming its words in each of ``languages``."""
    return matching_stems_in_spans(text, [(0, len(text))], wanted, languages)[0][0]


def matching_stems_in_spans(text: str, spans: list[tuple[int, int]], wanted: set[str],
                            languages: tuple[str, ...]) -> list[tuple[set[str], int]]:
    """For each ``(start, end)`` span of ``text`` (its sentences): the stems of ``wanted`` it
    contains, and how many words it has (counted only when some stem matches; 0 otherwise).
    The first letters wanted, the languages and, for plain ASCII text, the folding are prepared
    once for all spans."""
    # A word can only stem to a wanted stem if it begins with that stem's first three letters
    # (Snowball keeps a word's beginning); a wanted stem shorter than that must be the whole word,
    # and then ``word[:3]`` is the whole word too, so one set lookup settles both.
    starts = frozenset(t[:3] for t in wanted if t)
    languages = tuple(dict.fromkeys(languages))
    # Lower-casing ASCII keeps every offset, so the whole text is folded once and sliced.
    whole = text.lower() if text.isascii() else None
    out: list[tuple[set[str], int]] = []
    for start, end in spans:
        words = _WORD.findall(whole[start:end] if whole is not None else fold(text[start:end]))
        found = {_stem(language, word) for word in words if word[:3] in starts for language in languages}
        found &= wanted
        out.append((found, len(words) if found else 0))
    return out


def query_terms(query: str, languages: tuple[str, ...] = ("en",)) -> list[str]:
    """Distinct stems of a question's content words in each language the index holds.

    A question's language cannot be told reliably from a few words, so each word is
    stemmed in every language the index has; a stem no passage contains costs nothing.
    """
    folded = fold(query)
    words = [w for w in _WORD.findall(folded) if w not in _STOPWORDS]
    if not words:
        words = _WORD.findall(folded)
    words += _joined_compounds(folded)
    terms: dict[str, None] = {}
    for language in languages:
        for word in words:
            terms.setdefault(_stem(language, word), None)
    return list(terms)


_LANGID_CONFIDENT_CHARS = 40
#: A language the detector ranks at least this share of its first choice's probability is a close
#: call: a list of Spanish names, a heading in capitals, a date line. The detector's 142 languages
#: include regional neighbours of the big ones (Aragonese, Extremaduran and Galician beside Spanish,
#: Nigerian Pidgin beside English), which win such close calls on a few words.
_CLOSE_CALL = 0.5
#: ... and a close call goes to the text's file's language, else to one of these (the languages the
#: product translates between), else to the detector's first choice.
_PREFERRED_LANGUAGES = ("en", "es", "fr", "pt")
#: A text shorter than this (a cover's title line, a list of places and years) whose first choice is
#: none of those takes its file's language when that is one of them, close call or not: on so few
#: words, names and numbers, the detector's choice of Extremaduran or Nigerian Pidgin says little.
_SHORT_TEXT_CHARS = 200
#: A language identifier for each set of languages asked for (() for all of them), made once:
#: restricting one copies the model's tables, and identifiers used side by side must not restrict
#: one another's.
_identifiers: dict[tuple[str, ...], object] = {}
_identifiers_lock = threading.Lock()


def language_identifier(languages: tuple[str, ...] = ()):
    """py3langid's identifier, with probabilities that sum to one, restricted to ``languages`` when given."""
    identifier = _identifiers.get(languages)
    if identifier is None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        with _identifiers_lock:
            identifier = _identifiers.get(languages)
            if identifier is None:
                identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
                if languages:
                    identifier.set_languages(list(languages))
                _identifiers[languages] = identifier
    return identifier


def _language_ranking(text: str) -> list[tuple[str, float]]:
    """The detector's languages for ``text``, likeliest first, with probabilities that sum to one."""
    return [(code, float(p)) for code, p in language_identifier().rank(text)]


def detect_languages(texts: Sequence[str]) -> list[str]:
    """The ISO 639-1 code of each of one file's texts.

    A file is written in one language in practice, so where the detector's choice for a text is a
    close call (see _CLOSE_CALL) and the file's language is among the close ones, the text takes
    the file's language (the likeliest over all its characters), unless that is a regional
    neighbour and one of _PREFERRED_LANGUAGES is close too: then the likeliest of those. A text
    too short to tell ("June 2012", a page number) takes the file's language, and a short one
    the detector gives to a language outside _PREFERRED_LANGUAGES takes it when it is one of them
    (see _SHORT_TEXT_CHARS); 'und' only where the file tells nothing either."""
    rankings = [_language_ranking(t) if len(t.strip()) >= _LANGID_CONFIDENT_CHARS else [] for t in texts]
    weight: Counter = Counter()
    for text, ranking in zip(texts, rankings):
        for code, probability in ranking:
            weight[code] += probability * len(text)
    file_language = weight.most_common(1)[0][0] if weight else None
    out = []
    for text, ranking in zip(texts, rankings):
        if not ranking:
            out.append(file_language or "und")
            continue
        top = ranking[0][1]
        close = [code for code, p in ranking if p >= _CLOSE_CALL * top]
        preferred = [code for code in close if code in _PREFERRED_LANGUAGES]
        if file_language in close and (file_language in _PREFERRED_LANGUAGES or not preferred):
            out.append(file_language)
        elif (not preferred and file_language in _PREFERRED_LANGUAGES
              and len(text.strip()) < _SHORT_TEXT_CHARS):
            out.append(file_language)
        else:
            out.append(preferred[0] if preferred else close[0])
    return out


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language ('und' when too short to tell); see detect_languages."""
    return detect_languages([text])[0]
