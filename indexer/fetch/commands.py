"""The two verbs: ``fetch_sources`` (every source of the manifest) and ``add_document`` (one file
or URL). The command line (``python -m indexer fetch|add``) calls these and prints their report."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import FetchError, SourcesError
from ..loaders import is_indexable
from .files import _atomic_write, _dump, _file_sha256, _now, _read_sidecar, _sha256, _sidecar_path
from .http import _MB, _Failure, _Http, _new_client
from .kinds import _HANDLERS
from .pages import commitment_csv, parse_commitment_page
from .sources import ADDED_DIR, FETCHED_DIR, KINDS, Source, load_sources, source_hosts

__all__ = ["FetchReport", "AddResult", "fetch_sources", "add_document", "guess_kind"]

_LOG_NAME = ".fetch-log.json"


@dataclass(frozen=True)
class FetchReport:
    """What a fetch did: source URLs by outcome, failures with their reason, and where files landed."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checked recently (--since) or of another kind (--only)
    failed: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # source url -> path relative to the corpus
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    def summary(self) -> str:
        lines = [
            f"Fetched {len(self.new) + len(self.updated) + len(self.unchanged) + len(self.failed)} source(s): "
            f"{len(self.new)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.failed)} failed" + (f", {len(self.skipped)} skipped" if self.skipped else "")
            + f" ({self.seconds:.1f} s)"
        ]
        for label, urls in (("new", self.new), ("updated", self.updated)):
            for url in urls:
                lines.append(f"  {label:8} {self.files.get(url, '')}  <- {url}")
        for url, reason in self.failed:
            kept = f" (kept the copy already held: {self.files[url]})" if url in self.files else ""
            lines.append(f"  FAILED   {url}: {reason}{kept}")
        return "\n".join(lines)


def _parse_since(since: date | datetime | str | None) -> datetime | None:
    if since is None or since == "":
        return None
    if isinstance(since, str):
        try:
            since = date.fromisoformat(since.strip())
        except ValueError:
            raise FetchError(f"--since must be a date like 2025-01-31, got {since!r}") from None
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    return datetime(since.year, since.month, since.day, tzinfo=timezone.utc)


