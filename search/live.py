"""Serve the newest generation of an index folder without a restart.

A build writes a new generation of the index beside the one being served and then swaps
``manifest.json`` (indexer/store.py). ``LiveSearcher`` holds the ``Searcher`` of the generation
being served and notices a newer one: at most once every ``check_seconds`` a request looks at the
manifest's file status (one ``stat``, no read) and, when it changed, opens a Searcher over the new
generation, reusing the model already loaded, and swaps it in. The request that noticed pays for
the opening; requests running meanwhile go on with the old generation.

Every answer comes from one generation: a request takes the current Searcher with ``use()`` and
keeps it until it is done, however many reads it makes. A replaced Searcher is closed when the last
request holding it lets it go, never before. A new generation that cannot be opened (damaged,
built with another model) leaves the current one serving, and the reason is logged once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import IndexMismatchError
from indexer.settings import Settings
from indexer.store import MANIFEST, IndexManifest

from .retrieve import Searcher

__all__ = ["LiveSearcher"]

log = logging.getLogger(__name__)

#: How often, at most, a request looks whether a build has swapped in a new generation.
CHECK_SECONDS = 1.0


@dataclass(eq=False)
class _Generation:
    """One opened generation and the requests using it (guarded by LiveSearcher._lock)."""

    searcher: Searcher
    owned: bool  # opened here, so closed here once replaced and let go
    users: int = 0
    retired: bool = False
    closed: bool = False
    sources: frozenset[str] | None = None
    facets: dict[str, list] | None = None

    @property
    def key(self) -> tuple[int, str]:
        return self.searcher.manifest.generation, self.searcher.manifest.built_at


def _manifest_status(index_dir: Path) -> tuple[int, int, int] | None:
    """What changes when a build swaps the manifest (os.replace gives it a new inode); None if absent."""
    try:
        status = os.stat(index_dir / MANIFEST)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


class LiveSearcher:
    """The Searcher of an index folder's newest generation, swapped in while requests are served.

    ``searcher``: the generation to serve first; its index folder and settings are followed.
    ``owned``: close it once a newer generation replaces it and no request holds it (leave False
    when its maker closes it). ``check_seconds``: how often, at most, the manifest is looked at.
    Thread-safe."""

    def __init__(self, searcher: Searcher, *, owned: bool = True, check_seconds: float = CHECK_SECONDS,
                 opener: Callable[[Path, Settings, Searcher], Searcher] | None = None) -> None:
        self.index_dir = Path(searcher.reader.index_dir)
        self.settings = searcher.settings
        self.check_seconds = check_seconds
        self._open = opener or _open_next
        self._lock = threading.Lock()
        self._opening = threading.Lock()  # one request opens a new generation; the others go on
        self._current = _Generation(searcher, owned)
        self._next_check = 0.0
        self._seen: tuple[int, int, int] | None | bool = False  # manifest status last dealt with
        self._closed = False
        self._thread = threading.local()  # the generation a thread's request holds

    @classmethod
    def of(cls, searcher: Searcher | LiveSearcher) -> LiveSearcher:
        """``searcher`` itself when it is a LiveSearcher, else one following it that leaves it open."""
        return searcher if isinstance(searcher, LiveSearcher) else cls(searcher, owned=False)

    @property
    def current(self) -> Searcher:
        """The Searcher now served, for a glance at its manifest; a request reads through ``use()``."""
        return self._current.searcher

    @property
    def generation(self) -> int:
        return self._current.searcher.manifest.generation

    @contextmanager
    def use(self) -> Iterator[Searcher]:
        """The newest generation's Searcher, held (never closed) until the block ends: everything a
        request reads inside the block comes from that one generation. Inside another ``use()`` on
        the same thread, the generation that one holds (so a request's parts agree)."""
        with self._hold() as held:
            yield held.searcher

    def document_text(self, document_id: int) -> str:
        """A document's text, from the generation now served (see Searcher.document_text)."""
        with self._hold() as held:
            return held.searcher.document_text(document_id)

    def sources(self) -> frozenset[str]:
        """The indexed files of the generation now served (read once per generation)."""
        with self._hold() as held:
            if held.sources is None:
                held.sources = held.searcher.sources()
            return held.sources

    def facets(self) -> dict[str, list]:
        """The filter values of the generation now served (read once per generation)."""
        with self._hold() as held:
            if held.facets is None:
                held.facets = held.searcher.facets()
            return held.facets

    def check(self) -> bool:
        """Look at the manifest now; True when a newer generation was swapped in."""
        with self._opening:
            return self._refresh()

    def close(self) -> None:
        """Close the Searchers opened here (one still in use is closed when it is let go)."""
        with self._lock:
            self._closed = True
            held = self._current
            held.retired = True
        self._let_go(held, taken=False)

    # -- the swap --

    @contextmanager
    def _hold(self) -> Iterator[_Generation]:
        outer = getattr(self._thread, "held", None)
        if outer is not None:
            yield outer
            return
        self._check_when_due()
        with self._lock:
            held = self._current
            held.users += 1
        self._thread.held = held
        try:
            yield held
        finally:
            self._thread.held = None
            self._let_go(held)

    def _check_when_due(self) -> None:
        now = time.monotonic()
        if now < self._next_check or self._closed:
            return
        with self._lock:
            if now < self._next_check:
                return
            self._next_check = now + self.check_seconds
        if _manifest_status(self.index_dir) == self._seen:
            return
        if self._opening.acquire(blocking=False):  # else another request is opening it already
            try:
                self._refresh()
            finally:
                self._opening.release()

    def _refresh(self) -> bool:
        """Open and swap in the generation the manifest names, when it is not the one served."""
        status = _manifest_status(self.index_dir)
        if status == self._seen:
            return False
        served = self._current
        try:
            manifest = IndexManifest.read(self.index_dir)
            if (manifest.generation, manifest.built_at) == served.key:
                self._seen = status
                return False
            _check_same_model(served.searcher, manifest)
            searcher = self._open(self.index_dir, self.settings, served.searcher)
        except Exception as exc:  # noqa: BLE001 - whatever the cause, the served generation stays
            self._seen = status  # said once; looked at again when the manifest changes again
            log.warning("The index at %s changed but cannot be served (%s); still serving generation %d.",
                        self.index_dir, exc, served.key[0])
            return False
        with self._lock:
            if self._closed:
                stale, swapped = _Generation(searcher, True), False
            else:
                stale, self._current, swapped = served, _Generation(searcher, True), True
            stale.retired = True
        self._seen = status
        self._let_go(stale, taken=False)
        if swapped:
            log.info("Serving generation %d of %s (was %d).", searcher.manifest.generation, self.index_dir,
                     served.key[0])
        return swapped

    def _let_go(self, generation: _Generation, taken: bool = True) -> None:
        with self._lock:
            if taken:
                generation.users -= 1
            close = (generation.retired and generation.owned and not generation.users and not generation.closed)
            if close:
                generation.closed = True
        if close:
            _close(generation.searcher)


def _close(searcher: Searcher) -> None:
    translator = searcher.translator
    searcher.close()
    if translator is not None and searcher.owns_translator:
        # Closed now: its exit hook would only keep it (and its cache) alive, one per generation.
        atexit.unregister(translator.close)


def _check_same_model(served: Searcher, manifest: IndexManifest) -> None:
    """The loaded model answers for the new generation only if it was built with that model."""
    now = served.manifest
    if (manifest.model, manifest.backend, manifest.dimension) != (now.model, now.backend, now.dimension):
        raise IndexMismatchError(
            f"generation {manifest.generation} was built with {manifest.model} ({manifest.backend}, "
            f"{manifest.dimension} dimensions) and the app has {now.model} ({now.backend}, {now.dimension}) "
            f"loaded: restart the app to serve it")


def _open_next(index_dir: Path, settings: Settings, served: Searcher) -> Searcher:
    """A warmed-up Searcher over the generation ``index_dir`` names now, with ``served``'s model and
    ranker weights (a running app keeps ranking as it started)."""
    searcher = Searcher(index_dir, settings, encoder=served.encoder, ranker_weights=served.ranker_weights,
                        translator=served.translator)
    try:
        searcher.warm_up()  # the translation pipelines start now, not on the first question
    except BaseException:
        searcher.close()
        raise
    # The Apertium pipelines (warm, with their cache) carry over: the newest generation stops them
    # when it is closed, not the one it replaces.
    if served.translator is not None and searcher.translator is served.translator:
        searcher.owns_translator, served.owns_translator = served.owns_translator, False
    return searcher

