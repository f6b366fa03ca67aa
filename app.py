"""The web app: ask the justice-policy index a question and read cited passages.

``python app.py`` serves it on http://127.0.0.1:7860. The app only parses what the
reader enters, calls the library (``search``) and renders; document text is always shown
as text (HTML-escaped), never as markup.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

EXAMPLES = """examples:
  python app.py                                  serve ./index on http://127.0.0.1:7860
  python app.py --index /data/index --corpus /data/corpus --port 8080
  python app.py --host 0.0.0.0 --auth editor:s3cret   share on the network, behind a login
  JUSTICE_SEARCH_AUTH=editor:s3cret python app.py --host 0.0.0.0

A search can be shared by its address, e.g.
  http://127.0.0.1:7860/?q=free+legal+aid&type=commitment&country=North+Macedonia&year=2016-2024
(parameters: q, k, country, region, year, type, policy_area, lang; lists are comma-separated)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Serve the justice-policy search app: cited passages, comparable commitments, "
                    "an evidence basket exported as a briefing note.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--index", type=Path, help="index folder (default: index, or the settings file)")
    parser.add_argument("--corpus", type=Path, help="corpus folder the index was built from (default: corpus)")
    parser.add_argument("--config", type=Path, help="TOML settings file (default: ./justice-search.toml if present)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--auth", metavar="USER:PASSWORD",
                        help="require this login (or set JUSTICE_SEARCH_AUTH=user:password, which keeps the "
                             "password out of the process list)")
    return parser


def _load_searcher(args: argparse.Namespace):
    """(settings, a warmed-up Searcher) for the parsed command line; IndexerError if the index is unusable."""
    from indexer.settings import load_settings
    from search import Searcher

    settings = load_settings(args.config, index_dir=args.index, corpus_dir=args.corpus)
    searcher = Searcher(settings.index_dir, settings)
    if searcher.update_hint:
        print(searcher.update_hint, flush=True)
    print(f"Loading the model {searcher.manifest.model} ...", flush=True)
    searcher.warm_up()
    return settings, searcher


# Run as a program, the app starts loading the index and the model before it imports Gradio (about
# 2.3 s with the import hook below, 4.5 s without), so the two overlap. Bad arguments and --help exit
# here, before Gradio.
_PRELOADED = None
if __name__ == "__main__":
    from concurrent.futures import ThreadPoolExecutor

    _PRELOADED = ThreadPoolExecutor(1, thread_name_prefix="preload").submit(_load_searcher, _parser().parse_args())

# The tool runs offline and a reformer's questions are nobody else's business: no usage analytics
# (Gradio would otherwise try to send them), unless the person running it opts in.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


class _SkipGradioStubWriting:
    """Import hook: Gradio's component metaclass regenerates each component's ``.pyi`` type stub
    on import (reads the class's source, parses it, renders the stub and compares it with the
    installed file), a job for Gradio's own developers that took half of ``import gradio`` here:
    4.5 s against 2.3 s without it (median of three, 2 cores). The hook lets that one module load
    as usual and then replaces its stub writer with a no-op; it also keeps a running app from
    writing into site-packages. If a Gradio release renames the writer, nothing changes but the
    start-up time."""

    MODULE = "gradio.component_meta"

    def find_spec(self, name, path=None, target=None):
        if name != self.MODULE:
            return None
        import importlib.util

        sys.meta_path.remove(self)  # one use; also keeps find_spec below from finding this hook
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module) -> None:
            load(module)
            if callable(getattr(module, "create_or_modify_pyi", None)):
                module.create_or_modify_pyi = lambda *args, **kwargs: None

        loader.exec_module = exec_module
        return spec


if _SkipGradioStubWriting.MODULE not in sys.modules:
    sys.meta_path.insert(0, _SkipGradioStubWriting())
import gradio as gr  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import FileResponse, PlainTextResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from indexer.errors import IndexerError  # noqa: E402
from indexer.records import citation_label  # noqa: E402
from search import Filters, Hit, Searcher, compare, extractive_summary, parse_year_range  # noqa: E402
from search.filters import LANGUAGE_NAMES, match_known  # noqa: E402
from search.briefing import Pin, briefing_docx, briefing_markdown, commitments_csv, safe_url  # noqa: E402

__all__ = ["build_app", "main", "render_card", "render_results", "render_summary", "resolve_corpus_file"]

APP_TITLE = "OGP justice policy search"
CORPUS_ROUTE = "corpus"  # files are served at /corpus/<source>
DEFAULT_RESULTS = 10
MAX_RESULTS = 30
COMPARE_LIMIT = 20
NO_ANSWER = "No passage answers this closely; try other words or fewer filters."
KIND_LABELS = {"report": "Report (PDF page)", "guide": "Guide section", "commitment": "OGP commitment",
               "text": "Text"}
#: URL parameters of a shared search: filter field -> accepted names (the first is written).
URL_PARAMS = (("country", ("country",)), ("region", ("region",)), ("kind", ("type", "kind")),
              ("policy_area", ("policy_area", "policy-area")), ("language", ("lang", "language")))