def _read_log(corpus: Path) -> dict[str, Any]:
    try:
        data = json.loads((corpus / FETCHED_DIR / _LOG_NAME).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _last_checked(source: Source, corpus: Path, log: dict[str, Any]) -> datetime | None:
    stamps = []
    entry = log.get(source.url)
    if isinstance(entry, dict):
        stamps.append(entry.get("checked_at"))
        if entry.get("file") and (corpus / entry["file"]).is_file():
            stamps.append(_read_sidecar(corpus / entry["file"]).get("fetched_at"))
    target = corpus / source.default_target()
    if target.is_file():
        stamps.append(_read_sidecar(target).get("fetched_at"))
    parsed = []
    for stamp in stamps:
        with contextlib.suppress(TypeError, ValueError):
            value = datetime.fromisoformat(stamp)
            parsed.append(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    return max(parsed) if parsed else None


def fetch_sources(
    sources: Iterable[Source],
    corpus_dir: Path | str,
    *,
    client: httpx.Client | None = None,
    since: date | datetime | str | None = None,
    only: str | Iterable[str] | None = None,
    max_bytes: int = 100 * _MB,
    rate: float = 1.0,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 2.0,
    max_seconds: float = 600.0,
    progress: bool = True,
    allowed_hosts: Iterable[str] = (),
) -> FetchReport:
    """Download every source into ``corpus_dir/fetched/<kind>/`` and report what changed.

    Args:
        client: an ``httpx.Client`` to use (tests pass one); by default one is made that follows
            redirects and sends the tool's User-Agent.
        since: re-check only sources last checked **before** this date (UTC midnight) or time;
            sources checked on or after it are skipped. A source never fetched is always fetched.
        only: a kind (or kinds) to fetch; the others are skipped.
        max_bytes: size cap per download; a larger body fails the source (nothing is written).
        rate: minimum seconds between two requests to the same host.
        retries: further attempts after a 5xx, 429, time-out or connection error.
        timeout: seconds allowed for connecting and for each read.
        backoff: first back-off delay in seconds; it doubles at each retry.
        max_seconds: limit on one whole download.
        progress: show a tqdm progress bar on stderr.
        allowed_hosts: hosts a redirect may lead to besides those the sources name (the
            ``fetch_allowed_hosts`` setting). A redirect to any other host fails the source with a
            message naming the host: a page must not send the fetcher anywhere it likes.

    A source that fails is listed in ``report.failed`` with the reason; its copy already held,
    if any, is kept (and named in ``report.files``).
    """
    started = time.perf_counter()
    corpus = Path(corpus_dir)
    sources = list(sources)
    kinds = {only} if isinstance(only, str) else set(only or ())
    bad = sorted(kinds - set(KINDS))
    if bad:
        raise FetchError(f"unknown kind(s) {', '.join(bad)}; kinds are {', '.join(KINDS)}")
    cutoff = _parse_since(since)
    report = FetchReport()
    log = _read_log(corpus)
    own_client = client is None
    client = client or _new_client(timeout)
    http = _Http(client, max_bytes=max_bytes, rate=rate, retries=retries, timeout=timeout, backoff=backoff,
                 max_seconds=max_seconds,
                 allowed_hosts=source_hosts(sources) | {h.lower() for h in allowed_hosts})
    from tqdm import tqdm

    try:
        with tqdm(total=len(sources), desc="Fetching", unit="source", disable=not progress) as bar:
            for source in sources:
                bar.set_postfix_str(source.stem[:40], refresh=False)
                held = log.get(source.url, {}).get("file") if isinstance(log.get(source.url), dict) else None
                held = held if held and (corpus / held).is_file() else None
                if not held and (corpus / source.default_target()).is_file():
                    held = source.default_target()
                if kinds and source.kind not in kinds:
                    report.skipped.append(source.url)
                elif cutoff and (checked := _last_checked(source, corpus, log)) and checked >= cutoff:
                    report.skipped.append(source.url)
                    if held:
                        report.files[source.url] = held
                else:
                    try:
                        status, relative = _HANDLERS[source.kind](source, corpus, http)
                    except _Failure as exc:
                        report.failed.append((source.url, str(exc)))
                        if held:
                            report.files[source.url] = held
                    except OSError as exc:
                        report.failed.append((source.url, f"cannot write to the corpus ({exc})"))
                        if held:
                            report.files[source.url] = held
                    else:
                        getattr(report, status).append(source.url)
                        report.files[source.url] = relative
                        log[source.url] = {"checked_at": _now(), "file": relative, "kind": source.kind}
                bar.update(1)
    finally:
        if own_client:
            client.close()
        with contextlib.suppress(OSError):
            if log:
                _atomic_write(corpus / FETCHED_DIR / _LOG_NAME,
                              (json.dumps(log, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return dataclasses.replace(report, seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# Adding one document


@dataclass(frozen=True)
class AddResult:
    """Where an added document landed (relative to the corpus) and whether it was new."""

    path: str
    status: str  # new, updated, unchanged
    url: str | None = None


def guess_kind(url: str) -> str:
    """A kind for a URL from its shape: .pdf -> pdf, .csv -> commitments-csv, /commitments/ID -> commitment,
    /documents/ -> report, /open-gov-guide/ -> guide, /policy-area/ -> policy, else page. (A page kind
    whose URL turns out to serve a PDF saves the PDF.)"""
    path = urlsplit(url).path.lower()
    if path.endswith(".pdf"):
        return "pdf"
    if path.endswith(".csv"):
        return "commitments-csv"
    if re.search(r"/commitments?/[a-z]{2,}[a-z0-9]*\d", path):
        return "commitment"
    if "/documents/" in path:
        return "report"
    if "/open-gov-guide/" in path:
        return "guide"
    if "/policy-area/" in path:
        return "policy"
    return "page"


def add_document(
    path_or_url: str | Path,
    corpus_dir: Path | str,
    *,
    kind: str | None = None,
    title: str | None = None,
    country: str | None = None,
    language: str | None = None,
    url: str | None = None,
    client: httpx.Client | None = None,
    **fetch_options: Any,
) -> AddResult:
    """Add one document to the corpus; the caller then runs the (incremental) build.

    A URL is fetched like a source of ``kind`` (default: ``guess_kind``) into ``fetched/<kind>/``,
    where a later ``fetch`` of the same URL finds and refreshes it. A local file is copied into
    ``corpus/added/`` (a local commitment page, ``--kind commitment`` with an .html file, becomes
    a one-row CSV) with a sidecar when metadata (title, country, language, url) is given.

    Raises:
        FetchError: the document could not be fetched, read or is of a type the indexer cannot read.
    """
    corpus = Path(corpus_dir)
    if kind is not None and kind not in KINDS:
        raise FetchError(f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}")
    text = str(path_or_url)
    if urlsplit(text).scheme in ("http", "https"):
        source = Source(url=text, kind=kind or guess_kind(text), title=title, country=country, language=language)
        fetch_options["allowed_hosts"] = _manifest_hosts(corpus) | set(fetch_options.get("allowed_hosts", ()))
        report = fetch_sources([source], corpus, client=client, progress=False, **fetch_options)
        if report.failed:
            raise FetchError(f"could not fetch {text}: {report.failed[0][1]}")
        status = next(s for s in ("new", "updated", "unchanged") if text in getattr(report, s))
        return AddResult(report.files[text], status, text)

    local = Path(text).expanduser()
    if not local.is_file():
        raise FetchError(f"{local} is not a file (give a file path or an http(s) URL)")
    data = local.read_bytes()
    name = local.name
    if kind == "commitment" and local.suffix.lower() in (".html", ".htm"):
        fields = parse_commitment_page(data.decode("utf-8", errors="replace"), url or "")
        if not fields.get("id"):
            raise FetchError(f"{local}: no commitment id found on the page")
        data = commitment_csv(fields, url or "", country=country)
        name = f"{re.sub(r'[^A-Za-z0-9_-]', '', fields['id']).upper() or local.stem}.csv"
    if not is_indexable(Path(name)):
        from ..loaders import LOADERS

        if Path(name).suffix.lower() in LOADERS:
            raise FetchError(f"{local}: README, sources.toml and *.source.json files are never indexed")
        raise FetchError(f"{local}: the indexer cannot read '{local.suffix}' files "
                         f"(it reads {', '.join(sorted(LOADERS))})")
    try:  # a file already inside the corpus stays where it is: only its metadata is (re)written
        relative = local.resolve().relative_to(corpus.resolve()).as_posix() if name == local.name else None
    except ValueError:
        relative = None
    if relative is not None:
        destination, status = local, "unchanged"
    else:
        relative = f"{ADDED_DIR}/{name}"
        destination = corpus / relative
        if destination.is_file() and _file_sha256(destination) == _sha256(data):
            status = "unchanged"
        else:
            status = "updated" if destination.is_file() else "new"
            _atomic_write(destination, data)
    sidecar = {"url": url, "title": title, "country": country, "language": language}
    if any(sidecar.values()):
        old = _read_sidecar(destination)
        merged = {**old, **{k: v for k, v in sidecar.items() if v}, "added_at": old.get("added_at") or _now()}
        if _dump(merged) != _dump(old):
            _atomic_write(_sidecar_path(destination), _dump(merged))
    return AddResult(relative, status, url)


def _manifest_hosts(corpus: Path) -> frozenset[str]:
    """The hosts ``corpus/sources.toml`` names (none when it is missing or unreadable): an added URL
    may be redirected to them as a fetched source may."""
    try:
        return source_hosts(load_sources(corpus / "sources.toml"))
    except SourcesError:
        return frozenset()
