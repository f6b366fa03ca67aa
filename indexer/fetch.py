"""Fetch the official sources listed in ``corpus/sources.toml`` into ``corpus/fetched/``.

Each source is a URL with a kind (see ``KINDS``). ``fetch_sources`` downloads every source into
``corpus/fetched/<kind>/<stable-name>`` and writes the sidecar ``<file>.source.json`` that the
loaders already read, so citations of a fetched document link to its official address (and, for a
PDF, to its page: the search appends ``#page=N`` to a report's ``url``).

What a fetch does, per kind:

* ``report``: a publication's landing page. The page is read for its PDF link (a link ending in
  ``.pdf``, else a download link), relative links resolved, and the PDF is saved as
  ``<slug>.pdf``. The sidecar's ``url`` is **the PDF's URL**, so ``#page=N`` opens the cited page;
  the landing page is kept as ``landing_page``. The landing page's title names the document.
* ``pdf``: a PDF saved as is.
* ``guide``, ``policy``, ``page``: an HTML page (Open Gov Guide chapter, policy-area page, story,
  glossary entry...) saved as ``<slug>.html``; the HTML loader keeps its main text and headings.
  (Should such a URL answer with a PDF, the PDF is saved instead.)
* ``commitment``: an OGP commitment page, parsed with the standard library's HTML parser into a
  **one-row CSV** with the official OGP export's column names (``<ID>.csv``), so the commitments
  loader indexes it unchanged. The parser is tolerant: it reads "Label: value" lines, ``dt/dd``
  and ``th/td`` pairs, label elements followed by their value, and a "Policy Areas" list.
* ``commitments-csv``: the OGP commitments export, saved as is. Its rows carry their own URLs, so
  its sidecar names no ``url`` (which would override every row's).

Politeness and safety: an honest ``User-Agent``; a minimum interval between two requests to one
host; a time-out per request and a limit on a whole download; a size cap (the body is streamed and
the download stops at the cap); retries with exponential back-off on 5xx, 429, time-outs and
connection errors (never on other 4xx). Bookkeeping (``fetched_at``, ``etag``, ``last_modified``,
``sha256``) lives in the sidecar, so the next fetch sends ``If-None-Match`` / ``If-Modified-Since``:
a 304, or a 200 whose body has the same SHA-256, leaves the file untouched (not even rewritten), so
the index build sees no change. Every file is written to a hidden temporary file and moved into
place with ``os.replace``: a failed or interrupted download never harms the copy already held, and
a source that fails is reported and never deleted.

When each source was last checked is kept in ``corpus/fetched/.fetch-log.json`` (hidden, never
indexed), not in the sidecar, so a check that finds nothing new writes nothing beside the document.

HTTP is done with httpx (well kept, already installed as a dependency of gradio).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from .errors import IndexerError
from .loaders import SIDECAR_SUFFIX, is_indexable
from .loaders.commitments_csv import ID_COLUMN, POLICY_AREA_COLUMNS

__all__ = [
    "KINDS",
    "Source",
    "FetchReport",
    "AddResult",
    "SourcesError",
    "FetchError",
    "load_sources",
    "fetch_sources",
    "add_document",
    "guess_kind",
    "find_pdf_link",
    "parse_commitment_page",
    "commitment_csv",
    "USER_AGENT",
    "FETCHED_DIR",
    "ADDED_DIR",
]

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
_LOG_NAME = ".fetch-log.json"

try:
    from importlib.metadata import version as _version

    _TOOL_VERSION = _version("ogp-justice-search")
except Exception:  # not installed as a package (running from a checkout)
    _TOOL_VERSION = "0.1.0"

#: Names the tool, says what it does and how to reach whoever runs it. Set JUSTICE_SEARCH_CONTACT
#: (an e-mail address or a URL) so site operators can reach you; it is appended when set.
USER_AGENT = (
    f"ogp-justice-search/{_TOOL_VERSION} (indexes official OGP justice-policy documents for a cited "
    f"search tool; polite: conditional requests, 1 request/s per host; python-httpx/{httpx.__version__})"
)

_MB = 1024 * 1024
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class SourcesError(IndexerError):
    """The sources manifest is missing, malformed, or an entry is invalid."""


class FetchError(IndexerError):
    """One document could not be fetched or added (the copy already held, if any, is kept)."""


class _Failure(Exception):
    """A source failed; the message is the reason shown in the report."""


# --------------------------------------------------------------------------------------------
# The manifest


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


# --------------------------------------------------------------------------------------------
# The report


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


# --------------------------------------------------------------------------------------------
# HTTP


@dataclass(frozen=True)
class _Response:
    status: int
    url: str
    headers: httpx.Headers
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("content-type", ""), re.I)
        return match.group(1) if match else None

    @property
    def is_pdf(self) -> bool:
        return b"%PDF-" in self.body[:1024]  # the signature, not the server's Content-Type, decides


class _Http:
    """GET with retries, back-off, time-outs, a size cap and a per-host minimum interval."""

    def __init__(self, client: httpx.Client, *, max_bytes: int, rate: float, retries: int, timeout: float,
                 backoff: float, max_seconds: float) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.rate = rate
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_seconds = max_seconds
        self._last: dict[str, float] = {}

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc.lower()
        last = self._last.get(host)
        if last is not None and self.rate > 0:
            delay = self.rate - (time.monotonic() - last)
            if delay > 0:
                time.sleep(delay)
        self._last[host] = time.monotonic()

    def get(self, url: str, headers: dict[str, str] | None = None) -> _Response:
        """The response (200 with its body, or 304); raise ``_Failure`` with a reason otherwise."""
        headers = {"User-Agent": _user_agent(), **(headers or {})}
        reason = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 60.0))
            self._wait_turn(url)
            try:
                response = self._get_once(url, headers)
            except httpx.TimeoutException:
                reason = f"timed out (no answer within {self.timeout:g} s)"
                continue
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise _Failure(f"invalid address ({exc})") from None
            except httpx.TooManyRedirects:
                raise _Failure("too many redirects") from None
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__}: {exc})"
                continue
            except httpx.HTTPError as exc:
                raise _Failure(f"HTTP error ({type(exc).__name__}: {exc})") from None
            if isinstance(response, str):  # a status worth retrying
                reason = response
                continue
            return response
        tries = self.retries + 1
        raise _Failure(f"{reason}; gave up after {tries} attempt{'s' if tries > 1 else ''}")

    def _get_once(self, url: str, headers: dict[str, str]) -> _Response | str:
        started = time.monotonic()
        with self.client.stream("GET", url, headers=headers, timeout=self.timeout, follow_redirects=True) as r:
            if r.status_code == 304:
                return _Response(304, str(r.url), r.headers)
            if r.status_code in _RETRY_STATUS or r.status_code >= 500:
                retry_after = r.headers.get("retry-after", "")
                if retry_after.isdigit() and self.retries:
                    time.sleep(min(int(retry_after), 60))
                return f"HTTP {r.status_code} {r.reason_phrase}".strip()
            if r.status_code >= 400:
                raise _Failure(f"HTTP {r.status_code} {r.reason_phrase}".strip())
            if r.status_code != 200:
                raise _Failure(f"unexpected HTTP {r.status_code} {r.reason_phrase}".strip())
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _Failure(f"too large: {int(declared):,} bytes declared, over the {self.max_bytes:,}-byte cap")
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _Failure(f"too large: over the {self.max_bytes:,}-byte cap; download stopped")
                if time.monotonic() - started > self.max_seconds:
                    raise _Failure(f"download took longer than {self.max_seconds:g} s; stopped")
                chunks.append(chunk)
            return _Response(200, str(r.url), r.headers, b"".join(chunks))


def _user_agent() -> str:
    contact = os.environ.get("JUSTICE_SEARCH_CONTACT", "").strip()
    return f"{USER_AGENT[:-1]}; contact: {contact})" if contact else USER_AGENT


def _new_client(timeout: float) -> httpx.Client:
    return httpx.Client(follow_redirects=True, max_redirects=10, timeout=timeout,
                        headers={"User-Agent": _user_agent()})


# --------------------------------------------------------------------------------------------
# HTML reading


class _PageParser(HTMLParser):
    """Links, title, first h1, language, canonical link and a few meta tags of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, dict[str, str]]] = []  # (href, text, attrs)
        self.embeds: list[str] = []
        self.title = ""
        self.h1 = ""
        self.lang: str | None = None
        self.meta: dict[str, str] = {}
        self._anchor: tuple[str, dict[str, str]] | None = None
        self._anchor_text: list[str] = []
        self._in: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k.lower(): (v or "") for k, v in attrs_list}
        if tag == "html" and attrs.get("lang"):
            self.lang = attrs["lang"]
        elif tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or "").lower()
            if key and attrs.get("content"):
                self.meta.setdefault(key, attrs["content"])
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            self.meta.setdefault("canonical", attrs.get("href", ""))
        elif tag == "a" and attrs.get("href"):
            self._anchor, self._anchor_text = (attrs["href"], attrs), []
        elif tag in ("iframe", "embed") and attrs.get("src"):
            self.embeds.append(attrs["src"])
        elif tag == "object" and attrs.get("data"):
            self.embeds.append(attrs["data"])
        elif tag in ("title", "h1") and self._in is None:
            self._in = tag
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor:
            href, attrs = self._anchor
            self.links.append((href, re.sub(r"\s+", " ", "".join(self._anchor_text)).strip(), attrs))
            self._anchor = None
        elif tag == self._in:
            self._in = None
        elif tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._anchor is not None:
            self._anchor_text.append(data)
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


