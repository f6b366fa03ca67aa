"""Every error the library raises on purpose.

The command line and the app catch ``IndexerError`` and show its message, which is
written for the person running the tool: what went wrong, where, and what to do next.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "IndexerError",
    "SettingsError",
    "LoaderError",
    "IndexNotFoundError",
    "IndexMismatchError",
    "IndexCorruptError",
    "IndexLockedError",
    "ModelLoadError",
    "StrictBuildError",
    "AdaptError",
    "UnknownFilterValueError",
    "SourcesError",
    "FetchError",
    "TranslationError",
    "UnknownLanguageError",
]


class IndexerError(Exception):
    """Root of every error this project raises deliberately."""


class SettingsError(IndexerError):
    """A setting is unknown, misspelt or has a value of the wrong kind."""


class LoaderError(IndexerError):
    """One file could not be read; the build reports it and carries on with the rest."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexNotFoundError(IndexerError):
    """There is no index at the given folder yet."""


class IndexMismatchError(IndexerError):
    """The index was built with another model, dimension or schema version."""


class IndexCorruptError(IndexerError):
    """The index files disagree with each other or with their manifest."""


class IndexLockedError(IndexerError):
    """Another build holds the index folder's lock."""


class ModelLoadError(IndexerError):
    """The embedding model could not be found or loaded."""


class AdaptError(IndexerError):
    """A model could not be adapted to an index's passages (too few of them, or the output folder)."""


class StrictBuildError(IndexerError):
    """``--strict`` was given and some files could not be read; nothing was written."""


class UnknownFilterValueError(IndexerError):
    """A filter names a value the index does not hold (it would match nothing); the message names
    each such value with the closest ones the index does hold. ``unknown``: (filter field, value,
    suggestions) of each, for an interface that says it in its own language."""

    def __init__(self, message: str, unknown: tuple[tuple[str, str, tuple[str, ...]], ...] = ()) -> None:
        super().__init__(message)
        self.unknown = unknown


class SourcesError(IndexerError):
    """The sources manifest is missing, malformed, or an entry is invalid."""


class FetchError(IndexerError):
    """One document could not be fetched or added (the copy already held, if any, is kept)."""


class TranslationError(Exception):
    """A translation pipeline failed or did not answer in time; the caller searches untranslated.

    Not an IndexerError: it never reaches the person asking, who gets the untranslated search."""


class UnknownLanguageError(TranslationError):
    """A passage's language could not be told (a heading or a list too short to tell), so no engine
    can translate it: not Apertium's absence, and not something to install."""