COMPARE_HEADERS = ["Country", "Commitment", "Year", "Title", "Lead institution", "Policy areas", "IRM impact",
                   "IRM completion", "Link"]


CSS = """
/* Secondary text (details, counts, "also in"): Gradio's own subdued grey is about 1.9:1 on white,
   below the 4.5:1 that WCAG asks of small text; these greys give about 7:1 in either mode. */
:root { --jx-subdued: #4b5563; }
.dark { --jx-subdued: #c7c9d1; }
.jx-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px;
          margin: 0 0 12px 0; background: var(--background-fill-primary); }
.jx-hit header { display: flex; gap: 10px; align-items: baseline; }
.jx-rank { font-weight: 700; min-width: 1.6em; color: var(--jx-subdued); }
.jx-cite { font-weight: 600; }
.jx-meta { font-size: 0.85em; color: var(--jx-subdued); margin: 4px 0 6px 0; }
.jx-passage { white-space: pre-wrap; margin: 6px 0; padding: 6px 10px;
              border-left: 3px solid var(--color-accent); }
.jx-passage mark, .jx-doc mark { background: #fff2a8; color: inherit; padding: 0 1px; }
.jx-links { display: flex; gap: 14px; align-items: center; }
.jx-pin-btn { border: 1px solid var(--button-secondary-border-color); border-radius: 6px; padding: 2px 10px;
              background: var(--button-secondary-background-fill); cursor: pointer; font-size: 0.9em; }
.jx-pin-btn:disabled { cursor: default; opacity: 0.65; }
.jx-also { font-size: 0.85em; color: var(--jx-subdued); }
.jx-source summary { cursor: pointer; font-size: 0.9em; margin-top: 6px; }
.jx-doc { white-space: pre-wrap; font-size: 0.9em; max-height: 420px; overflow: auto; padding: 8px;
          background: var(--background-fill-secondary); border-radius: 6px; }
.jx-doc .jx-here { background: #e6f0ff; }
.jx-answer { border: 1px solid var(--color-accent); border-radius: 8px; padding: 10px 14px; margin-bottom: 12px; }
.jx-answer.jx-none { border-color: var(--border-color-primary); color: var(--jx-subdued); }
.jx-answer ol, .jx-basket ol { margin: 4px 0 0 1.2em; }
.jx-answer li, .jx-basket li { margin-bottom: 6px; }
.jx-count { color: var(--jx-subdued); font-size: 0.9em; margin-bottom: 8px; }
.jx-notice { color: #a15c00; }
/* On a phone the comparable-commitments table keeps readable columns and scrolls sideways,
   instead of squeezing nine columns into 320 px (one letter a line). */
@media (max-width: 720px) { #jx-tab-compare { overflow-x: auto; } #jx-compare { min-width: 760px !important; } }
.jx-status { display: flex; flex-wrap: wrap; gap: 40px; }
.jx-status h3 { margin: 8px 0 6px 0; }
.jx-status table { border-collapse: collapse; margin-bottom: 12px; }
.jx-status td, .jx-status th { border: 1px solid var(--border-color-primary); padding: 3px 8px; text-align: left; }
"""

# Each result card has a "Pin" button; one listener on the results container sends its number.
PIN_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.jx-pin-btn');
  if (!button || button.disabled) return;
  button.disabled = true;
  button.textContent = 'Pinned \u2713';
  trigger('click', {rank: Number(button.dataset.rank)});
});
"""

# A citation number in the answer scrolls to its result card. A plain "#result-2" link would not:
# Gradio's <base href> turns it into a jump to the app's front page, losing the search and basket.
CITATION_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.jx-ref');
  if (!link) return;
  event.preventDefault();
  const card = document.getElementById(link.getAttribute('href').slice(1));
  if (card) { card.scrollIntoView({behavior: 'smooth', block: 'start'}); card.focus({preventScroll: true}); }
});
"""

# After a search, put the question and filters in the page address (no reload) so it can be shared;
# other parameters (e.g. Gradio's __theme) are kept.
UPDATE_URL_JS = """
(qs) => {
  if (!qs) return [];
  const url = new URL(window.location.href);
  const keep = new URLSearchParams(url.search);
  for (const key of %s) keep.delete(key);
  const next = qs === "q=" ? new URLSearchParams() : new URLSearchParams(qs);
  for (const [key, value] of keep) next.append(key, value);
  url.search = next.toString();
  url.hash = "";
  window.history.replaceState(window.history.state, "", url.toString());
  return [];
}
""".replace("%s", json.dumps(["q", "k", "year", *(key for _, keys in URL_PARAMS for key in keys)]))


# -- serving corpus files -------------------------------------------------------------------

class CorpusPathRefused(Exception):
    """The requested path points outside the corpus folder (or is otherwise not allowed)."""