def _parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    with contextlib.suppress(Exception):  # a broken page still yields what was read
        parser.feed(html)
        parser.close()
    return parser


_SITE_SUFFIX = re.compile(r"\s*[|\-–—]\s*(Open Government Partnership|OGP)\s*$", re.I)


def _clean_title(text: str) -> str | None:
    text = _SITE_SUFFIX.sub("", re.sub(r"\s+", " ", text or "")).strip()
    return text or None


def _page_facts(page: _PageParser) -> dict[str, Any]:
    """title, language, year a page declares (for the sidecar), when it declares them."""
    facts: dict[str, Any] = {}
    title = _clean_title(page.meta.get("og:title", "")) or _clean_title(page.h1) or _clean_title(page.title)
    if title:
        facts["title"] = title
    if page.lang:
        facts["language"] = page.lang.split("-")[0].lower()
    published = page.meta.get("article:published_time") or page.meta.get("citation_publication_date") or ""
    match = re.match(r"(\d{4})", published)
    if match:
        facts["year"] = int(match.group(1))
    return facts


_NOT_PDF = re.compile(r"\.(docx?|xlsx?|pptx?|zip|csv|odt|ods|epub|jpe?g|png|gif|mp[34])$", re.I)


def find_pdf_link(html: str, base_url: str, hint: str = "") -> str | None:
    """The absolute URL of the PDF a landing page offers, or None.

    Candidates are links ending in ``.pdf`` and download links (``download`` attribute, or
    "download" in the link's text or class), plus embedded PDFs. A ``.pdf`` link scores
    highest, then a download link; words shared with ``hint`` (e.g. the page's slug) break ties,
    then document order.
    """
    page = _parse_page(html)
    hint_words = set(re.findall(r"[a-z0-9]+", hint.lower())) - {"pdf", "the", "of", "and", "part"}
    best: tuple[float, int, str] | None = None
    candidates = [(h, t, a) for h, t, a in page.links] + [(src, "", {}) for src in page.embeds]
    for position, (href, text, attrs) in enumerate(candidates):
        href = href.strip()
        if href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        path = unquote(urlsplit(url).path)
        is_pdf = path.lower().endswith(".pdf") or "pdf" in attrs.get("type", "").lower()
        described = f"{text} {attrs.get('class', '')} {attrs.get('title', '')} {attrs.get('aria-label', '')}".lower()
        is_download = "download" in attrs or "download" in described or "descargar" in described
        if not (is_pdf or is_download) or (not is_pdf and _NOT_PDF.search(path)):
            continue
        shared = len(hint_words & set(re.findall(r"[a-z0-9]+", path.lower())))
        score = 4 * is_pdf + 2 * is_download + min(shared, 10) / 10
        if best is None or score > best[0]:
            best = (score, position, url.split("#")[0])
    return best[2] if best else None


