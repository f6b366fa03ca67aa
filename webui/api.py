"""The JSON API beside the app: ``/api/search`` and ``/api/compare`` for integrators, answered by
the same Searcher and the same records as ``python -m search --json``, outside Gradio's queue.
Each answer also names the index generation it came from (``index``), since a build may swap in
a new one while the app runs.

Served by the app's own server (a FastAPI app mounted at ``/api``, documented at ``/api/docs`` and
``/api/openapi.json``) and behind the app's login when it has one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from indexer.analysis import split_words
from indexer.errors import IndexerError
from search.compare import compare
from search.filters import Filters
from search.live import LiveSearcher
from search.retrieve import Searcher

from .files import logged_in
from .params import DEFAULT_RESULTS, MAX_RESULTS

__all__ = ["API_PREFIX", "ApiError", "api_app", "api_route", "compare_answer", "index_of", "search_answer"]

API_PREFIX = "/api"
DEFAULT_COMPARE_ROWS = 20  # as `python -m search compare`


class ApiError(ValueError):
    """A request the API cannot answer as asked (answered with 400 and this message)."""


def _filters(searcher: Searcher, *, country: str | None, region: str | None, year: str | None, kind: str | None,
             policy_area: str | None, language: str | None) -> Filters:
    """The request's filters, spelt as the index spells them (UnknownFilterValueError names the closest)."""
    filters = Filters.from_strings(country=country, region=region, year=year, kind=kind, policy_area=policy_area,
                                   language=language)
    # Matching reads every facet of the index (a few ms, under the reader's lock that every search
    # shares): not for a question without filters.
    return searcher.check_filters(filters) if filters.active else filters


def _question(q: str | None) -> str:
    question = (q or "").strip()
    if not split_words(question):
        raise ApiError("give a question in words: ?q=free+legal+aid")
    return question


def _k(k: str | None, default: int) -> int:
    if k is None or not k.strip():
        return default
    try:
        number = int(k)
    except ValueError:
        raise ApiError(f"k must be a whole number, got '{k}'") from None
    if not 1 <= number <= MAX_RESULTS:
        raise ApiError(f"k must be between 1 and {MAX_RESULTS}, got {number}")
    return number


def index_of(searcher: Searcher) -> dict:
    """``{"generation", "built_at"}``: which build of the index an answer came from (every passage
    of one answer comes from that one generation)."""
    manifest = searcher.manifest
    return {"generation": manifest.generation, "built_at": manifest.built_at}


def search_answer(searcher: Searcher, q: str | None, k: str | None = None, **filter_strings: str | None) -> dict:
    """``{"query", "filters", "index", "results"}``: what ``python -m search --json`` prints, and
    the index generation that answered."""
    question = _question(q)
    filters = _filters(searcher, **filter_strings)
    hits = searcher.search(question, _k(k, DEFAULT_RESULTS), filters)
    return {"query": question, "filters": filters.to_query(), "index": index_of(searcher),
            "results": [h.to_dict() for h in hits]}


def compare_answer(searcher: Searcher, q: str | None, k: str | None = None, **filter_strings: str | None) -> dict:
    """``{"query", "filters", "index", "rows"}``: the rows of ``python -m search compare --json``."""
    question = _question(q)
    if filter_strings.get("kind"):
        raise ApiError("compare lists commitments only; type does not apply to it")
    filters = _filters(searcher, **filter_strings)
    rows = compare(searcher, question, filters, limit=_k(k, DEFAULT_COMPARE_ROWS))
    return {"query": question, "filters": filters.to_query(), "index": index_of(searcher),
            "rows": [r.to_dict() for r in rows]}


def _json(answer: dict) -> Response:
    # Returned as it is: FastAPI would otherwise check the answer against the declared type and
    # re-encode it field by field, which costs more than writing it.
    return JSONResponse(answer)