def resolve_corpus_file(corpus_dir: Path, relative: str, allowed: set[str] | None = None) -> Path | None:
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


async def _logged_in(request: Request) -> bool:
    """Whether the request may read corpus files: always without --auth, else with Gradio's login cookie."""
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


def corpus_route(corpus_dir: Path, allowed: set[str] | None) -> Route:
    """A route serving indexed corpus files, and nothing outside the corpus folder."""

    async def serve(request: Request) -> Response:
        if not await _logged_in(request):
            return PlainTextResponse("Log in to the app first.", status_code=401)
        relative = request.path_params["path"]
        try:
            path = resolve_corpus_file(corpus_dir, relative, allowed)
        except CorpusPathRefused:
            return PlainTextResponse("Only files inside the corpus folder are served.", status_code=403)
        if path is None:
            return PlainTextResponse("No such file in the corpus.", status_code=404)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300",
                   "Referrer-Policy": "no-referrer"}
        if path.suffix.lower() == ".pdf":
            return FileResponse(path, media_type="application/pdf", headers=headers,
                                content_disposition_type="inline", filename=path.name)
        # Guides (Markdown, HTML) and exports are shown as plain text, never run as pages of this site.
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        media = "text/csv; charset=utf-8" if path.suffix.lower() == ".csv" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers=headers, content_disposition_type="inline",
                            filename=path.name)

    return Route(f"/{CORPUS_ROUTE}/{{path:path}}", serve, methods=["GET", "HEAD"], name="corpus_file")


@contextlib.contextmanager
def _server_app_left_to_launch():
    """Gradio (6.x) builds its FastAPI server app when a Blocks is created (through ``queue()``),
    again when its ``with`` block closes, and once more in ``launch()``, the one that serves;
    the first two are thrown away. Each costs about 0.25 s on 2 cores (some 80 routes, every
    signature analysed by FastAPI), so the app skips those two: half a second of its cold start."""
    from gradio.routes import App

    build = App.__dict__["create_app"]
    App.create_app = staticmethod(lambda *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = build


class SearchApp(gr.Blocks):
    """gr.Blocks that also serves the corpus files (and the app's CSS) from ``launch()``, and
    builds its server app once, there."""

    extra_routes: Sequence[Route] = ()
    export_root: Path | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _server_app_left_to_launch():
            super().__init__(*args, **kwargs)

    def __exit__(self, *args: Any):
        with _server_app_left_to_launch():
            return super().__exit__(*args)

    def launch(self, *args: Any, **kwargs: Any):
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["routes"] = [*self.extra_routes, *(app_kwargs.get("routes") or [])]
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("footer_links", ["settings"])
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)

    def close(self, *args: Any, **kwargs: Any) -> None:
        super().close(*args, **kwargs)
        if getattr(self, "export_root", None):
            shutil.rmtree(self.export_root, ignore_errors=True)


# -- rendering ------------------------------------------------------------------------------

def _e(value: Any) -> str:
    """HTML-escape any value (document text, metadata) for text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def source_href(hit: Hit, corpus_prefix: str = CORPUS_ROUTE) -> tuple[str | None, str]:
    """(href, label) of the link that opens a hit's source: the official URL when there is a safe
    http(s) one, else the corpus file served by the app (at the page, for PDFs)."""
    p = hit.provenance
    official = safe_url(hit.link)
    if official:
        if p.kind == "commitment":
            return official, "Official commitment page"
        if p.kind == "report" and p.page:
            return official, f"Open PDF at p. {p.page_label or p.page}"
        return official, "Open source"
    href = f"{corpus_prefix}/{quote(p.source, safe='/')}"
    if p.kind == "report" and p.page:
        return f"{href}#page={p.page}", f"Open PDF at p. {p.page_label or p.page}"
    return href, "Open file"


_SOFT_BREAK = re.compile(r"(?<!\n)\n(?!\n)")


def _passage_html(text: str, start: int, end: int, kind: str = "") -> str:
    """Escaped text with [start:end] in <mark>; a PDF's hard line wraps shown as spaces."""
    if kind == "report":
        text = _SOFT_BREAK.sub(" ", text)  # same length: the offsets still hold
    if not (0 <= start <= end <= len(text)) or start == end:
        return _e(text)
    return f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"


