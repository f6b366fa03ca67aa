"""Briefing notes in the interface language: search.briefing writes them with the words given here
(webui/i18n.py), while the quoted passages and their citations stay exactly as the index has them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from search.briefing import NOTE_WORDS, NoteWords, briefing_docx, briefing_markdown

from .i18n import citation_words, format_datetime, text

__all__ = ["note_words", "localised_docx", "localised_markdown"]


#: The language a note in each interface language is marked as, for Word's spelling and hyphenation.
_LANGUAGE_TAGS = {"en": "en-GB", "es": "es-ES", "fr": "fr-FR"}


def note_words(lang: str) -> NoteWords:
    """The note's own words (headings, lead line, the Sources list's words) in ``lang``, its language
    for Word and its dates in the interface's form ('4 de marzo de 2026, 09:15 UTC')."""
    words = {name: text(lang, f"note.{name}") for name in NOTE_WORDS}
    return NoteWords(**words, citation=citation_words(lang), language_tag=_LANGUAGE_TAGS.get(lang, "en-GB"),
                     format_date=None if lang not in _LANGUAGE_TAGS or lang == "en" else partial(format_datetime, lang))


def localised_markdown(pins: Iterable[Any], title: str, built_at: str | None, lang: str) -> str:
    """search.briefing.briefing_markdown in ``lang``."""
    return briefing_markdown(pins, title, built_at, note_words(lang))


def localised_docx(pins: Iterable[Any], title: str, built_at: str | None, path: Path | str, lang: str) -> Path:
    """search.briefing.briefing_docx in ``lang``."""
    return briefing_docx(pins, title, built_at, path, note_words(lang))