# --------------------------------------------------------------------------------------------
# Commitment pages

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "section", "article",
               "main", "blockquote", "br", "hr", "header", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5",
               "h6", "aside", "details", "summary"}
_LABEL_TAGS = {"strong", "b", "label", "dt", "th"}  # their text may be a field label: its own segment
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "footer", "form", "button", "iframe",
              "select", "head"}
_VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}

#: Label on the page (lower case, no colon) -> field.
_LABELS = {
    "commitment id": "id", "commitment unique identifier": "id", "commitment code": "id",
    "country": "country", "member": "country", "country/locality": "country", "locality": "country",
    "region": "region",
    "action plan": "action_plan", "action plan number": "action_plan", "action plan cycle": "cycle",
    "commitment number": "number",
    "status": "status", "commitment status": "status",
    "lead institution": "lead", "lead institutions": "lead", "lead institution(s)": "lead",
    "lead agency": "lead", "lead implementing agency": "lead",
    "support institution": "support", "support institutions": "support", "support institution(s)": "support",
    "supporting institution": "support", "supporting institutions": "support",
    "supporting institution(s)": "support", "other actors involved": "support",
    "policy areas": "policy_areas", "policy area": "policy_areas", "primary policy area": "policy_areas",
    "irm report": "irm_report", "latest irm report": "irm_report",
    "verifiable": "verifiable", "specificity": "specificity",
    "potential impact": "potential_impact", "potential for results": "potential_for_results",
    "completion": "completion", "completion (end of term)": "completion",
    "completion (progress report)": "completion_midterm", "completion (midterm)": "completion_midterm",
    "early results": "early_results", "did it open government": "diog", "did it open government?": "diog",
    "starred": "starred", "star": "starred",
    "start date": "start_date", "end date": "end_date", "theme": "theme",
    "description": "description", "commitment description": "description", "full text": "description",
    "commitment text": "description",
}
_LIST_FIELDS = {"policy_areas"}


