"""One handler per kind of source: request it (conditionally), check what came back, save it."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..loaders.commitments_csv import ID_COLUMN
from .files import _atomic_write, _dump, _read_sidecar, _sidecar_path, _store
from .http import _conditional, _decode, _Failure, _Http, _looks_like_html, _validators
from .pages import _page_facts, _parse_page, _SegmentParser, commitment_csv, find_pdf_link, parse_commitment_page
from .sources import Source

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
