"""The web app: ask the justice-policy index a question and read cited passages.

``python app.py`` serves it on http://127.0.0.1:7860. This module builds the page and wires its
events; what it shows is rendered by ``webui`` (in English, Spanish or French) from what the
library (``search``) returns. Document text is always shown as text, never as markup.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXAMPLES = """examples:
  python app.py                                  serve ./index on http://127.0.0.1:7860
  python app.py --index /data/index --corpus /data/corpus --port 8080
  python app.py --host 0.0.0.0 --auth editor:s3cret   share on the network, behind a login
  JUSTICE_SEARCH_AUTH=editor:s3cret python app.py --host 0.0.0.0
  python app.py --host 0.0.0.0 --public          share without a login (says what that exposes)

A search can be shared by its address, e.g.
  http://127.0.0.1:7860/?q=free+legal+aid&type=commitment&country=North+Macedonia&year=2016-2024
(parameters: q, k, country, region, year, type, policy_area, lang (document language);
lists are comma-separated; ui=en|es|fr sets the interface language, else the browser's is used)
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
                        help="address to listen on (default 127.0.0.1: this computer only); any other "
                             "needs --auth or --public")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--auth", metavar="USER:PASSWORD",
                        help="require this login (or set JUSTICE_SEARCH_AUTH=user:password, which keeps the "
                             "password out of the process list); 5 wrong tries lock the name for a minute")
    parser.add_argument("--public", action="store_true",
                        help="allow listening beyond this computer without a login")
    return parser


def _refusal(args: argparse.Namespace) -> str | None:
    """Why these arguments must not start a server (a bad --auth, or sharing without a login)."""
    from webui.access import parse_auth, sharing_refusal

    try:
        auth = parse_auth(args.auth or os.environ.get("JUSTICE_SEARCH_AUTH"))
    except ValueError as exc:
        return str(exc)
    return sharing_refusal(args.host, auth is not None, args.public)


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
# here, before Gradio; arguments main() will refuse load nothing.
_PRELOADED = None
if __name__ == "__main__":
    from concurrent.futures import ThreadPoolExecutor

    _ARGS = _parser().parse_args()
    if _refusal(_ARGS) is None:
        _PRELOADED = ThreadPoolExecutor(1, thread_name_prefix="preload").submit(_load_searcher, _ARGS)

# The tool runs offline and a reformer's questions are nobody else's business: no usage analytics
# (Gradio would otherwise try to send them), unless the person running it opts in.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue also summarises its last 10,000 events with pandas after every event, for a
# monitoring page this app does not turn on: every search paid for it, and more the longer the app
# ran. Never summarised here, and a thousand events kept rather than ten thousand.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")


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
if _SkipGradioStubWriting.MODULE not in sys.modules:
    sys.meta_path.insert(0, _SkipGradioStubWriting())
import gradio as gr  # noqa: E402
from starlette.routing import Route  # noqa: E402

from indexer.errors import IndexerError  # noqa: E402
from search import LiveSearcher, Searcher  # noqa: E402
from webui import i18n, render  # noqa: E402
from webui.access import LoginThrottle, parse_auth, public_notice  # noqa: E402
from webui.assets import (CITATION_JS, CSS, PAGE_TITLE_JS, PIN_JS, UI_ON_OPEN_JS, UI_URL_JS,  # noqa: E402
                           UPDATE_URL_JS, search_language_js)
from webui.api import api_route  # noqa: E402
from webui.files import corpus_route  # noqa: E402
from webui.pageview import page_view_route  # noqa: E402
from webui.source import SOURCE_CSS, SOURCE_PAGE_JS, source_route  # noqa: E402
from webui.translation import TRANSLATE_JS, TRANSLATION_CSS, translation_route  # noqa: E402
from webui.page import BASKET_OUT, COMPARE_OUT, FORM, SEARCH_OUT, PageHandlers  # noqa: E402
from webui.page import filter_choices as _choices  # noqa: E402
from webui.params import DEFAULT_RESULTS, MAX_RESULTS  # noqa: E402
from webui.watches import WATCH_LABELS, WATCH_OUT, WatchHandlers  # noqa: E402

__all__ = ["build_app", "main"]