def _norm_label(text: str) -> str:
    text = re.sub(r"\(see definition\)|\s+i$", "", text.strip().lower().rstrip(":").strip())
    return re.sub(r"\s+", " ", text).strip()


class _SegmentParser(HTMLParser):
    """The page's visible text as segments: (block number, heading level or 0, in a list item, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[tuple[int, int, bool, str]] = []
        self._buffer: list[str] = []
        self._block = 0
        self._heading = 0
        self._li = 0
        self._skip = 0

    def _flush(self, new_block: bool) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            self.segments.append((self._block, self._heading, self._li > 0, text))
        if new_block:
            self._block += 1

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":  # a page whose </head> is missing must not stay hidden
            self._skip = 0
        if tag in _VOID_TAGS:
            if tag in _BLOCK_TAGS:
                self._flush(True)
            return
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag in _BLOCK_TAGS or tag in _LABEL_TAGS:
            self._flush(tag in _BLOCK_TAGS)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = int(tag[1])
        if tag == "li":
            self._li += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK_TAGS or tag in _LABEL_TAGS:
            self._flush(tag in _BLOCK_TAGS)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = 0
        if tag == "li":
            self._li = max(0, self._li - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush(True)


def _split_label(text: str) -> tuple[str | None, str]:
    """('lead', 'Ministry of Justice') for 'Lead Institution: Ministry of Justice'; (None, text) otherwise."""
    match = re.match(r"^([^:]{1,60}?)\s*:\s*(.*)$", text, re.S)
    if match and _norm_label(match.group(1)) in _LABELS:
        return _LABELS[_norm_label(match.group(1))], match.group(2).strip()
    if len(text) <= 60 and _norm_label(text) in _LABELS:
        return _LABELS[_norm_label(text)], ""
    return None, text


def parse_commitment_page(html: str, url: str = "") -> dict[str, Any]:
    """The fields an OGP commitment page shows, as a dict (missing fields are absent).

    Keys: id, title, country, action_plan, cycle, status, lead, support, policy_areas (list),
    irm_report, verifiable, potential_impact, completion, completion_midterm, early_results, diog,
    description, and a few more. Real pages differ in markup; this reads text segments, so
    "Label: value", a label element followed by its value, ``dt/dd``, ``th/td`` and a labelled list
    all work. The id falls back to "(MK0164)" in the heading or title, then to the URL.
    """
    page = _parse_page(html)
    parser = _SegmentParser()
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    segments = parser.segments
    fields: dict[str, Any] = {}
    i = 0
    while i < len(segments):
        block, level, in_li, text = segments[i]
        key, value = _split_label(text)
        i += 1
        if key is None or (key in fields and key != "description"):
            continue
        if key == "description":
            if "description" in fields:
                continue
            parts: list[tuple[int, str]] = [(block, value)] if value else []
            stop_level = level or 99
            while i < len(segments):
                b, lv, _, t = segments[i]
                if lv and lv <= stop_level:
                    break
                if not lv and _split_label(t)[0] not in (None, "description") and not parts:
                    break
                parts.append((b, t))
                i += 1
            fields["description"] = _join_segments(parts)
            continue
        if key in _LIST_FIELDS:
            items = _split_list(value)
            while not value and i < len(segments):
                _, lv, li, t = segments[i]
                if lv or _split_label(t)[0] is not None or len(t) > 200 or (items and not li):
                    break
                items.extend([t.strip()] if li else _split_list(t))
                i += 1
                if not li:  # one paragraph holds the whole list
                    break
            if items:
                fields[key] = list(dict.fromkeys(items))
            continue
        if not value and i < len(segments):
            _, lv, _, t = segments[i]
            if not lv and _split_label(t)[0] is None:
                value = t.lstrip(":").strip()
                i += 1
        if value:
            fields[key] = value

    heading = page.h1 or page.meta.get("og:title", "") or page.title
    heading = _clean_title(heading) or ""
    id_match = re.search(r"\(\s*([A-Z]{2,}[A-Z0-9]*\d{2,}[A-Za-z]?)\s*\)\s*$", heading)
    if "id" not in fields:
        if id_match:
            fields["id"] = id_match.group(1)
        else:
            url_match = re.search(r"/commitments?/([A-Za-z0-9_-]+)", urlsplit(url).path)
            if url_match:
                fields["id"] = url_match.group(1).upper()
    title = re.sub(r"\s*\(\s*[A-Z]{2,}[A-Z0-9]*\d{2,}[A-Za-z]?\s*\)\s*$", "", heading).strip()
    if title:
        fields["title"] = title
    if "description" not in fields:
        meta = page.meta.get("og:description") or page.meta.get("description")
        if meta:
            fields["description"] = meta.strip()
    if "country" not in fields:
        match = re.search(r"/members/([a-z0-9-]+)/", urlsplit(url).path)
        if match:
            fields["country"] = " ".join(w.capitalize() for w in match.group(1).split("-"))
    if page.lang:
        fields["language"] = page.lang.split("-")[0].lower()
    return fields


def _split_list(text: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,;|]", text.lstrip(":")) if v.strip()]


def _join_segments(parts: list[tuple[int, str]]) -> str:
    out: list[str] = []
    last_block = None
    for block, text in parts:
        if out and block == last_block:
            out[-1] += " " + text
        else:
            out.append(text)
        last_block = block
    return "\n\n".join(out).strip()


#: Columns of the one-row CSV, named and ordered as in the official OGP commitments export.
#: ``Status`` and ``Policy Areas`` are not export columns: they keep what the page shows.
COMMITMENT_COLUMNS = (
    ID_COLUMN, "Country/Locality", "Action Plan Number", "Commitment Number", "Region",
    "Year Of Submission", "Action Plan End Year", "Theme", "Commitment Title", "Full Text",
    "Start Date", "End Date", "Lead Institution", "Supporting Institution(s)",
    *POLICY_AREA_COLUMNS,
    "Specificity", "Verifiable", "Potential Impact", "Completion (Progress Report)", "Potential for Results",
    "Completion (End Of Term)", "Early Results", "Did It Open Government (Overall)",
    "Starred (Current Formula) End of Term", "Latest IRM Report", "URL", "Status", "Policy Areas",
)


def commitment_csv(fields: dict[str, Any], url: str, country: str | None = None) -> bytes:
    """A one-row OGP-export CSV (UTF-8) for the fields ``parse_commitment_page`` found."""
    row = dict.fromkeys(COMMITMENT_COLUMNS, "")
    areas = fields.get("policy_areas", [])
    by_name = {c.lower(): c for c in POLICY_AREA_COLUMNS}
    for column in POLICY_AREA_COLUMNS:
        row[column] = "0"
    for area in areas:
        column = by_name.get(area.lower()) or by_name.get(area.lower().replace(" and ", " & "))
        if column:
            row[column] = "1"
    plan = fields.get("action_plan", "")
    years = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", plan)
    cycle = re.search(r"(?:19|20)\d{2}", fields.get("cycle", ""))
    completion_column = "Completion (End Of Term)"
    if re.search(r"progress|mid-?term|implementation report", fields.get("irm_report", ""), re.I):
        completion_column = "Completion (Progress Report)"
    row.update({
        ID_COLUMN: fields.get("id", ""),
        "Country/Locality": fields.get("country") or country or "",
        "Action Plan Number": plan,
        "Commitment Number": fields.get("number", ""),
        "Region": fields.get("region", ""),
        "Year Of Submission": cycle.group() if cycle else (years[0] if years else ""),
        "Action Plan End Year": years[-1] if len(years) > 1 else "",
        "Theme": fields.get("theme", ""),
        "Commitment Title": fields.get("title", ""),
        "Full Text": fields.get("description", ""),
        "Start Date": fields.get("start_date", ""),
        "End Date": fields.get("end_date", ""),
        "Lead Institution": fields.get("lead", ""),
        "Supporting Institution(s)": fields.get("support", ""),
        "Specificity": fields.get("specificity", ""),
        "Verifiable": fields.get("verifiable", ""),
        "Potential Impact": fields.get("potential_impact", ""),
        "Potential for Results": fields.get("potential_for_results", ""),
        "Early Results": fields.get("early_results", ""),
        "Did It Open Government (Overall)": fields.get("diog", ""),
        "Starred (Current Formula) End of Term": fields.get("starred", ""),
        "Latest IRM Report": fields.get("irm_report", ""),
        "URL": url,
        "Status": fields.get("status", ""),
        "Policy Areas": "; ".join(areas),
    })
    if fields.get("completion"):
        row[completion_column] = fields["completion"]
    if fields.get("completion_midterm"):
        row["Completion (Progress Report)"] = fields["completion_midterm"]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COMMITMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# Files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_sidecar_path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _dump(data: dict[str, Any]) -> bytes:
    return (json.dumps({k: v for k, v in data.items() if v not in (None, "")}, indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


def _store(path: Path, body: bytes, sidecar: dict[str, Any], same: Callable[[bytes, bytes], bool] | None = None,
           ) -> str:
    """Save a document and its sidecar; 'new', 'updated' or 'unchanged'.

    Unchanged (the same SHA-256, or ``same(held, new)`` says the difference does not matter):
    the document is not rewritten, and the sidecar only if its bookkeeping changed (e.g. a new ETag).
    """
    sha = _sha256(body)
    existed = path.is_file()
    old = _read_sidecar(path) if existed else {}
    sidecar = {**sidecar, "sha256": sha, "bytes": len(body)}
    held_sha = _file_sha256(path) if existed else None
    if existed and held_sha != sha and same is not None:
        with contextlib.suppress(OSError):
            held = path.read_bytes()
            if same(held, body):
                sidecar.update(sha256=held_sha, bytes=len(held))
                sha = held_sha
    if existed and held_sha == sha:
        sidecar["fetched_at"] = old.get("fetched_at") or _now()
        if _dump(sidecar) != _dump(old):
            _atomic_write(_sidecar_path(path), _dump(sidecar))
        return "unchanged"
    sidecar["fetched_at"] = _now()
    _atomic_write(path, body)
    _atomic_write(_sidecar_path(path), _dump(sidecar))
    return "updated" if existed else "new"


def _conditional(meta: dict[str, Any], prefix: str = "") -> dict[str, str]:
    headers = {}
    if meta.get(f"{prefix}etag"):
        headers["If-None-Match"] = meta[f"{prefix}etag"]
    if meta.get(f"{prefix}last_modified"):
        headers["If-Modified-Since"] = meta[f"{prefix}last_modified"]
    return headers


def _validators(response: _Response, prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}etag": response.headers.get("etag"),
            f"{prefix}last_modified": response.headers.get("last-modified")}


def _decode(response: _Response) -> str:
    for encoding in (response.charset, "utf-8"):
        if encoding:
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                return response.body.decode(encoding)
    return response.body.decode("cp1252", errors="replace")


def _looks_like_html(response: _Response) -> bool:
    if response.content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = response.body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _citation(source: Source, facts: dict[str, Any]) -> dict[str, Any]:
    """Sidecar fields the loaders read: the manifest's metadata wins over what the page says."""
    return {
        "title": source.title or facts.get("title"),
        "country": source.country,
        "language": source.language or facts.get("language"),
        "year": facts.get("year"),
    }


