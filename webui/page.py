"""The page's event handlers: each takes the form's values and the interface language, calls the
library and returns what the page shows, rendered by webui.render. ``app.py`` lays out the
components and wires these to them, in the orders named here."""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData

from indexer.errors import IndexerError
from search import LiveSearcher, Searcher, compare
from search.briefing import Pin, commitments_csv
from search.filters import comparable

from . import i18n, render
from .notes import localised_docx, localised_markdown
from .params import UI_PARAM, clamp_k, filters_from, read_shared_search, share_query
from .translation import with_translation

__all__ = ["BASKET_OUT", "COMPARE_LIMIT", "COMPARE_OUT", "FILTER_FIELDS", "FORM", "PageHandlers", "SEARCH_OUT",
           "filter_choices"]

COMPARE_LIMIT = 20
#: The components each handler reads or fills, by the names app.py gives them.
FORM = ("question", "f_k", "f_country", "f_region", "f_year_from", "f_year_to", "f_kind", "f_area", "f_lang")
SEARCH_OUT = ("summary", "results", "results_state", "share_qs", "query_state", "compare_df", "compare_csv",
              "compare_note", "compare_done_state")
COMPARE_OUT = ("compare_df", "compare_csv", "compare_note", "compare_done_state")
BASKET_OUT = ("basket_state", "basket_html", "basket_pick", "docx_btn", "md_btn", "tab_basket")
#: The form's filter dropdowns and the facet each offers.
FILTER_FIELDS = {"f_country": "country", "f_region": "region", "f_year_from": "year", "f_year_to": "year",
                 "f_kind": "kind", "f_area": "policy_area", "f_lang": "language"}


def filter_choices(lang: str, facets: dict[str, list], field: str) -> list:
    """A filter's choices as (label in ``lang``, value): document types and languages by name."""
    if field == "kind":
        return [(i18n.kind_label(lang, k), k) for k in facets["kind"]]
    if field == "language":
        return [(f"{i18n.language_name(lang, c)} ({c})", c) for c in facets["language"]]
    if field == "year":
        return [(i18n.text(lang, "year_any"), "")] + [(str(y), str(y)) for y in facets["year"]]
    if field == "region":
        return [(i18n.value_name(lang, r), r) for r in facets["region"]]
    if field == "country":  # sorted as the reader reads them: "Estados Unidos" under E
        return sorted(((i18n.country_name(lang, c), c) for c in facets["country"]), key=lambda p: comparable(p[0]))
    return facets[field]


def _commitments_csv_for(lang: str, rows, folder: Path) -> Path:
    """The comparable commitments as a CSV in the reader's language: column names, countries and IRM
    ratings as the table shows them, and ';' between cells in Spanish and French (Excel's list separator
    there); the export's own values in English."""
    def value(column: str, cell):
        if column == "country" and cell:
            return i18n.country_name(lang, cell)
        if column in ("irm_potential_impact", "irm_completion") and cell:
            return i18n.value_name(lang, cell)
        return cell

    return commitments_csv(rows, folder / "comparable-commitments.csv", i18n.text(lang, "csv_headers"),
                           value if lang != "en" else None, ";" if lang in ("es", "fr") else ",")


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


def _serialised(out: list, lang: str) -> list:
    """The search event's outputs as the page receives them, so that the event skips Gradio's
    post-processing (app.py: ``postprocess=False``), which hands every output component to a worker
    thread and back: the table as {headers, data}, the CSV file as Gradio's file record."""
    at_df, at_csv = SEARCH_OUT.index("compare_df"), SEARCH_OUT.index("compare_csv")
    table, csv_file = out[at_df], out[at_csv]
    is_update = isinstance(table, dict) and table.get("__type__") == "update"
    rows = table.get("value") if is_update else table
    if isinstance(rows, list):
        value = {"headers": list(i18n.text(lang, "compare_headers")), "data": rows, "metadata": None}
        out[at_df] = {**table, "value": value} if is_update else value
    if isinstance(csv_file, dict) and csv_file.get("value"):
        path = str(csv_file["value"])
        out[at_csv] = {**csv_file, "value": FileData(path=path, orig_name=Path(path).name).model_dump()}
    return out


