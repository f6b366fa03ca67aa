"""The build's last stage before commit: passages in other languages rendered into the embedding
model's language, each with a vector of its own.

The packaged model (all-MiniLM-L6-v2) is English-only: its vector of a Spanish passage is close to
a question's for reasons that have little to do with meaning, so an English question, or the English
translation of a French one, cannot find a Spanish passage on the dense side. Each passage in another
language is therefore machine-translated (Apertium, offline) into ``bridge_language`` with its
document's title, and that rendering is embedded too. The rendering is a search aid only: it is never
shown as the document's words, and the passage's own vector, text and keyword terms stay as they were.

Renderings are kept per chunk, so a build renders only passages that have none yet: an incremental
build renders the new files' passages, and the first build after an upgrade renders the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from tqdm import tqdm

from .embedding import Encoder
from .errors import TranslationError
from .settings import Settings
from .store import IndexReader, IndexWriter
from .translation import INSTALL_HINT, Translator

__all__ = ["BridgeReport", "bridge_passages", "needs_bridges"]

log = logging.getLogger(__name__)

#: Passages translated and embedded per step: one progress tick, one encoder call.
_BATCH = 64


@dataclass(frozen=True)
class BridgeReport:
    """What the stage did: passages rendered, and why some were not (None when all were)."""

    rendered: int = 0
    missing: int = 0  # passages left without a rendering
    reason: str | None = None


def _sources(settings: Settings, translator: Translator | None) -> tuple[str, ...]:
    """The languages Apertium can render into ``bridge_language`` here."""
    target = settings.bridge_language
    if target == "off" or translator is None or not Translator.available():
        return ()
    return tuple(sorted({source for source, to in translator.pairs() if to == target}))


def needs_bridges(previous: IndexReader, settings: Settings) -> bool:
    """True when an otherwise up-to-date index has passages this machine could render but has not."""
    if settings.bridge_language == "off" or not Translator.available():
        return False
    languages = {source for source, to in Translator().pairs() if to == settings.bridge_language}
    return previous.unbridged_count(settings.bridge_language, languages) > 0


def bridge_passages(writer: IndexWriter, encoder: Encoder, settings: Settings, progress: bool = True,
                    translator: Translator | None = None,
                    translate: Callable[[str, str, str], str] | None = None) -> BridgeReport:
    """Render every passage of the index being written that lacks a rendering into
    ``settings.bridge_language``, embed the renderings and store both (``writer.add_bridges``).

    Without Apertium (or a pair reaching the target) the index is written without them and the
    report says how to install it; one passage the engine fails on is left without a rendering."""
    target = settings.bridge_language
    if target == "off":
        return BridgeReport()
    own = translator is None
    translator = translator or (Translator() if Translator.available() else None)
    try:
        sources = _sources(settings, translator)
        if not sources:
            others = writer.unbridged(target, ("en", "es", "fr", "pt"))
            if not others:
                return BridgeReport()
            reason = (f"{len(others)} passages in other languages than {target} were not rendered into {target} "
                      f"for the dense side, so questions in {target} find them by keywords only: install Apertium "
                      f"({INSTALL_HINT}) and build again")
            log.warning(reason)
            return BridgeReport(missing=len(others), reason=reason)
        rows = writer.unbridged(target, sources)
        translate = translate or translator.translate
        rendered = missing = 0
        bar = tqdm(total=len(rows), desc=f"Rendering passages in {target}", unit="passage", disable=not progress)
        for first in range(0, len(rows), _BATCH):
            done = []
            for cid, language, text in rows[first:first + _BATCH]:
                try:
                    done.append((cid, target, translate(text, language, target)))
                except TranslationError as exc:
                    missing += 1
                    log.warning("passage %d (%s) was not rendered into %s: %s", cid, language, target, exc)
            if done:
                writer.add_bridges(done, encoder.encode([text for _, _, text in done]))
                rendered += len(done)
            bar.update(len(rows[first:first + _BATCH]))
        bar.close()
        reason = f"{missing} passages could not be rendered into {target} (see the log)" if missing else None
        return BridgeReport(rendered, missing, reason)
    finally:
        if own and translator is not None:
            translator.close()
