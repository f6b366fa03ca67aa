"""Questions in every language the index holds: the question's language, and its translations.

Cross-lingual search translates a question into the index's other languages; the engine (Apertium,
kept warm) is indexer/translation.py, shared with the build.
"""

from __future__ import annotations

import logging
import re

from indexer.analysis import language_identifier
from indexer.errors import TranslationError, UnknownLanguageError
from indexer.translation import INSTALL_HINT, MachineTranslation, Translator

__all__ = [
    "INSTALL_HINT",
    "TRANSLATABLE",
    "MachineTranslation",
    "TranslationError",
    "Translator",
    "UnknownLanguageError",
    "detect_question_language",
    "question_versions",
    "translations",
]

log = logging.getLogger(__name__)

def translations(translator: Translator, text: str, source: str, targets: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``text`` in each target language it can reach (the source included as is).

    A target without a pair, or a failing pipeline, is left out: search then uses
    the versions it has rather than failing the question.
    """
    found = {source: text}
    for target in targets:
        if target in found:
            continue
        try:
            found[target] = translator.translate(text, source, target, terms=True, names=True)
        except TranslationError:
            continue
    return found


#: The languages Apertium's installed pairs connect (through Spanish where there is no direct pair).
TRANSLATABLE = ("en", "es", "fr", "pt")
_QUESTION_LANGUAGES = TRANSLATABLE

def detect_question_language(text: str, default: str = "en", languages: tuple[str, ...] = _QUESTION_LANGUAGES) -> str:
    """Language of a question among ``languages``; ``default`` unless the evidence is clear.

    Short questions fool a detector, so only a clear probability (and, for a few
    words, accented or inverted-punctuation evidence) moves away from ``default``.
    """
    words = re.findall(r"\w+", text)
    if not words:
        return default
    language, probability = language_identifier(tuple(languages)).classify(text)
    needed = 0.9 if len(words) <= 4 else 0.7
    return language if probability >= needed else default


_install_hint_given = False


def question_versions(text: str, index_languages: tuple[str, ...] | list[str],
                      translator: Translator | None, wanted: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """The question in its own language and in each language the index holds (or ``wanted``).

    This is what search asks for once per question: ``{language: text}``, the
    question's own language first. Without Apertium it is the question alone, and
    the log says once how to install it.
    """
    global _install_hint_given
    source = detect_question_language(text)
    targets = [lang for lang in (wanted or index_languages) if lang != source]
    if not targets:
        return {source: text}
    if translator is None or not translator.available():
        if not _install_hint_given:
            _install_hint_given = True
            log.warning("Questions are searched only in the language they are asked in; for "
                        "cross-lingual search install Apertium: %s", INSTALL_HINT)
        return {source: text}
    return translations(translator, text, source, targets)