# --------------------------------------------------------------------------------------------
# Per kind


def _fetch_report(source: Source, corpus: Path, http: _Http) -> tuple[str, str]:
    target = corpus / source.default_target()
    old = _read_sidecar(target) if target.is_file() else {}
    landing = http.get(source.url, _conditional(old, "landing_") if old.get("landing_page") else {})
    facts: dict[str, Any] = {}
    landing_meta: dict[str, Any] = {}
    if landing.status == 304:
        pdf_url = old.get("url")
        if not pdf_url:
            raise _Failure("the landing page is unchanged but the PDF address was not recorded; delete "
                           f"{target.name} and fetch again")
        facts = {k: old.get(k) for k in ("title", "language", "year")}
        landing_meta = {k: old.get(k) for k in ("landing_page", "landing_etag", "landing_last_modified")}
        pdf = http.get(pdf_url, _conditional(old))
    elif landing.is_pdf:  # the address serves the PDF itself
        pdf_url, pdf = landing.url, landing
    else:
        if not _looks_like_html(landing):
            raise _Failure(f"expected an HTML landing page or a PDF, got {landing.content_type or 'unknown type'}")
        html = _decode(landing)
        pdf_url = find_pdf_link(html, landing.url, hint=source.stem)
        if not pdf_url:
            raise _Failure("no PDF link found on the landing page (a link ending in .pdf or a download link)")
        facts = _page_facts(_parse_page(html))
        landing_meta = {"landing_page": landing.url, **_validators(landing, "landing_")}
        pdf = http.get(pdf_url, _conditional(old) if old.get("url") == pdf_url else {})
    sidecar = {"url": pdf_url, **_citation(source, facts), **_bookkeeping(source), **landing_meta}
    if pdf.status == 304:
        return _unchanged(target, old, sidecar), source.default_target()
    if not pdf.is_pdf:
        raise _Failure(f"{pdf.url} is not a PDF (got {pdf.content_type or 'unknown type'})")
    sidecar.update(url=pdf.url, content_type="application/pdf", **_validators(pdf))
    return _store(target, pdf.body, sidecar), source.default_target()