def render_card(hit: Hit, document_text: str | None = None, pinned: bool = False) -> str:
    """One result as HTML: citation, passage with its best sentence marked, source link, pin button
    and the whole page / section / commitment around the passage."""
    p = hit.provenance
    start, end = hit.highlight
    meta = [KIND_LABELS.get(p.kind, p.kind)]
    if p.country:
        meta.append(p.country)
    if p.region:
        meta.append(p.region)
    if p.year:
        meta.append(str(p.year))
    meta.append(LANGUAGE_NAMES.get(hit.language, hit.language))
    if p.policy_areas:
        meta.append("Policy areas: " + ", ".join(p.policy_areas))
    facts = p.metadata or {}
    if facts.get("lead_institution"):
        meta.append(f"Lead: {facts['lead_institution']}")
    if facts.get("irm_potential_impact"):
        meta.append(f"IRM impact: {facts['irm_potential_impact']}")
    completion = facts.get("irm_completion_end_of_term") or facts.get("irm_completion_midterm")
    if completion:
        meta.append(f"IRM completion: {completion}")
    href, label = source_href(hit)
    parts = [
        f'<article class="jx-hit" id="result-{hit.rank}" tabindex="-1" data-rank="{hit.rank}" data-kind="{_e(p.kind)}" '
        f'data-country="{_e(p.country or "")}" data-year="{_e(p.year or "")}" data-source="{_e(p.source)}" '
        f'data-page="{_e(p.page or "")}" data-language="{_e(hit.language)}">',
        f'<header><span class="jx-rank">{hit.rank}</span><span class="jx-cite">{_e(hit.citation)}</span></header>',
        f'<div class="jx-meta">{" · ".join(_e(m) for m in meta)}</div>',
        f'<blockquote class="jx-passage">{_passage_html(hit.text, start, end, p.kind)}</blockquote>',
    ]
    links = [f'<button type="button" class="jx-pin-btn" data-rank="{hit.rank}"{" disabled" if pinned else ""}>'
             f'{"Pinned ✓" if pinned else "Pin to basket"}</button>']
    if href:
        links.append(f'<a class="jx-source-link" href="{_e(href)}" target="_blank" rel="noopener noreferrer">'
                     f'{_e(label)}</a>')
    if links:
        parts.append(f'<div class="jx-links">{"".join(links)}</div>')
    if hit.also_in:
        parts.append('<div class="jx-also">Also in: ' + "; ".join(_e(citation_label(a)) for a in hit.also_in)
                     + "</div>")
    if document_text:
        what = {"report": "the whole page", "guide": "the whole section", "commitment": "the whole commitment"}
        if document_text[hit.char_start:hit.char_end] == hit.text:
            body = (_e(document_text[:hit.char_start]) + '<span class="jx-here">'
                    + _passage_html(hit.text, start, end) + "</span>" + _e(document_text[hit.char_end:]))
        else:
            body = _e(document_text)
        parts.append(f'<details class="jx-source"><summary>Show source: {what.get(p.kind, "the whole document")}'
                     f'</summary><div class="jx-doc">{body}</div></details>')
    parts.append("</article>")
    return "\n".join(parts)


def describe_filters(filters: Filters | None) -> str:
    """'Document type: OGP commitment · Country: North Macedonia · Years: 2016-2024' ('' without filters)."""
    if filters is None or not filters.active:
        return ""
    parts = []
    for label, values in (("Country", filters.country), ("Region", filters.region),
                          ("Document type", [KIND_LABELS.get(k, k) for k in filters.kind]),
                          ("Policy area", filters.policy_area),
                          ("Language", [LANGUAGE_NAMES.get(v, v) for v in filters.language])):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if filters.year_from is not None or filters.year_to is not None:
        parts.append(f"Years: {filters.year_from or '…'}-{filters.year_to or '…'} (documents without a year, "
                     f"such as most reports and guides, are left out)")
    return " · ".join(parts)


def render_results(hits: Sequence[Hit], documents: dict[int, str] | None = None, notice: str = "",
                   answered: bool = True, pinned: set[int] | None = None, filters: Filters | None = None) -> str:
    """The result cards; ``documents`` maps document ids to their whole text (for "show source"),
    ``pinned`` holds the chunk ids already in the evidence basket."""
    documents = documents or {}
    pinned = pinned or set()
    head = f'<div class="jx-count">{len(hits)} passage{"s" if len(hits) != 1 else ""}'
    if describe_filters(filters):
        head += f" · only {_e(describe_filters(filters))}"
    head += " (none answers the question closely: read them as leads, not answers)" if hits and not answered else ""
    head += "</div>"
    if notice:
        head = f'<div class="jx-notice">{_e(notice)}</div>' + head
    if not hits:
        return head
    return head + "\n".join(render_card(h, documents.get(h.document_id), h.chunk_id in pinned) for h in hits)


def render_summary(question: str, hits: Sequence[Hit]) -> str:
    """The answer: verbatim sentences from the top passages, each with its result number; or a plain
    statement that nothing answers closely."""
    sentences = extractive_summary(question, [(h.text, h.language) for h in hits]) if hits else []
    if not sentences:
        return f'<div class="jx-answer jx-none" id="jx-answer"><p>{_e(NO_ANSWER)}</p></div>'
    items = "".join(
        f'<li>{_e(" ".join(s.text.split()))} <a class="jx-ref" href="#result-{s.citation}">[{s.citation}]</a></li>'
        for s in sentences
    )
    return ('<div class="jx-answer" id="jx-answer"><strong>What the passages say</strong>'
            f'<ul>{items}</ul></div>')


