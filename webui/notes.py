"""Briefing notes in the interface language: search.briefing writes them with the words given here
(webui/i18n.py), while the quoted passages and their citations stay exactly as the index has them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from search.briefing import NoteWords, briefing_docx, briefing_markdown

from .i18n import text

__all__ = ["note_words", "localised_docx", "localised_markdown"]


def note_words(lang: str) -> NoteWords:
    """The note's own words (headings, lead line, the Sources list's words) in ``lang``."""
    return NoteWords(**{name: text(lang, f"note.{name}") for name in NoteWords.__dataclass_fields__})


def localised_markdown(pins: Iterable[Any], title: str, built_at: str | None, lang: str) -> str:
    """search.briefing.briefing_markdown in ``lang``."""
    return briefing_markdown(pins, title, built_at, note_words(lang))


def localised_docx(pins: Iterable[Any], title: str, built_at: str | None, path: Path | str, lang: str) -> Path:
    """search.briefing.briefing_docx in ``lang``."""
    return briefing_docx(pins, title, built_at, path, note_words(lang))