def _unchanged(target: Path, old: dict[str, Any], sidecar: dict[str, Any]) -> str:
    """A 304: keep the file; refresh the sidecar only if what it records changed."""
    if not target.is_file():
        raise _Failure("the server answered 304 Not Modified but no copy is held")
    merged = {**old, **{k: v for k, v in sidecar.items() if v not in (None, "")}}
    for key in ("etag", "last_modified", "sha256", "bytes", "fetched_at", "content_type"):
        if old.get(key):
            merged[key] = old[key]
    if _dump(merged) != _dump(old):
        _atomic_write(_sidecar_path(target), _dump(merged))
    return "unchanged"


def _bookkeeping(source: Source) -> dict[str, Any]:
    return {"source_url": source.url, "kind": source.kind, "policy_area": source.policy_area}


def _fetch_pdf(source: Source, corpus: Path, http: _Http) -> tuple[str, str]:
    relative = source.default_target()
    target = corpus / relative
    old = _read_sidecar(target) if target.is_file() else {}
    response = http.get(source.url, _conditional(old))
    sidecar = {"url": old.get("url") or source.url, **_citation(source, {}), **_bookkeeping(source)}
    if response.status == 304:
        return _unchanged(target, old, sidecar), relative
    if not response.is_pdf:
        raise _Failure(f"not a PDF (got {response.content_type or 'unknown type'})")
    sidecar.update(url=response.url, content_type="application/pdf", **_validators(response))
    return _store(target, response.body, sidecar), relative


