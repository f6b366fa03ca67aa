"""Compose what the reader sees from retrieved passages: the best sentence of each passage,
and an extractive summary whose every quotation is checked against its source."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.analysis import matching_stems, matching_stems_in_spans, query_terms
from indexer.chunking import ENDS_IN_PAGE_NUMBER, heading_shaped, split_sentences

__all__ = ["best_sentence", "SummarySentence", "extractive_summary"]


def best_sentence(text: str, query: str, language: str = "en") -> tuple[int, int]:
    """(start, end) in ``text`` of the sentence sharing the most query words (stems).

    A heading-shaped line (a few words, no closing punctuation), a sentence of under six words, a
    figure's or table's caption and a table of contents' line count half a word less and get no bonus
    for being short: they label the answer, so a sentence saying as much of the question is shown
    instead. Ties go to the earlier sentence; with no overlap at all, the first sentence.
    """
    spans = _sentences(text)
    if not spans:
        return 0, len(text)
    languages = ("en", language) if language in ("es", "fr", "pt") else ("en",)
    wanted = _wanted_stems(query, languages)
    best, best_score = spans[0][:2], 0.0
    matches = matching_stems_in_spans(text, [(start, end) for start, end, _ in spans], wanted, (language, "en"))
    for (start, end, _), (terms, words) in zip(spans, matches):
        overlap = len(terms)
        if overlap and (words < _FEWEST_WORDS or heading_shaped(text[start:end]) or label_shaped(text[start:end])):
            score = overlap - 0.5
        else:
            # Prefer sentences that say more of the question, and mildly prefer focused sentences.
            score = overlap + (overlap / max(words, 1))
        if score > best_score:
            best, best_score = (start, end), score
    return best


# A caption ("... del Organismo Judicial de Guatemala Figura 10.", "Table 3: ...") names a figure or a
# table at its start or end.
_CAPTION = re.compile(
    r"^\W*(?:figur[ae]|fig\.|tabla|table|tableau|gr[áa]fic[oa]|graphique|cuadro|chart|ilustraci[óo]n|mapa|map|carte)"
    r"\s*\d+\b|\b(?:figur[ae]|fig\.|tabla|table|tableau|gr[áa]fic[oa]|graphique|cuadro|chart)\s*\d+\s*[.:]?\s*$",
    re.IGNORECASE)


#: A sentence of fewer words ("Corte Constitucional de Colombia.", "Datos abiertos contra la corrupción.
#: 2.") names a thing or heads a list and says nothing of it: a longer one that says as much is shown
#: instead, and the summary never quotes it.
_FEWEST_WORDS = 6


def label_shaped(sentence: str) -> bool:
    """A figure's or table's caption, or a table of contents' line: what labels a passage's content
    rather than saying it."""
    return bool(_CAPTION.search(sentence) or ENDS_IN_PAGE_NUMBER.search(sentence.rstrip()))


# The same passages are candidates question after question: their sentences are found once.
@lru_cache(maxsize=2048)
def _sentences(text: str) -> tuple[tuple[int, int, bool], ...]:
    return tuple(split_sentences(text))


@lru_cache(maxsize=256)
def _wanted_stems(query: str, languages: tuple[str, ...]) -> frozenset[str]:
    # One search asks for the best sentence of a dozen passages with the same question: stem it once.
    return frozenset(query_terms(query, languages))


@dataclass(frozen=True)
class SummarySentence:
    """A sentence quoted verbatim from result number ``citation`` (1-based)."""

    text: str
    citation: int


def extractive_summary(query: str, passages: Sequence[tuple[str, ...]], max_sentences: int = 3,
                       min_overlap: int = 2, stored: Sequence[str] | None = None) -> list[SummarySentence]:
    """Up to ``max_sentences`` best sentences from the top passages ``(text, language)``, or
    ``(text, language, question)`` where a passage was matched by the question's translation into
    its language (``Hit.asked_as``): its sentence is chosen and judged with that version.

    A sentence is used only if it shares ``min_overlap`` or more content stems with the
    question, and only if it is quoted verbatim: ``stored[i]`` is the document text as the index
    holds it at passage i's offsets (``IndexReader.document_span(document_id, char_start,
    char_end)``), and the sentence must read the same there, at the same place. A passage whose
    text or offsets went wrong upstream is then not quoted. Without ``stored`` the sentence is
    only checked against the passage text itself.
    Returns an empty list when nothing is relevant enough: the caller then says so.
    """
    out: list[SummarySentence] = []
    seen: set[str] = set()
    for number, (text, language, *asked) in enumerate(passages, start=1):
        question = asked[0] if asked and asked[0] else query
        wanted = _wanted_stems(question, ("en", "es", "fr"))
        need = min(min_overlap, len(wanted))
        start, end = best_sentence(text, question, language)
        sentence = text[start:end].strip()
        terms = matching_stems(sentence, wanted, (language, "en"))
        key = " ".join(sentence.lower().split())
        if (not sentence or key in seen or len(terms) < max(need, 1) or label_shaped(sentence)
                or len(sentence.split()) < _FEWEST_WORDS):
            continue
        source = stored[number - 1] if stored is not None else text
        if source[start:end].strip() != sentence:  # the verbatim guarantee
            continue
        seen.add(key)
        out.append(SummarySentence(sentence, number))
        if len(out) >= max_sentences:
            break
    return out