APP_TITLE = i18n.text("en", "app_title")
SEARCH_CONCURRENCY = 4
# Queue positions are sent to waiting pages every second instead of to every waiting page each time
# an event starts (Gradio's "auto"): with 16 pages waiting that was a dozen messages per search.
QUEUE_STATUS_SECONDS = 1.0
# Every other event keeps Gradio's default of one call at a time: they are short and hold the
# interpreter, so four at once answered no more, and four Word exports at once kept the app's
# memory growing (docs/benchmarks.md).

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
    live: LiveSearcher | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _server_app_left_to_launch():
            super().__init__(*args, **kwargs)

    def __exit__(self, *args: Any):
        with _server_app_left_to_launch():
            return super().__exit__(*args)

    def launch(self, *args: Any, **kwargs: Any):
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["routes"] = [*self.extra_routes, *(app_kwargs.get("routes") or [])]
        kwargs.setdefault("css", CSS + TRANSLATION_CSS + SOURCE_CSS)
        kwargs.setdefault("footer_links", ["settings"])
        kwargs.setdefault("i18n", gr.I18n(**i18n.GRADIO_STRINGS))
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)

    def close(self, *args: Any, **kwargs: Any) -> None:
        super().close(*args, **kwargs)
        if self.live is not None:
            self.live.close()
        if getattr(self, "export_root", None):
            shutil.rmtree(self.export_root, ignore_errors=True)