def _fetch_page(source: Source, corpus: Path, http: _Http) -> tuple[str, str]:
    html_rel = source.default_target()
    pdf_rel = html_rel.rsplit(".", 1)[0] + ".pdf"
    held = next((r for r in (html_rel, pdf_rel) if (corpus / r).is_file()), None)
    old = _read_sidecar(corpus / held) if held else {}
    response = http.get(source.url, _conditional(old))
    if response.status == 304:
        if not held:
            raise _Failure("the server answered 304 Not Modified but no copy is held")
        sidecar = {"url": old.get("url") or source.url, **_citation(source, old), **_bookkeeping(source)}
        return _unchanged(corpus / held, old, sidecar), held
    if response.is_pdf:
        sidecar = {"url": response.url, **_citation(source, {}), **_bookkeeping(source),
                   "content_type": "application/pdf", **_validators(response)}
        return _store(corpus / pdf_rel, response.body, sidecar), pdf_rel
    if not _looks_like_html(response):
        raise _Failure(f"expected an HTML page, got {response.content_type or 'unknown type'}")
    html = _decode(response)
    body = response.body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # the loaders read UTF-8 (else cp1252): store what the server meant
        body = html.encode("utf-8")
    facts = _page_facts(_parse_page(html))
    sidecar = {"url": response.url, **_citation(source, facts), **_bookkeeping(source),
               "content_type": "text/html", **_validators(response)}
    return _store(corpus / html_rel, body, sidecar, same=_same_html), html_rel


