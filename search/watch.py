"""Saved searches and what is new in them: a question with its filters, kept beside the index, and
the passages that entered its top results since someone last looked.

The file is ``INDEX/watches.json`` (written whole and swapped in atomically)::

    {"version": 1,
     "searches": [
       {"id": "w1", "question": "free legal aid", "filters": {"country": "Albania"}, "k": 10,
        "created_at": "2026-12-05T01:50:00+00:00",
        "seen": {"run": {"generation": 7, "passages": ["reports/a.pdf|3|120|980", ...]},
                 "app": {"generation": 7, "passages": [...]}}}]}

``filters`` are the CLI's comma-separated strings (``Filters.to_query``). ``seen`` holds, per
reader, the index generation and the passages of the top results when that reader last looked:
``run`` for ``python -m search watch run``, ``app`` for the web app. A passage is named by its
file, page and character span, which stay the same across builds while the file does not change.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from indexer.errors import IndexerError

from .filters import Filters
from .hit import Hit
from .retrieve import Searcher

__all__ = ["WATCHES_FILE", "CLI_READER", "APP_READER", "SavedSearch", "Seen", "WatchNews", "add_watch",
           "load_watches", "mark_seen", "passage_key", "remove_watch", "what_is_new"]

WATCHES_FILE = "watches.json"
FILE_VERSION = 1
CLI_READER = "run"
APP_READER = "app"

# One writer at a time within a process (the app's handlers run in threads); the file itself is
# replaced whole, so a reader in another process never sees half of it.
_write_lock = threading.Lock()


@dataclass(frozen=True)
class Seen:
    """What one reader saw of a saved search: the index generation and its top passages then."""

    generation: int
    passages: tuple[str, ...]


@dataclass(frozen=True)
class SavedSearch:
    """A question with its filters and result count, and what each reader last saw of it."""

    id: str
    question: str
    filters: dict[str, str]
    k: int
    created_at: str
    seen: dict[str, Seen] = field(default_factory=dict)

    @property
    def search_filters(self) -> Filters:
        return Filters.from_strings(**self.filters)

    def to_dict(self) -> dict:
        return {"id": self.id, "question": self.question, "filters": dict(self.filters), "k": self.k,
                "created_at": self.created_at,
                "seen": {reader: {"generation": s.generation, "passages": list(s.passages)}
                         for reader, s in self.seen.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> SavedSearch:
        seen = {str(reader): Seen(int(s["generation"]), tuple(str(p) for p in s["passages"]))
                for reader, s in (data.get("seen") or {}).items()}
        return cls(str(data["id"]), str(data["question"]), {str(k): str(v) for k, v in data["filters"].items()},
                   int(data["k"]), str(data.get("created_at", "")), seen)


@dataclass(frozen=True)
class WatchNews:
    """The passages now in a saved search's top results that a reader had not seen there."""

    search: SavedSearch
    generation: int
    new: tuple[Hit, ...]
    passages: tuple[str, ...]  # every passage of the current top results, to mark as seen


def passage_key(hit: Hit) -> str:
    """A passage's name that survives rebuilds: file, page and character span."""
    p = hit.provenance
    return f"{p.source}|{p.page or ''}|{hit.char_start}|{hit.char_end}"


def _path(index_dir: Path | str) -> Path:
    return Path(index_dir) / WATCHES_FILE


def load_watches(index_dir: Path | str) -> list[SavedSearch]:
    """The saved searches of an index ([] when none was saved)."""
    path = _path(index_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise IndexerError(f"the saved searches in {path} cannot be read ({exc}); fix or delete the file") from None
    try:
        return [SavedSearch.from_dict(item) for item in data["searches"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexerError(f"the saved searches in {path} are malformed ({exc!r}); fix or delete the file") from None


def _save(index_dir: Path | str, searches: list[SavedSearch]) -> None:
    path = _path(index_dir)
    work = path.with_name(path.name + ".writing")
    work.write_text(json.dumps({"version": FILE_VERSION, "searches": [s.to_dict() for s in searches]},
                               ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(work, path)


def _current(searcher: Searcher, search: SavedSearch) -> tuple[list[Hit], tuple[str, ...]]:
    hits = searcher.search(search.question, search.k, searcher.check_filters(search.search_filters))
    return hits, tuple(passage_key(h) for h in hits)


def add_watch(searcher: Searcher, question: str, filters: Filters | None = None, k: int = 10) -> SavedSearch:
    """Save a search on ``searcher``'s index; its current results count as seen by every reader.
    The same question with the same filters and count saved again is the one already saved."""
    question = " ".join(question.split())
    if not question:
        raise IndexerError("a saved search needs a question")
    filters = searcher.check_filters(filters or Filters())
    draft = SavedSearch("", question, filters.to_query(), max(1, int(k)),
                        datetime.now(timezone.utc).isoformat(timespec="seconds"))
    _, passages = _current(searcher, draft)
    seen = Seen(searcher.manifest.generation, passages)
    with _write_lock:
        searches = load_watches(searcher.reader.index_dir)
        same = next((s for s in searches if (s.question, s.filters, s.k) == (draft.question, draft.filters, draft.k)),
                    None)
        if same is not None:  # saved twice (a second click): one saved search, what it has seen kept
            return same
        used = {s.id for s in searches}
        number = len(searches) + 1
        while f"w{number}" in used:
            number += 1
        saved = replace(draft, id=f"w{number}", seen={CLI_READER: seen, APP_READER: seen})
        _save(searcher.reader.index_dir, [*searches, saved])
    return saved


def remove_watch(index_dir: Path | str, watch_id: str) -> SavedSearch | None:
    """Forget a saved search; None when there is none with that id."""
    with _write_lock:
        searches = load_watches(index_dir)
        gone = next((s for s in searches if s.id == watch_id), None)
        if gone is not None:
            _save(index_dir, [s for s in searches if s.id != watch_id])
    return gone


def what_is_new(searcher: Searcher, reader: str = CLI_READER) -> list[WatchNews]:
    """For each saved search, the passages in its top results now that ``reader`` had not seen there
    (none when the index is still the generation the reader last looked at). Marks nothing."""
    generation = searcher.manifest.generation
    news = []
    for search in load_watches(searcher.reader.index_dir):
        seen = search.seen.get(reader)
        if seen is not None and seen.generation == generation:
            news.append(WatchNews(search, generation, (), seen.passages))
            continue
        hits, passages = _current(searcher, search)
        known = set(seen.passages) if seen else set()
        news.append(WatchNews(search, generation, tuple(h for h in hits if passage_key(h) not in known), passages))
    return news


def mark_seen(index_dir: Path | str, news: list[WatchNews], reader: str = CLI_READER) -> None:
    """Record that ``reader`` has now seen these saved searches' current results."""
    by_id = {n.search.id: n for n in news}
    with _write_lock:
        searches = load_watches(index_dir)
        updated = [replace(s, seen={**s.seen, reader: Seen(by_id[s.id].generation, by_id[s.id].passages)})
                   if s.id in by_id else s for s in searches]
        _save(index_dir, updated)