_FILTER_DOCS = {
    "country": "countries, comma-separated (e.g. Albania,North Macedonia)",
    "region": "regions, comma-separated",
    "year": "a year or a range, e.g. 2018-2024",
    "policy_area": 'policy areas, comma-separated (e.g. "Access to Justice")',
    "lang": "language codes, comma-separated (e.g. en,es)",
}


def api_app(searcher: Searcher | LiveSearcher) -> FastAPI:
    """The API's FastAPI app over ``searcher`` (mount it at API_PREFIX; see ``api_route``); each
    answer comes from the newest generation of its index when the request starts."""
    live = LiveSearcher.of(searcher)
    api = FastAPI(title="OGP justice policy search API", version="1",
                  description="Cited passages and comparable commitments from the justice-policy index. "
                              "The same records as `python -m search --json`. See docs/api.md.",
                  docs_url="/docs", openapi_url="/openapi.json", redoc_url=None)

    @api.exception_handler(ApiError)
    @api.exception_handler(IndexerError)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @api.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"error": problems or "malformed request"}, status_code=400)

    # Plain `def` handlers run in the server's thread pool: searches run in parallel (the index is
    # read-only) and never wait behind the page's queued events.
    @api.get("/search", summary="Ranked, cited passages for a question", response_model=dict[str, Any])
    def search(q: str = Query(..., description="the question"),
               k: str | None = Query(None, description=f"number of results, 1-{MAX_RESULTS} (default "
                                                       f"{DEFAULT_RESULTS})"),
               country: str | None = Query(None, description=_FILTER_DOCS["country"]),
               region: str | None = Query(None, description=_FILTER_DOCS["region"]),
               year: str | None = Query(None, description=_FILTER_DOCS["year"]),
               type: str | None = Query(None, description="report, guide, commitment or text (comma-separated)"),
               policy_area: str | None = Query(None, description=_FILTER_DOCS["policy_area"]),
               lang: str | None = Query(None, description=_FILTER_DOCS["lang"])) -> Response:
        with live.use() as current:
            answer = search_answer(current, q, k, country=country, region=region, year=year, kind=type,
                                   policy_area=policy_area, language=lang)
        return _json(answer)

    @api.get("/compare", summary="Comparable commitments, one row each, grouped by country",
             response_model=dict[str, Any])
    def compare_rows(q: str = Query(..., description="the question"),
                     k: str | None = Query(None, description=f"most rows, 1-{MAX_RESULTS} (default "
                                                             f"{DEFAULT_COMPARE_ROWS})"),
                     country: str | None = Query(None, description=_FILTER_DOCS["country"]),
                     region: str | None = Query(None, description=_FILTER_DOCS["region"]),
                     year: str | None = Query(None, description=_FILTER_DOCS["year"]),
                     policy_area: str | None = Query(None, description=_FILTER_DOCS["policy_area"]),
                     lang: str | None = Query(None, description=_FILTER_DOCS["lang"]),
                     type: str | None = Query(None, include_in_schema=False)) -> Response:
        # `type` is read only to refuse it, as the CLI does: silently ignoring it would mislead.
        with live.use() as current:
            answer = compare_answer(current, q, k, country=country, region=region, year=year, kind=type,
                                    policy_area=policy_area, language=lang)
        return _json(answer)

    return api


class _BehindLogin:
    """The API, answered only for a request that may use the app (Gradio's login, when it has one).

    Checked here, before the mounted app takes the request, because only here does the request
    still belong to Gradio's server app, which holds the login state."""

    def __init__(self, api: ASGIApp) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not await logged_in(Request(scope)):
            refusal = {"error": "log in to the app first (POST /login with username and password)"}
            await JSONResponse(refusal, status_code=401)(scope, receive, send)
            return
        await self.api(scope, receive, send)


def api_route(searcher: Searcher | LiveSearcher) -> Mount:
    """The API mounted at ``/api`` (add it to the server app's routes, as the corpus route is)."""
    return Mount(API_PREFIX, app=_BehindLogin(api_app(searcher)), name="api")
