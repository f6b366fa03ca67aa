"""The corpus file route: indexed files served from the corpus folder, nothing else, and never as
active content of the app's own origin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from .i18n import choose_language, text

__all__ = ["CORPUS_ROUTE", "PDF_CSP", "TEXT_CSP", "AllowedSources", "CorpusPathRefused", "corpus_route",
           "resolve_corpus_file"]

CORPUS_ROUTE = "corpus"  # files are served at /corpus/<source>
#: A PDF may show itself (the browser's viewer draws it) but load, run, frame or submit nothing.
PDF_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
           "script-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
#: Guides (Markdown, HTML) and exports are plain text in a sandbox, never pages of this site.
TEXT_CSP = "default-src 'none'; sandbox"
#: The indexed sources a route serves: a set, a function giving the set now served (a build may
#: add files while the app runs), or None for any file in the corpus folder.
AllowedSources = set[str] | frozenset[str] | Callable[[], frozenset[str]] | None


class CorpusPathRefused(Exception):
    """The requested path points outside the corpus folder (or is otherwise not allowed)."""


def resolve_corpus_file(corpus_dir: Path, relative: str, allowed: set[str] | frozenset[str] | None = None,
                        ) -> Path | None:
    """The corpus file at ``relative`` (a source path as the index stores it).

    Raises CorpusPathRefused for anything that could leave the corpus folder (``..``, absolute
    paths, backslashes, hidden names, links pointing out); returns None when there is no such
    file, or when ``allowed`` is given and the file is not one of the indexed sources.
    """
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
        raise CorpusPathRefused(relative)
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") or ":" in part for part in parts):
        raise CorpusPathRefused(relative)
    root = Path(corpus_dir).resolve()
    candidate = (root / Path(*parts)).resolve()
    if not candidate.is_relative_to(root) or candidate == root:
        raise CorpusPathRefused(relative)
    if not candidate.is_file():
        return None
    if allowed is not None and relative not in allowed:
        return None
    return candidate


async def logged_in(request: Request) -> bool:
    """Whether the request may read corpus files: always without a login, else with Gradio's login
    cookie (read from Gradio's server app; pinned by test_corpus_route_needs_the_login_when_auth_is_on)."""
    app = request.app
    auth = getattr(app, "auth", None)
    dependency = getattr(app, "auth_dependency", None)
    if auth is None and dependency is None:
        return True
    try:
        if dependency is not None:
            user = dependency(request)
            if hasattr(user, "__await__"):
                user = await user
            return user is not None
        cookie_id = app.cookie_id
        token = (request.cookies.get(f"access-token-{cookie_id}")
                 or request.cookies.get(f"access-token-unsecure-{cookie_id}"))
        return token is not None and app.tokens.get(token) is not None
    except Exception:  # Gradio's internals changed: refuse rather than serve without a login
        return False


async def requested_corpus_file(request: Request, corpus_dir: Path, allowed: AllowedSources,
                                suffix: str | None = None) -> Path | Response:
    """The indexed corpus file a request's ``path`` names (of type ``suffix`` when given), or the
    response refusing it: 401 before a login, 403 outside the corpus, 404 for anything else."""
    language = reader_language(request)
    if not await logged_in(request):
        return PlainTextResponse(text(language, "file.log_in"), status_code=401)
    try:
        path = resolve_corpus_file(corpus_dir, request.path_params["path"], allowed() if callable(allowed) else allowed)
    except CorpusPathRefused:
        return PlainTextResponse(text(language, "file.outside"), status_code=403)
    if path is None or (suffix is not None and path.suffix.lower() != suffix):
        return PlainTextResponse(text(language, "file.no_pdf" if suffix == ".pdf" else "file.no_file"),
                                 status_code=404)
    return path


def reader_language(request: Request) -> str:
    """The interface language of a request for a file or a page view: its ``ui`` parameter (the app's
    links carry it), else the browser's Accept-Language."""
    return choose_language(request.query_params.get("ui"), request.headers.get("accept-language"))


#: Corpus files that are not text, by suffix: served for download with their own type.
_PACKED = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def corpus_route(corpus_dir: Path, allowed: AllowedSources) -> Route:
    """A route serving indexed corpus files, and nothing outside the corpus folder."""

    async def serve(request: Request) -> Response:
        path = await requested_corpus_file(request, corpus_dir, allowed)
        if isinstance(path, Response):
            return path
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300",
                   "Referrer-Policy": "no-referrer", "Cross-Origin-Resource-Policy": "same-origin"}
        if path.suffix.lower() == ".pdf":
            headers["Content-Security-Policy"] = PDF_CSP
            return FileResponse(path, media_type="application/pdf", headers=headers,
                                content_disposition_type="inline", filename=path.name)
        headers["Content-Security-Policy"] = TEXT_CSP
        packed = _PACKED.get(path.suffix.lower())
        if packed:  # a zipped office file shown as text is a page of binary: the reader gets the file
            return FileResponse(path, media_type=packed, headers=headers, content_disposition_type="attachment",
                                filename=path.name)
        media = "text/csv; charset=utf-8" if path.suffix.lower() == ".csv" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers=headers, content_disposition_type="inline",
                            filename=path.name)

    return Route(f"/{CORPUS_ROUTE}/{{path:path}}", serve, methods=["GET", "HEAD"], name="corpus_file")
