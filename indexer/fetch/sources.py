"""The sources manifest (``corpus/sources.toml``): what to fetch, of which kind, with which metadata."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import SourcesError

__all__ = ["KINDS", "FETCHED_DIR", "ADDED_DIR", "Source", "load_sources", "source_hosts",
           "parse_allowed_hosts"]

#: Kind -> what it is. ``sources.toml`` entries and ``add --kind`` take one of these.
KINDS: dict[str, str] = {
    "report": "a publication's landing page (HTML); the PDF it links to is downloaded",
    "pdf": "a PDF document",
    "guide": "an Open Gov Guide chapter (HTML)",
    "policy": "a policy-area page (HTML)",
    "page": "any other web page: a story, a glossary entry, a coalition page (HTML)",
    "commitment": "an OGP commitment page, turned into a one-row commitments CSV",
    "commitments-csv": "the OGP commitments export (CSV)",
}

FETCHED_DIR = "fetched"
ADDED_DIR = "added"



@dataclass(frozen=True)
class Source:
    """One official document to fetch: its URL, kind and the metadata citations should show."""

    url: str
    kind: str
    name: str | None = None  # file name (without extension) under fetched/<kind>/; default: from the URL
    country: str | None = None
    policy_area: str | None = None
    language: str | None = None
    title: str | None = None

    @property
    def stem(self) -> str:
        """The stable file name without extension: ``name``, the commitment id, or the URL's slug."""
        if self.name:
            return _slug(re.sub(r"\.(pdf|csv|html?)$", "", self.name, flags=re.I)) or "document"
        parts = urlsplit(self.url)
        path = unquote(parts.path)
        if self.kind == "commitment":
            match = re.search(r"/commitments?/([A-Za-z0-9_-]+)", path)
            if match:
                return re.sub(r"[^A-Za-z0-9_-]", "", match.group(1)).upper()
        segments = [s for s in path.split("/") if s]
        last = segments[-1] if segments else parts.hostname or "index"
        last = re.sub(r"\.(pdf|csv|html?|php|aspx?|jsp)$", "", last, flags=re.I)
        return _slug(last) or _slug(parts.hostname or "") or "index"

    @property
    def folder(self) -> str:
        return f"{FETCHED_DIR}/{self.kind}"

    def default_target(self) -> str:
        """Path relative to the corpus root where this source's document lands."""
        extension = {"report": ".pdf", "pdf": ".pdf", "commitment": ".csv", "commitments-csv": ".csv"}
        return f"{self.folder}/{self.stem}{extension.get(self.kind, '.html')}"


_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(Source))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]


def load_sources(path: Path | str) -> list[Source]:
    """Read and check a sources manifest (TOML): a list of ``[[source]]`` tables.

    Each table has ``url`` and ``kind`` (one of ``KINDS``) and may have ``name``, ``title``,
    ``country``, ``policy_area``, ``language``. An unknown key, an unknown kind, a URL that is not
    http(s), or two sources that would land in the same file raise ``SourcesError`` naming the
    file and the entry.
    """
    path = Path(path)
    if not path.is_file():
        raise SourcesError(f"The sources file {path} does not exist. Create it (see corpus/sources.toml).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourcesError(f"Cannot read the sources file {path}: {exc}") from None
    unknown_top = sorted(set(data) - {"source"})
    if unknown_top:
        raise SourcesError(
            f"{path}: unknown top-level key(s) {', '.join(unknown_top)}; list each source as a [[source]] table."
        )
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError(f"{path}: 'source' must be a list of tables ([[source]]).")
    sources: list[Source] = []
    targets: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, source #{number}"
        if not isinstance(entry, dict):
            raise SourcesError(f"{where}: expected a table with url and kind.")
        if isinstance(entry.get("url"), str):
            where += f" ({entry['url']})"
        unknown = sorted(set(entry) - set(_SOURCE_FIELDS))
        if unknown:
            raise SourcesError(
                f"{where}: unknown key(s) {', '.join(unknown)}. Known keys: {', '.join(_SOURCE_FIELDS)}."
            )
        for key, value in entry.items():
            if not isinstance(value, str):
                raise SourcesError(f"{where}: '{key}' must be a string, got {value!r}.")
        if not entry.get("url"):
            raise SourcesError(f"{where}: 'url' is missing.")
        url = entry["url"].strip()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise SourcesError(f"{where}: 'url' must be an http(s) address, got {url!r}.")
        kind = entry.get("kind", "").strip()
        if kind not in KINDS:
            raise SourcesError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}.")
        source = Source(**{k: (v.strip() or None) for k, v in entry.items()} | {"url": url, "kind": kind})
        target = source.default_target()
        if target in targets:
            raise SourcesError(
                f"{where}: would be saved as {target}, like {targets[target]}; give one of them a 'name'."
            )
        targets[target] = url
        sources.append(source)
    return sources


def source_hosts(sources: Iterable[Source]) -> frozenset[str]:
    """The host names the sources' URLs name: where a redirect may lead (see ``fetch_sources``)."""
    return frozenset(host.lower() for s in sources if (host := urlsplit(s.url).hostname))


def parse_allowed_hosts(text: str) -> frozenset[str]:
    """The ``fetch_allowed_hosts`` setting (host names separated by commas or spaces) as a set."""
    return frozenset(h.lower() for h in re.split(r"[,\s]+", text or "") if h)
