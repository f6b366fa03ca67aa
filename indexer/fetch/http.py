"""HTTP for the fetcher: polite, bounded GETs with retries, conditional requests and redirects
restricted to known hosts."""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

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


class _Failure(Exception):
    """A source failed; the message is the reason shown in the report."""



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


#: Redirects followed for one request before it fails.
MAX_REDIRECTS = 10
_REDIRECT_STATUS = {301, 302, 303, 307, 308}


class _Http:
    """GET with retries, back-off, time-outs, a size cap, a per-host minimum interval, and redirects
    followed only to ``allowed_hosts`` (a page must not send the fetcher to an arbitrary address,
    e.g. one inside the network of whoever runs it)."""

    def __init__(self, client: httpx.Client, *, max_bytes: int, rate: float, retries: int, timeout: float,
                 backoff: float, max_seconds: float, allowed_hosts: frozenset[str] = frozenset()) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.rate = rate
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_seconds = max_seconds
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
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
        for _ in range(MAX_REDIRECTS + 1):
            with self.client.stream("GET", url, headers=headers, timeout=self.timeout, follow_redirects=False) as r:
                location = r.headers.get("location") if r.status_code in _REDIRECT_STATUS else None
                if location is None:
                    return self._read(r, started)
            url = self._redirect_target(url, location)
        raise _Failure(f"too many redirects (more than {MAX_REDIRECTS})")

    def _redirect_target(self, url: str, location: str) -> str:
        """The absolute address a redirect points to; ``_Failure`` when its host is not allowed."""
        target = urljoin(url, location.strip())
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Failure(f"redirected to {target!r}, which is not an http(s) address; not followed")
        if parts.hostname.lower() not in self.allowed_hosts:
            raise _Failure(
                f"redirected to the host {parts.hostname}, which sources.toml does not name (nor the "
                f"fetch_allowed_hosts setting); not followed. If that host is an official one, add it to "
                f"fetch_allowed_hosts")
        return target

    def _read(self, r: httpx.Response, started: float) -> _Response | str:
        """The response's status and body, read within the size cap and the time limit."""
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
    return httpx.Client(follow_redirects=False, timeout=timeout,
                        headers={"User-Agent": _user_agent()})


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