def _layout(facets: dict[str, list], title: str, status_html: str) -> dict[str, Any]:
    """The page's components (labelled in English until the language is known), by name."""
    ui: dict[str, Any] = {}
    t = lambda key, **kw: i18n.text("en", key, **kw)  # noqa: E731
    with gr.Row(equal_height=True):
        ui["intro"] = gr.Markdown(f"## {title}\n{t('intro')}")
        ui["ui_lang"] = gr.Dropdown([(name, code) for code, name in i18n.LANGUAGES.items()], value="en",
                                    label=t("ui_language"), scale=0, min_width=160, elem_id="jx-ui-lang")
    with gr.Row(equal_height=True):
        ui["question"] = gr.Textbox(label=t("question"), placeholder=t("question_placeholder"), scale=6, lines=1,
                                    max_lines=3, elem_id="jx-question", autofocus=True)
        ui["search_btn"] = gr.Button(t("search"), variant="primary", scale=1, elem_id="jx-search")
    with gr.Accordion(t("filters"), open=False, elem_id="jx-filters") as ui["filters_box"]:
        with gr.Row():
            for name, field, elem in (("f_country", "country", "country"), ("f_region", "region", "region"),
                                      ("f_kind", "kind", "type")):
                ui[name] = gr.Dropdown(_choices("en", facets, field), value=[], multiselect=True, label=t(field),
                                       elem_id=f"jx-f-{elem}")
        with gr.Row():
            for name, field, elem in (("f_area", "policy_area", "area"), ("f_lang", "language", "lang")):
                ui[name] = gr.Dropdown(_choices("en", facets, field), value=[], multiselect=True, label=t(field),
                                       elem_id=f"jx-f-{elem}")
            for name, elem in (("year_from", "jx-f-year-from"), ("year_to", "jx-f-year-to")):
                ui[f"f_{name}"] = gr.Dropdown(_choices("en", facets, "year"), value="", label=t(name),
                                              allow_custom_value=True, elem_id=elem)
            ui["f_k"] = gr.Slider(1, MAX_RESULTS, value=DEFAULT_RESULTS, step=1, label=t("results_k"),
                                  elem_id="jx-f-k")
    with gr.Accordion(t("watches"), open=False, elem_id="jx-watches-box") as ui["watches_box"]:
        ui["watches_html"] = gr.HTML(elem_id="jx-watches", js_on_load=None)
        with gr.Row(equal_height=True):
            ui["watch_pick"] = gr.Dropdown([], value=None, label=t("watch_pick"), scale=4, elem_id="jx-watch-pick")
            ui["watch_show"] = gr.Button(t("watch_show"), scale=1, elem_id="jx-watch-show")
            ui["watch_save"] = gr.Button(t("watch_save"), scale=1, elem_id="jx-watch-save")
    ui["share_qs"] = gr.Textbox(visible="hidden", elem_id="jx-share-query", label="Shareable query")
    ui["page_title"] = gr.Textbox(title, visible="hidden", elem_id="jx-page-title", label="Page title")
    for name, value in (("results", []), ("basket", []), ("query", None), ("compare_done", None), ("tab", "search")):
        ui[f"{name}_state"] = gr.State(value)
    with gr.Tabs(overflow_behavior="wrap"):  # on a phone the tabs wrap onto lines, not into a "..." menu
        with gr.Tab(t("tab_search"), id="search", elem_id="jx-tab-search") as ui["tab_search"]:
            ui["summary"] = gr.HTML(elem_id="jx-summary", js_on_load=CITATION_JS)
            ui["results"] = gr.HTML(elem_id="jx-results", js_on_load=PIN_JS + TRANSLATE_JS + SOURCE_PAGE_JS)
        with gr.Tab(t("tab_compare"), id="compare", elem_id="jx-tab-compare") as ui["tab_compare"]:
            ui["compare_note"] = gr.HTML(render.compare_note("", None), elem_id="jx-compare-note", js_on_load=None)
            ui["compare_df"] = gr.Dataframe(
                headers=t("compare_headers"), value=[], interactive=False, wrap=True, elem_id="jx-compare",
                datatype=["str", "str", "number", "str", "str", "str", "str", "str", "markdown"],
                column_widths=["9%", "10%", "6%", "18%", "13%", "13%", "12%", "11%", "8%"])
            ui["compare_csv"] = gr.DownloadButton(t("download_csv"), value=None, interactive=False,
                                                  elem_id="jx-compare-csv")
        with gr.Tab(t("tab_basket", n=0), id="basket", elem_id="jx-tab-basket") as ui["tab_basket"]:
            ui["basket_title"] = gr.Textbox(label=t("basket_title"), value=t("basket_title_default"),
                                            elem_id="jx-basket-title")
            ui["basket_html"] = gr.HTML(render.render_basket([]), elem_id="jx-basket", js_on_load=None)
            with gr.Row(equal_height=True):
                ui["basket_pick"] = gr.Dropdown([], value=None, label=t("basket_pick"), scale=4,
                                                elem_id="jx-basket-pick")
                ui["up_btn"] = gr.Button(t("move_up"), scale=1, elem_id="jx-up")
                ui["down_btn"] = gr.Button(t("move_down"), scale=1, elem_id="jx-down")
                ui["remove_btn"] = gr.Button(t("remove"), variant="stop", scale=1, elem_id="jx-remove")
            with gr.Row():
                ui["docx_btn"] = gr.DownloadButton(t("download_docx"), value=None, interactive=False,
                                                   variant="primary", elem_id="jx-docx")
                ui["md_btn"] = gr.DownloadButton(t("download_md"), value=None, interactive=False, elem_id="jx-md")
        with gr.Tab(t("tab_status"), id="status", elem_id="jx-tab-status") as ui["tab_status"]:
            ui["status_html"] = gr.HTML(status_html, elem_id="jx-status-panel", js_on_load=None)
    return ui


def _relabel(ui: dict[str, Any], facets: dict[str, list], title: str, live: LiveSearcher, lang: str,
             basket: list, basket_title: str, query) -> dict:
    """Every label, button, choice and panel of the page in ``lang`` (values and document text kept)."""
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    labels = {name: gr.update(label=t(key)) for name, key in (
        ("f_area", "policy_area"), ("f_k", "results_k"),
        ("filters_box", "filters"), ("tab_search", "tab_search"), ("tab_compare", "tab_compare"),
        ("tab_status", "tab_status"), ("compare_csv", "download_csv"), ("basket_pick", "basket_pick"),
        ("docx_btn", "download_docx"), ("md_btn", "download_md"), ("ui_lang", "ui_language"))}
    labels.update({name: gr.update(label=t(field), choices=_choices(lang, facets, choice)) for name, field, choice in (
        ("f_country", "country", "country"), ("f_region", "region", "region"),
        ("f_kind", "kind", "kind"), ("f_lang", "language", "language"), ("f_year_from", "year_from", "year"),
        ("f_year_to", "year_to", "year"))})
    labels.update({name: gr.update(value=t(key)) for name, key in (
        ("search_btn", "search"), ("up_btn", "move_up"), ("down_btn", "move_down"), ("remove_btn", "remove"))})
    defaults = {i18n.text(code, "basket_title_default") for code in i18n.LANGUAGES}
    labels.update(
        intro=gr.update(value=f"## {i18n.page_title(lang, title)}\n{t('intro')}"),
        page_title=i18n.page_title(lang, title),
        question=gr.update(label=t("question"), placeholder=t("question_placeholder")),
        tab_basket=gr.update(label=t("tab_basket", n=len(basket or []))),
        basket_title=gr.update(label=t("basket_title"),
                               **({"value": t("basket_title_default")} if basket_title in defaults else {})),
        basket_html=render.render_basket(basket or [], lang),
        status_html=_status(live, lang),
        compare_note=render.compare_note(query[0] if query else "", None, lang),
        compare_df=gr.update(value=[], headers=t("compare_headers")),
        compare_done_state=None,
    )
    return {ui[name]: update for name, update in labels.items()}


