"""The saved-searches panel: save the current search, see for each saved search how many passages
are new since this app last showed it, and show one (which marks it as seen). The searches live
beside the index (search/watch.py); the app is one reader of them, ``watch run`` another."""

from __future__ import annotations

from html import escape

import gradio as gr

from indexer.errors import IndexerError, UnknownFilterValueError
from search.watch import APP_READER, WatchNews, add_watch, mark_seen, what_is_new

from . import i18n
from .page import FORM, SEARCH_OUT, PageHandlers
from .params import UI_PARAM, clamp_k, filters_from, read_shared_search

__all__ = ["WATCH_OUT", "WATCH_LABELS", "WatchHandlers", "render_watches"]

#: The components the panel's handlers fill, by the names app.py gives them.
WATCH_OUT = ("watches_html", "watch_pick")
#: The panel's labelled components (app.py's names), relabelled when the interface language changes.
WATCH_LABELS = ("watches_box", "watch_show", "watch_save")

# A saved search's filter names (the CLI's) -> the interface string naming them.
_FILTER_LABELS = {"country": "country", "region": "region", "kind": "kind", "policy_area": "policy_area",
                  "language": "language", "year": "watch_year"}


def _filter_words(filters: dict[str, str], lang: str = "en") -> str:
    """'Document type: OGP commitment; Country or member: Albania', in ``lang``."""
    words = []
    for name, value in filters.items():
        values = [v.strip() for v in value.split(",") if v.strip()] or [value]
        if name == "kind":
            values = [i18n.kind_label(lang, v) for v in values]
        elif name == "language":
            values = [i18n.language_name(lang, v) for v in values]
        elif name == "country":
            values = [i18n.country_name(lang, v) for v in values]
        elif name == "region":
            values = [i18n.value_name(lang, v) for v in values]
        label = i18n.text(lang, _FILTER_LABELS[name]) if name in _FILTER_LABELS else name.replace("_", " ")
        words.append(i18n.text(lang, "label_value", label=label, values=", ".join(values)))
    return "; ".join(words)


def _new_count(lang: str, count: int) -> str:
    if count == 1:
        return i18n.text(lang, "watch_new_one")
    return i18n.text(lang, "watch_new", n=i18n.format_number(lang, count))


def render_watches(news: list[WatchNews], notice: str = "", lang: str = "en") -> str:
    """The panel's list in ``lang``: each saved search with its count of passages new since last shown.
    The question and the filter values the reader typed stay as typed."""
    head = f'<p class="jx-watch-notice">{escape(notice)}</p>' if notice else ""
    if not news:
        return head + f'<p class="jx-watch-empty">{escape(i18n.text(lang, "watch_empty"))}</p>'
    items = []
    for n in news:
        s = n.search
        count = len(n.new)
        badge = (f'<strong class="jx-watch-new" data-new="{count}">{escape(_new_count(lang, count))}</strong>'
                 if count else
                 f'<span class="jx-watch-new" data-new="0">{escape(i18n.text(lang, "watch_nothing_new"))}</span>')
        filters = (f' <span class="jx-watch-filters">({escape(_filter_words(s.filters, lang))})</span>'
                   if s.filters else "")
        items.append(f'<li data-watch="{escape(s.id)}"><b>{escape(s.id)}</b> {escape(s.question)}{filters} '
                     f'&middot; {badge}</li>')
    return head + '<ul class="jx-watches">' + "".join(items) + "</ul>"


class WatchHandlers:
    """The panel's handlers over the page's handlers (whose Searcher and search they reuse)."""

    def __init__(self, page: PageHandlers) -> None:
        self.page = page

    @property
    def _index_dir(self):
        return self.page.live.index_dir

    def _listing(self, lang: str, notice: str = "") -> tuple[str, list[tuple[str, str]]]:
        """The list's HTML and the picker's choices, in ``lang``."""
        try:
            with self.page.live.use() as searcher:
                news = what_is_new(searcher, APP_READER)
        except IndexerError as exc:
            return render_watches([], str(exc), lang), []
        choices = [(f"{n.search.id}: {n.search.question[:70]}"
                    + (f" ({_new_count(lang, len(n.new))})" if n.new else ""), n.search.id) for n in news]
        return render_watches(news, notice, lang), choices

    def panel(self, lang: str = "en", notice: str = ""):
        """-> the list with counts, and the picker's choices, in ``lang``."""
        html, choices = self._listing(lang, notice)
        return html, gr.update(choices=choices, value=None)

    def on_load(self, request: gr.Request):
        """The panel when the page opens, already in the page's language (the ``ui`` parameter, else
        the browser's), so it does not arrive in English after the page has turned to another."""
        params = request.query_params if request is not None else {}
        accept = request.headers.get("accept-language") if request is not None else None
        return self.panel(i18n.choose_language(params.get(UI_PARAM), accept))

    def relabel(self, lang: str):
        """-> the panel's heading and buttons (WATCH_LABELS), then its list and picker (WATCH_OUT), in ``lang``."""
        t = lambda key: i18n.text(lang, key)  # noqa: E731
        html, choices = self._listing(lang)
        return (gr.update(label=t("watches")), gr.update(value=t("watch_show")), gr.update(value=t("watch_save")),
                html, gr.update(choices=choices, label=t("watch_pick")))

    def save(self, query, k, lang: str = "en"):
        """Save the last search (question and filters as searched) beside the index."""
        if not query or not query[0]:
            return self.panel(lang, i18n.text(lang, "watch_search_first"))
        try:
            with self.page.live.use() as searcher:
                saved = add_watch(searcher, query[0], filters_from(*query[1:]), clamp_k(k))
        except UnknownFilterValueError as exc:
            return self.panel(lang, i18n.unknown_values_text(lang, exc.unknown) or str(exc))
        except IndexerError as exc:
            return self.panel(lang, str(exc))
        return self.panel(lang, i18n.text(lang, "watch_saved", id=saved.id))

    def show(self, watch_id, basket, lang):
        """-> the form filled with the saved search, its results, and the panel with it marked as seen."""
        with self.page.live.use() as searcher:
            news = [n for n in what_is_new(searcher, APP_READER) if n.search.id == watch_id]
        if not news:
            return ([gr.skip()] * (len(FORM) + len(SEARCH_OUT))
                    + list(self.panel(lang, i18n.text(lang, "watch_pick_first"))))
        s = news[0].search
        # The saved filters are the CLI's names; the page reads a shared address's names.
        url_names = {"kind": "type", "language": "lang"}
        params = {"q": s.question, "k": str(s.k), **{url_names.get(n, n): v for n, v in s.filters.items()}}
        values = read_shared_search(params, self.page.facets).form_values()
        results = self.page.search(*values, basket, lang)
        mark_seen(self._index_dir, news, APP_READER)
        return [*values, *results, *self.panel(lang)]