def render_basket(pins: Sequence[dict]) -> str:
    if not pins:
        return ('<div class="jx-basket"><p>The basket is empty. On the Search tab, press '
                '"Pin to basket" on the passages you want to quote.</p></div>')
    items = []
    for pin in pins:
        p = Pin.from_dict(pin)
        text = " ".join(p.text.split())
        short = text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"
        items.append(f'<li class="jx-pin"><span class="jx-cite">{_e(p.citation)}</span>'
                     f'<blockquote class="jx-passage">{_e(short)}</blockquote></li>')
    return f'<div class="jx-basket"><ol>{"".join(items)}</ol></div>'


def render_status(searcher: Searcher) -> str:
    m = searcher.manifest
    db = searcher.reader.db
    with _db_lock(searcher):
        by_country = db.execute(
            "SELECT COALESCE(country, '(none)'), COUNT(*) FROM documents WHERE kind = 'commitment' "
            "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        by_kind_files = dict(db.execute("SELECT kind, COUNT(*) FROM files GROUP BY kind").fetchall())
        failures = db.execute("SELECT source, reason FROM failures ORDER BY source").fetchall()
        languages = db.execute("SELECT language, COUNT(*) FROM chunks GROUP BY 1 ORDER BY 2 DESC").fetchall()

    def table(headers: Sequence[str] | None, rows: Sequence[Sequence[Any]]) -> str:
        head = "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
        body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table>{head}<tbody>{body}</tbody></table>"

    overview = table(None, [
        ("Last build", m.built_at), ("Model", f"{m.model} ({m.dimension} dimensions)"), ("Files", m.files),
        ("Citable documents (pages, sections, commitments)", m.documents), ("Passages (chunks)", m.chunks),
        ("Index generation", m.generation),
    ])
    kinds = table(["Document type", "Files", "Documents"],
                  [(KIND_LABELS.get(k, k), by_kind_files.get(k, 0), n) for k, n in sorted(m.kinds.items())])
    countries = table(["Country or member", "Commitments"], by_country)
    langs = table(["Language", "Passages"], [(LANGUAGE_NAMES.get(c, c), n) for c, n in languages])
    out = ['<div class="jx-status" id="jx-status"><div class="jx-col">', "<h3>Index</h3>", overview,
           "<h3>Documents by type</h3>", kinds, "<h3>Passages by language</h3>", langs]
    if failures:
        out += ["<h3>Files the last build could not read</h3>", table(["File", "Reason"], failures)]
    out += ['</div><div class="jx-col">', "<h3>Commitments by country</h3>", countries, "</div></div>"]
    return "".join(out)


# -- the app --------------------------------------------------------------------------------

def _db_lock(searcher: Searcher):
    """The Searcher's lock around its shared SQLite connection (it serves several threads)."""
    return getattr(searcher, "_lock", None) or contextlib.nullcontext()


def _facets(searcher: Searcher) -> dict[str, list]:
    facets = searcher.facets()
    with _db_lock(searcher):
        facets["sources"] = [r[0] for r in searcher.reader.db.execute("SELECT source FROM files")]
    return facets


def _param_list(params, name: str, choices: Sequence[str]) -> tuple[list[str], list[str]]:
    """A list-valued URL parameter: repeated and/or comma-separated; a whole value naming a choice wins."""
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)] if params.get(name) else []
    values: list[str] = []
    known = {str(c).lower() for c in choices}
    for item in raw:
        if item is None:
            continue
        values.extend([item] if item.strip().lower() in known else item.split(","))
    matched, unknown = match_known(values, choices)
    return matched, [value for value, _ in unknown]


def share_query(question: str, k: int, countries, regions, year_from, year_to, kinds, areas, langs) -> str:
    """The URL query string that reproduces a search."""
    pairs: list[tuple[str, str]] = [("q", question.strip())]
    if int(k or DEFAULT_RESULTS) != DEFAULT_RESULTS:
        pairs.append(("k", str(int(k))))
    for name, values in (("country", countries), ("region", regions), ("type", kinds), ("policy_area", areas),
                         ("lang", langs)):
        values = list(values or [])
        if any("," in v for v in values):
            pairs += [(name, v) for v in values]
        elif values:
            pairs.append((name, ",".join(values)))
    if year_from or year_to:
        pairs.append(("year", f"{year_from or ''}-{year_to or ''}"))
    return urlencode(pairs)


def _fresh_folder(root: Path, keep_seconds: int = 24 * 3600) -> Path:
    """A new folder under ``root`` for one export; exports older than ``keep_seconds`` are removed."""
    now = time.time()
    for old in root.iterdir():
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > keep_seconds:
                shutil.rmtree(old, ignore_errors=True)
    folder = root / uuid.uuid4().hex
    folder.mkdir()
    return folder