def _status(live: LiveSearcher, lang: str) -> str:
    with live.use() as searcher:
        return render.render_status(searcher, lang)


def build_app(searcher: Searcher | LiveSearcher, corpus_dir: Path | str, *, title: str = APP_TITLE) -> SearchApp:
    """The Gradio app over an index; ``corpus_dir`` is the folder the index was built from (its
    indexed files are served at ``/corpus/<source>`` so PDF results open at their page). It answers
    from the newest generation a build has written (search/live.py); a plain Searcher it is given
    stays open after the app closes."""
    live = LiveSearcher.of(searcher)
    facets = live.facets()
    export_root = Path(tempfile.mkdtemp(prefix="justice-search-exports-"))
    page = PageHandlers(live, facets, export_root)
    watches = WatchHandlers(page)
    with SearchApp(title=title, delete_cache=(3600, 24 * 3600)) as demo:
        corpus = Path(corpus_dir)
        demo.extra_routes = [corpus_route(corpus, live.sources), api_route(live), page_view_route(live, corpus),
                             translation_route(live), source_route(live)]
        demo.export_root, demo.live = export_root, live  # exports are removed, the index closed on close()
        ui = _layout(facets, title, _status(live, "en"))
        _wire(demo, ui, page, lambda *args: _relabel(ui, live.facets(), title, live, *args))
        _wire_watches(demo, ui, watches)

        def ask(question: str, k: int = 10) -> list[dict]:
            """Ranked, cited passages for a question, as JSON records (the same as `python -m search --json`)."""
            with live.use() as current:
                return [hit.to_dict() for hit in current.search(str(question), max(1, min(int(k), 50)))]

        # A programmatic endpoint (also what the load benchmark drives); queued like the UI's searches.
        gr.api(ask, api_name="ask", concurrency_limit=SEARCH_CONCURRENCY)
    with _server_app_left_to_launch():
        demo.queue(status_update_rate=QUEUE_STATUS_SECONDS)
    return demo