def _html_fingerprint(data: bytes) -> tuple:
    """What the HTML loader can see of a page: title, language, canonical link and visible text."""
    html = data.decode("utf-8", errors="replace")
    page = _parse_page(html)
    parser = _SegmentParser()
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    return page.title.strip(), page.lang, page.meta.get("canonical"), [t for *_, t in parser.segments]


def _same_html(held: bytes, new: bytes) -> bool:
    """True when two versions differ only outside the text (a script nonce, a cache-busting query...)."""
    return _html_fingerprint(held) == _html_fingerprint(new)


def _fetch_commitment(source: Source, corpus: Path, http: _Http) -> tuple[str, str]:
    relative = source.default_target()
    target = corpus / relative
    old = _read_sidecar(target) if target.is_file() else {}
    response = http.get(source.url, _conditional(old))
    # The CSV row carries title, country and URL; the sidecar adds only what cannot disagree with it.
    sidecar = {"url": old.get("url") or source.url, "language": source.language, **_bookkeeping(source)}
    if response.status == 304:
        return _unchanged(target, old, sidecar), relative
    if not _looks_like_html(response):
        raise _Failure(f"expected an HTML commitment page, got {response.content_type or 'unknown type'}")
    fields = parse_commitment_page(_decode(response), response.url)
    if not fields.get("id") or not (fields.get("title") or fields.get("description")):
        raise _Failure("no commitment id and title or description found on the page")
    sidecar.update(url=response.url, content_type="text/csv", **_validators(response))
    body = commitment_csv(fields, response.url, country=source.country)
    return _store(target, body, sidecar), relative


def _fetch_export(source: Source, corpus: Path, http: _Http) -> tuple[str, str]:
    relative = source.default_target()
    target = corpus / relative
    old = _read_sidecar(target) if target.is_file() else {}
    response = http.get(source.url, _conditional(old))
    # No "url": the sidecar's url would replace every row's own commitment page address.
    sidecar = {"language": source.language, **_bookkeeping(source)}
    if response.status == 304:
        return _unchanged(target, old, sidecar), relative
    first_line = response.body[:65536].decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first_line or ID_COLUMN not in first_line[0]:
        raise _Failure(f"not an OGP commitments export: no '{ID_COLUMN}' column in the first line")
    sidecar.update(content_type="text/csv", document_url=response.url, **_validators(response))
    return _store(target, response.body, sidecar), relative


_HANDLERS = {
    "report": _fetch_report,
    "pdf": _fetch_pdf,
    "guide": _fetch_page,
    "policy": _fetch_page,
    "page": _fetch_page,
    "commitment": _fetch_commitment,
    "commitments-csv": _fetch_export,
}


# --------------------------------------------------------------------------------------------
# The fetch


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
                 max_seconds=max_seconds)
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
        from .loaders import LOADERS

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