class PageHandlers:
    """The page's event handlers over an index: each takes the form's values and the interface
    language, calls the library and returns what the page shows (rendered by webui.render). Each
    event reads one generation of the index, the newest when it starts (search/live.py)."""

    def __init__(self, searcher: Searcher | LiveSearcher, facets: dict[str, list], export_root: Path) -> None:
        self.live, self.facets, self.export_root = LiveSearcher.of(searcher), facets, export_root
        # Briefing notes are written on one thread of their own. Written on whichever of the
        # server's worker threads ran the event, a Word document's memory landed in a different
        # arena of the C allocator each time, and the app's memory kept growing with every export.
        self._notes_writer = ThreadPoolExecutor(1, thread_name_prefix="briefing-notes")

    def search(self, question, k, countries, regions, year_from, year_to, kinds, areas, langs, basket=None,
               lang="en", notice=""):
        """-> answer, result cards, results (for pinning), share query, the query for the compare tab,
        and the compare tab reset (its table is computed when the tab is shown)."""
        question, k = (question or "").strip(), clamp_k(k)
        form = [countries, regions, year_from, year_to, kinds, areas, langs]
        # "q=" for an empty search: the address loses the previous question (a reload must not bring it back)
        qs = share_query(question, k, *form) if question else "q="
        query = [question, *form] if question else None
        reset = (gr.update(value=[]), gr.update(value=None, interactive=False),
                 render.compare_note(question, None, lang), None)
        if not question:
            return (render.no_answer_html(i18n.text(lang, "type_question")), "", [], qs, None, *reset)
        try:
            filters = filters_from(*form)
        except IndexerError:
            message = i18n.text(lang, "bad_years", first=year_from or "…", last=year_to or "…")
            return (render.no_answer_html(message), "", [], qs, None, *reset)
        with self.live.use() as searcher:  # the passages and the documents they show, of one generation
            try:
                hits = searcher.search(question, k=k, filters=filters)
            except IndexerError as exc:
                return (render.no_answer_html(str(exc)), "", [], qs, None, *reset)
            documents = {h.document_id: searcher.document_text(h.document_id) for h in hits}
        summary = render.render_summary(question, hits, lang, documents)
        pinned = {p.get("chunk_id") for p in (basket or [])}
        results = render.render_results(hits, documents, notice, answered="jx-none" not in summary, pinned=pinned,
                                        filters=filters, language=lang)
        return (summary, results, [Pin.from_hit(h).to_dict() for h in hits], qs, query, *reset)

    def ask(self, question, k, countries, regions, year_from, year_to, kinds, areas, langs, basket=None,
            lang="en", tab="search", shown=None):
        """The search button and Enter: ``search``, and in the same event the comparable-commitments
        table when its tab is the one open (``tab``). Folding it in spares every question a second
        queued event. When the table shows nothing (``shown``, the query it shows, is None), its two
        components get plain empty values rather than updates: Gradio applies an update (gr.skip()
        included) by building the component again and copying the session's page configuration:
        work for nothing when nothing changes."""
        with self.live.use():  # the results and the table from one generation
            out = list(self.search(question, k, countries, regions, year_from, year_to, kinds, areas, langs, basket,
                                   lang))
            query = out[SEARCH_OUT.index("query_state")]
            table = slice(SEARCH_OUT.index("compare_df"), SEARCH_OUT.index("compare_done_state") + 1)
            if tab == "compare" and query:
                out[table] = self.compare(query, None, tab, lang)
            elif shown is None:
                out[SEARCH_OUT.index("compare_df")], out[SEARCH_OUT.index("compare_csv")] = [], None
        return tuple(_serialised(out, lang))

    def on_load(self, basket, request: gr.Request):
        """The interface language (``ui`` parameter, else the browser's), the filters' choices when
        the generation now served offers others than the page was laid out with, and the search
        named by the page address (?q=...&type=...), so a search can be shared."""
        params = request.query_params if request is not None else {}
        lang = i18n.choose_language(params.get(UI_PARAM), request.headers.get("accept-language") if request else None)
        facets = self.live.facets()
        shared = read_shared_search(params, facets)
        values = shared.form_values() if shared.question else [gr.skip()] * len(FORM)
        if facets != self.facets:  # a build added or removed a country, a type, a year...
            for i, name in enumerate(FORM):
                if name in FILTER_FIELDS:
                    kept = {} if isinstance(values[i], dict) else {"value": values[i]}
                    values[i] = gr.update(choices=filter_choices(lang, facets, FILTER_FIELDS[name]), **kept)
        if not shared.question:
            return [lang, *values] + [gr.skip()] * (len(SEARCH_OUT) + 1)
        notice = i18n.text(lang, "ignored_params", items=", ".join(shared.ignored)) if shared.ignored else ""
        return [lang, *values, *self.search(*shared.form_values(), basket, lang, notice),
                gr.update(open=True) if shared.narrowed else gr.skip()]

    def compare(self, query, done, tab, lang):
        """The comparable-commitments table for the last search, once, when its tab is shown."""
        if tab != "compare" or query == done:
            return [gr.skip()] * 4
        question = query[0] if query else ""
        rows, files = [], ()
        if question:
            with self.live.use() as searcher:
                rows = compare(searcher, question, filters_from(*query[1:]), limit=COMPARE_LIMIT)
                files = searcher.reader.commitment_files
        csv_path = None
        if rows:
            csv_path = str(_commitments_csv_for(lang, rows, _fresh_folder(self.export_root)))
        return (gr.update(value=render.compare_rows(rows, lang), headers=i18n.text(lang, "compare_headers")),
                gr.update(value=csv_path, interactive=bool(csv_path)),
                render.compare_note(question, len(rows) if question else None, lang, files)
                + render.compare_chart(rows, lang),
                query)

    def status(self, lang: str) -> str:
        """The status panel, of the generation now served."""
        with self.live.use() as searcher:
            return render.render_status(searcher, lang)

    # -- evidence basket --
    def basket(self, basket: list[dict], title: str, lang: str = "en", selected: int | None = None):
        """The basket's list, picker, exports (rebuilt with the title) and tab label."""
        words = i18n.citation_words(lang)
        choices = [(f"{i + 1}. {Pin.from_dict(p).cited(words)[:90]}", i) for i, p in enumerate(basket)]
        docx_path = md_path = None
        if basket:
            docx_path, md_path = self._notes_writer.submit(self._write_notes, basket, title, lang).result()
        if selected is not None and not (0 <= selected < len(basket)):
            selected = len(basket) - 1 if basket else None
        return (basket, render.render_basket(basket, lang), gr.update(choices=choices, value=selected),
                gr.update(value=docx_path, interactive=bool(docx_path)),
                gr.update(value=md_path, interactive=bool(md_path)),
                gr.update(label=i18n.text(lang, "tab_basket", n=len(basket))))

    def _write_notes(self, basket: list[dict], title: str, lang: str) -> tuple[str, str]:
        """(Word note, Markdown note) of ``basket``, written to a fresh export folder."""
        folder = _fresh_folder(self.export_root)
        built_at = self.live.current.manifest.built_at
        docx_path = localised_docx(basket, title, built_at, folder / "briefing-note.docx", lang)
        md_path = folder / "briefing-note.md"
        md_path.write_text(localised_markdown(basket, title, built_at, lang), encoding="utf-8")
        return str(docx_path), str(md_path)

    def pin(self, results, basket, title, lang, evt: gr.EventData):
        """A card's "Pin" button: add that result to the basket (once)."""
        basket = list(basket or [])
        data = getattr(evt, "_data", None) or {}
        try:
            rank = int(data.get("rank"))
        except (TypeError, ValueError):
            return self.basket(basket, title, lang)
        if 1 <= rank <= len(results or []):
            item = results[rank - 1]
            if all((p.get("chunk_id"), p.get("text")) != (item.get("chunk_id"), item.get("text")) for p in basket):
                if data.get("translated"):
                    with self.live.use() as searcher:
                        item = with_translation(searcher, dict(item), lang)
                basket.append(dict(item))
        return self.basket(basket, title, lang, len(basket) - 1 if basket else None)

    def move(self, basket, index, delta, title, lang):
        """Move the picked passage up (-1) or down (+1)."""
        basket = list(basket or [])
        if index is None or not (0 <= int(index) < len(basket)):
            return self.basket(basket, title, lang)
        index, target = int(index), int(index) + delta
        if 0 <= target < len(basket):
            basket[index], basket[target] = basket[target], basket[index]
            index = target
        return self.basket(basket, title, lang, index)

    def remove(self, basket, index, title, lang):
        """Take the picked passage out of the basket."""
        basket = list(basket or [])
        if index is not None and 0 <= int(index) < len(basket):
            del basket[int(index)]
            return self.basket(basket, title, lang, min(int(index), len(basket) - 1) if basket else None)
        return self.basket(basket, title, lang)