def _wire(demo: SearchApp, ui: dict[str, Any], page: PageHandlers, relabel) -> None:
    """The page's events: search (button, Enter, address), compare when its tab is shown, the
    basket's buttons, and the interface language."""
    pick = lambda names: [ui[n] for n in names]  # noqa: E731
    form, out, lang = pick(FORM), pick(SEARCH_OUT), ui["ui_lang"]
    compare_in, compare_out = pick(("query_state", "compare_done_state", "tab_state", "ui_lang")), pick(COMPARE_OUT)
    asked = [*form, ui["basket_state"], lang, ui["tab_state"], ui["compare_done_state"]]
    for trigger in (ui["search_btn"].click, ui["question"].submit):
        trigger(page.ask, asked, out, js=search_language_js(asked.index(lang)),
                api_name=False, concurrency_limit=SEARCH_CONCURRENCY, postprocess=False).then(
            None, [ui["share_qs"]], None, js=UPDATE_URL_JS)
    # The language is set in the browser first, so a question asked before the server's load event
    # returns is already answered in it.
    demo.load(None, [lang], [lang], js=UI_ON_OPEN_JS, api_name=False)
    demo.load(page.on_load, [ui["basket_state"]], [lang, *form, *out, ui["filters_box"]], api_name=False).then(
        None, [ui["share_qs"]], None, js=UPDATE_URL_JS)
    for name in ("search", "compare", "basket", "status"):
        ui[f"tab_{name}"].select(lambda name=name: name, None, ui["tab_state"], api_name=False).then(
            page.compare, compare_in, compare_out, api_name=False)
    ui["tab_status"].select(page.status, [lang], ui["status_html"], api_name=False)  # the generation now served

    relabel_out = [ui[n] for n in (
        "intro", "ui_lang", "question", "search_btn", "filters_box", "f_country", "f_region", "f_kind", "f_area",
        "f_lang", "f_year_from", "f_year_to", "f_k", "tab_search", "tab_compare", "tab_basket", "tab_status",
        "compare_csv", "compare_note", "compare_df", "compare_done_state", "basket_title", "basket_html",
        "basket_pick", "up_btn", "down_btn", "remove_btn", "docx_btn", "md_btn", "status_html", "page_title")]

    def rerun(*values):
        """The current search again, in the new language (nothing when no question was asked)."""
        return page.search(*values) if (values[0] or "").strip() else [gr.skip()] * len(SEARCH_OUT)

    relabelled = lang.change(relabel, [lang, ui["basket_state"], ui["basket_title"], ui["query_state"]], relabel_out,
                             api_name=False)
    relabelled.then(None, [ui["page_title"]], None, js=PAGE_TITLE_JS)
    relabelled.then(
        rerun, [*form, ui["basket_state"], lang], out, api_name=False).then(
        page.compare, compare_in, compare_out, api_name=False).then(
        lambda b, t, l, i: page.basket(list(b or []), t, l, i), [ui["basket_state"], ui["basket_title"], lang,
                                                               ui["basket_pick"]], pick(BASKET_OUT),
        api_name=False).then(None, [lang], None, js=UI_URL_JS)

    basket_out, titled = pick(BASKET_OUT), [ui["basket_title"], lang]
    ui["results"].click(page.pin, [ui["results_state"], ui["basket_state"], *titled], basket_out, api_name=False,
                        trigger_mode="multiple")
    picked = [ui["basket_state"], ui["basket_pick"]]
    ui["up_btn"].click(lambda b, i, t, l: page.move(b, i, -1, t, l), [*picked, *titled], basket_out, api_name=False)
    ui["down_btn"].click(lambda b, i, t, l: page.move(b, i, 1, t, l), [*picked, *titled], basket_out, api_name=False)
    ui["remove_btn"].click(page.remove, [*picked, *titled], basket_out, api_name=False)
    ui["basket_title"].change(lambda b, t, l, i: page.basket(list(b or []), t, l, i), [ui["basket_state"], *titled,
                              ui["basket_pick"]], basket_out, api_name=False)


def _wire_watches(demo: SearchApp, ui: dict[str, Any], watches: WatchHandlers) -> None:
    """The saved-searches panel: filled on load, saving the last search, showing a saved one."""
    panel = [ui[n] for n in WATCH_OUT]
    demo.load(watches.on_load, None, panel, api_name=False)
    ui["ui_lang"].change(watches.relabel, [ui["ui_lang"]], [ui[n] for n in (*WATCH_LABELS, *WATCH_OUT)], api_name=False)
    ui["watch_save"].click(watches.save, [ui["query_state"], ui["f_k"], ui["ui_lang"]], panel, api_name=False)
    ui["watch_show"].click(watches.show, [ui["watch_pick"], ui["basket_state"], ui["ui_lang"]],
                           [*(ui[n] for n in FORM), *(ui[n] for n in SEARCH_OUT), *panel], api_name=False,
                           concurrency_limit=SEARCH_CONCURRENCY).then(None, [ui["share_qs"]], None, js=UPDATE_URL_JS)


# -- command line ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Serve the app for the command line ``argv``; 2 (with a message) when it must not start."""
    args = _parser().parse_args(argv)
    refusal = _refusal(args)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    auth = parse_auth(args.auth or os.environ.get("JUSTICE_SEARCH_AUTH"))
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
    if auth is None and args.public:
        print(public_notice(args.host, args.port), file=sys.stderr, flush=True)
    demo = build_app(LiveSearcher(searcher), settings.corpus_dir)
    demo.launch(server_name=args.host, server_port=args.port, auth=LoginThrottle(*auth) if auth else None,
                show_error=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