def build_app(searcher: Searcher, corpus_dir: Path | str, *, title: str = APP_TITLE) -> SearchApp:
    """The Gradio app over one Searcher; ``corpus_dir`` is the folder the index was built from
    (its indexed files are served at ``/corpus/<source>`` so PDF results open at their page)."""
    corpus_dir = Path(corpus_dir)
    facets = _facets(searcher)
    built_at = searcher.manifest.built_at
    status_html = render_status(searcher)
    export_root = Path(tempfile.mkdtemp(prefix="justice-search-exports-"))
    year_choices = [("any", "")] + [(str(y), str(y)) for y in facets["year"]]
    kind_choices = [(KIND_LABELS.get(k, k), k) for k in facets["kind"]]
    lang_choices = [(f"{LANGUAGE_NAMES.get(c, c)} ({c})", c) for c in facets["language"]]

    def filters_from(countries, regions, year_from, year_to, kinds, areas, langs) -> Filters:
        def year(value) -> int | None:
            value = str(value or "").strip()
            if not value:
                return None
            if not re.fullmatch(r"\d{4}", value):
                raise IndexerError(f"'{value}' is not a year.")
            return int(value)

        first, last = year(year_from), year(year_to)
        if first and last and first > last:
            raise IndexerError(f"The year range {first}-{last} ends before it starts.")
        return Filters(country=tuple(countries or ()), region=tuple(regions or ()), year_from=first, year_to=last,
                       kind=tuple(kinds or ()), policy_area=tuple(areas or ()), language=tuple(langs or ()))

    def compare_table(question: str, filters: Filters):
        rows = compare(searcher, question, filters, limit=COMPARE_LIMIT) if question.strip() else []
        table = []
        for r in rows:
            url = safe_url(r.url)
            link = f"[official page]({url.replace('(', '%28').replace(')', '%29')})" if url else ""
            table.append([r.country or "", r.commitment_id, r.year if r.year is not None else None, r.title,
                          r.lead_institution or "", ", ".join(r.policy_areas), r.irm_potential_impact or "",
                          r.irm_completion or "", link])
        csv_path = None
        if rows:
            folder = _fresh_folder(export_root)
            csv_path = str(commitments_csv(rows, folder / "comparable-commitments.csv"))
        note = (f"{len(rows)} commitment{'s' if len(rows) != 1 else ''} like “{question.strip()}”, "
                "grouped by country "
                "(the document-type filter does not apply here). Sort with the ⋮ menu of a column header."
                if question.strip() else "Ask a question on the Search tab first.")
        if question.strip() and not rows:
            note = f"No commitment like “{question.strip()}” matches; try other words or fewer filters."
        return (gr.update(value=table), gr.update(value=csv_path, interactive=bool(csv_path)),
                f'<p class="jx-count">{_e(note)}</p>')

    def run_search(question, k, countries, regions, year_from, year_to, kinds, areas, langs, basket=None,
                   notice=""):
        """-> answer, result cards, results (for pinning), share query, compare table, CSV, compare note."""
        question = (question or "").strip()
        k = max(1, min(MAX_RESULTS, int(k or DEFAULT_RESULTS)))
        # "q=" for an empty search: the address loses the previous question (a reload must not bring it back)
        qs = share_query(question, k, countries, regions, year_from, year_to, kinds, areas, langs) if question else "q="
        if not question:
            empty = '<div class="jx-answer jx-none">Type a question and press Search.</div>'
            return (empty, "", [], qs, *compare_table("", Filters()))
        try:
            filters = filters_from(countries, regions, year_from, year_to, kinds, areas, langs)
            hits = searcher.search(question, k=k, filters=filters)
        except IndexerError as exc:
            message = f'<div class="jx-answer jx-none">{_e(exc)}</div>'
            return (message, "", [], qs, *compare_table("", Filters()))
        documents = {h.document_id: searcher.document_text(h.document_id) for h in hits}
        summary = render_summary(question, hits)
        pinned = {p.get("chunk_id") for p in (basket or [])}
        results = render_results(hits, documents, notice, answered="jx-none" not in summary, pinned=pinned,
                                 filters=filters)
        pins = [Pin.from_hit(h).to_dict() for h in hits]
        return (summary, results, pins, qs, *compare_table(question, filters))

    def on_load(request: gr.Request):
        """Run the search named by the page address (?q=...&type=...), so a search can be shared."""
        params = request.query_params if request is not None else {}
        question = (params.get("q") or "").strip()
        if not question:
            return [gr.skip()] * (len(search_inputs) + len(search_outputs) + 1)
        unknown: list[str] = []
        fields: dict[str, list[str]] = {}
        for name, keys in URL_PARAMS:
            key = next((k for k in keys if params.get(k)), keys[0])
            fields[name], bad = _param_list(params, key, facets[name])
            unknown += [f"{key}={b}" for b in bad]
        year_from = year_to = ""
        if params.get("year"):
            try:
                first, last = parse_year_range(params.get("year"))
                year_from = "" if first is None else str(first)
                year_to = "" if last is None else str(last)
            except IndexerError:
                unknown.append(f"year={params.get('year')}")
        try:
            k = max(1, min(MAX_RESULTS, int(params.get("k") or DEFAULT_RESULTS)))
        except ValueError:
            k = DEFAULT_RESULTS
        notice = f"Ignored what this index does not know: {', '.join(unknown)}." if unknown else ""
        values = [question, k, fields["country"], fields["region"], year_from, year_to, fields["kind"],
                  fields["policy_area"], fields["language"]]
        filtered = any(values[2:]) or k != DEFAULT_RESULTS
        return [*values, *run_search(*values, notice=notice), gr.update(open=True) if filtered else gr.skip()]

    # -- evidence basket --
    def basket_outputs(basket: list[dict], title: str, selected: int | None = None):
        choices = [(f"{i + 1}. {Pin.from_dict(p).citation[:90]}", i) for i, p in enumerate(basket)]
        docx_path = md_path = None
        if basket:
            folder = _fresh_folder(export_root)
            docx_path = str(briefing_docx(basket, title, built_at, folder / "briefing-note.docx"))
            md_path = folder / "briefing-note.md"
            md_path.write_text(briefing_markdown(basket, title, built_at), encoding="utf-8")
            md_path = str(md_path)
        if selected is not None and not (0 <= selected < len(basket)):
            selected = len(basket) - 1 if basket else None
        return (basket, render_basket(basket),
                gr.update(choices=choices, value=selected),
                gr.update(value=docx_path, interactive=bool(docx_path)),
                gr.update(value=md_path, interactive=bool(md_path)),
                gr.update(label=f"Evidence basket ({len(basket)})"))

    def pin(results, basket, title, evt: gr.EventData):
        """A card's "Pin" button: add that result to the basket (once)."""
        basket = list(basket or [])
        try:
            rank = int(getattr(evt, "_data", {}).get("rank"))
        except (TypeError, ValueError):
            return basket_outputs(basket, title)
        if 1 <= rank <= len(results or []):
            item = results[rank - 1]
            if all((p.get("chunk_id"), p.get("text")) != (item.get("chunk_id"), item.get("text")) for p in basket):
                basket.append(dict(item))
        return basket_outputs(basket, title, len(basket) - 1 if basket else None)

    def move(basket, index, delta, title):
        basket = list(basket or [])
        if index is None or not (0 <= int(index) < len(basket)):
            return basket_outputs(basket, title)
        index = int(index)
        target = index + delta
        if 0 <= target < len(basket):
            basket[index], basket[target] = basket[target], basket[index]
            index = target
        return basket_outputs(basket, title, index)

    def remove(basket, index, title):
        basket = list(basket or [])
        if index is not None and 0 <= int(index) < len(basket):
            del basket[int(index)]
            return basket_outputs(basket, title, min(int(index), len(basket) - 1) if basket else None)
        return basket_outputs(basket, title)

    with SearchApp(title=title, delete_cache=(3600, 24 * 3600)) as demo:
        demo.extra_routes = [corpus_route(corpus_dir, set(facets["sources"]))]
        demo.export_root = export_root  # briefing notes and CSVs written for downloads; removed on close()
        gr.Markdown(f"## {title}\nAsk a question about justice policy; every passage comes with its citation.")
        with gr.Row(equal_height=True):
            question = gr.Textbox(label="Question", placeholder="e.g. Which countries expanded free legal aid?",
                                  scale=6, lines=1, max_lines=3, elem_id="jx-question", autofocus=True)
            search_btn = gr.Button("Search", variant="primary", scale=1, elem_id="jx-search")
        with gr.Accordion("Filters and number of results", open=False, elem_id="jx-filters") as filters_box:
            with gr.Row():
                f_country = gr.Dropdown(facets["country"], value=[], multiselect=True, label="Country or member",
                                        elem_id="jx-f-country")
                f_region = gr.Dropdown(facets["region"], value=[], multiselect=True, label="Region",
                                       elem_id="jx-f-region")
                f_kind = gr.Dropdown(kind_choices, value=[], multiselect=True, label="Document type",
                                     elem_id="jx-f-type")
            with gr.Row():
                f_area = gr.Dropdown(facets["policy_area"], value=[], multiselect=True, label="Policy area",
                                     elem_id="jx-f-area")
                f_lang = gr.Dropdown(lang_choices, value=[], multiselect=True, label="Language",
                                     elem_id="jx-f-lang")
                f_year_from = gr.Dropdown(year_choices, value="", label="From year", allow_custom_value=True,
                                          elem_id="jx-f-year-from")
                f_year_to = gr.Dropdown(year_choices, value="", label="To year", allow_custom_value=True,
                                        elem_id="jx-f-year-to")
                f_k = gr.Slider(1, MAX_RESULTS, value=DEFAULT_RESULTS, step=1, label="Number of results",
                                elem_id="jx-f-k")
        share_qs = gr.Textbox(visible="hidden", elem_id="jx-share-query", label="Shareable query")
        results_state = gr.State([])
        basket_state = gr.State([])

        with gr.Tabs():
            with gr.Tab("Search", id="search", elem_id="jx-tab-search"):
                summary_html = gr.HTML(elem_id="jx-summary", js_on_load=CITATION_JS)
                results_html = gr.HTML(elem_id="jx-results", js_on_load=PIN_JS)
            with gr.Tab("Comparable commitments", id="compare", elem_id="jx-tab-compare"):
                compare_note = gr.HTML('<p class="jx-count">Ask a question on the Search tab first.</p>',
                                       elem_id="jx-compare-note", js_on_load=None)
                compare_df = gr.Dataframe(
                    headers=COMPARE_HEADERS, value=[], interactive=False, wrap=True, elem_id="jx-compare",
                    datatype=["str", "str", "number", "str", "str", "str", "str", "str", "markdown"],
                    column_widths=["10%", "10%", "6%", "20%", "14%", "15%", "9%", "9%", "7%"],
                )
                compare_csv = gr.DownloadButton("Download CSV", value=None, interactive=False,
                                                elem_id="jx-compare-csv")
            with gr.Tab("Evidence basket (0)", id="basket", elem_id="jx-tab-basket") as basket_tab:
                basket_title = gr.Textbox(label="Title of the briefing note", value="Briefing note",
                                          elem_id="jx-basket-title")
                basket_html = gr.HTML(render_basket([]), elem_id="jx-basket", js_on_load=None)
                with gr.Row(equal_height=True):
                    basket_pick = gr.Dropdown([], value=None, label="Pinned passage", scale=4,
                                              elem_id="jx-basket-pick")
                    up_btn = gr.Button("Move up", scale=1, elem_id="jx-up")
                    down_btn = gr.Button("Move down", scale=1, elem_id="jx-down")
                    remove_btn = gr.Button("Remove", variant="stop", scale=1, elem_id="jx-remove")
                with gr.Row():
                    docx_btn = gr.DownloadButton("Download Word (.docx)", value=None, interactive=False,
                                                 variant="primary", elem_id="jx-docx")
                    md_btn = gr.DownloadButton("Download Markdown (.md)", value=None, interactive=False,
                                               elem_id="jx-md")
            with gr.Tab("Index status", id="status", elem_id="jx-tab-status"):
                gr.HTML(status_html, elem_id="jx-status-panel", js_on_load=None)

        search_inputs = [question, f_k, f_country, f_region, f_year_from, f_year_to, f_kind, f_area, f_lang]
        search_outputs = [summary_html, results_html, results_state, share_qs, compare_df, compare_csv, compare_note]
        for trigger in (search_btn.click, question.submit):
            trigger(run_search, [*search_inputs, basket_state], search_outputs, api_name=False,
                    concurrency_limit=4).then(
                None, [share_qs], None, js=UPDATE_URL_JS)
        demo.load(on_load, None, [*search_inputs, *search_outputs, filters_box], api_name=False).then(
            None, [share_qs], None, js=UPDATE_URL_JS)

        def ask(question: str, k: int = 10) -> list[dict]:
            """Ranked, cited passages for a question, as JSON records (the same as `python -m search --json`)."""
            return [hit.to_dict() for hit in searcher.search(str(question), max(1, min(int(k), 50)))]

        # A programmatic endpoint (also what the load benchmark drives); queued like the UI's searches.
        gr.api(ask, api_name="ask", concurrency_limit=4)

        basket_out = [basket_state, basket_html, basket_pick, docx_btn, md_btn, basket_tab]
        results_html.click(pin, [results_state, basket_state, basket_title], basket_out, api_name=False,
                           trigger_mode="multiple")
        up_btn.click(lambda b, i, t: move(b, i, -1, t), [basket_state, basket_pick, basket_title], basket_out,
                     api_name=False)
        down_btn.click(lambda b, i, t: move(b, i, 1, t), [basket_state, basket_pick, basket_title], basket_out,
                       api_name=False)
        remove_btn.click(remove, [basket_state, basket_pick, basket_title], basket_out, api_name=False)
        basket_title.change(lambda b, t, i: basket_outputs(list(b or []), t, i),
                            [basket_state, basket_title, basket_pick], basket_out, api_name=False)
    return demo


# -- command line ---------------------------------------------------------------------------

def _parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like user:password")
    return user, password


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        auth = _parse_auth(args.auth or os.environ.get("JUSTICE_SEARCH_AUTH"))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        # The index loaded while Gradio was imported, when run as a program with these arguments.
        preloaded = _PRELOADED if argv is None else None
        settings, searcher = preloaded.result() if preloaded is not None else _load_searcher(args)
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not Path(settings.corpus_dir).is_dir():
        print(f"warning: corpus folder {settings.corpus_dir} not found; links to corpus files will not open.",
              file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print(f"warning: listening on {args.host} without --auth: anyone who can reach this port can use the app.",
              file=sys.stderr)
    demo = build_app(searcher, settings.corpus_dir)
    demo.launch(server_name=args.host, server_port=args.port, auth=auth, show_error=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
