"""The saved-searches panel: save the current search, see for each saved search how many passages
are new since this app last showed it, and show one (which marks it as seen). The searches live
beside the index (search/watch.py); the app is one reader of them, ``watch run`` another."""

from __future__ import annotations

from html import escape

import gradio as gr

from indexer.errors import IndexerError
from search.watch import APP_READER, WatchNews, add_watch, mark_seen, what_is_new

from .page import FORM, SEARCH_OUT, PageHandlers
from .params import clamp_k, filters_from, read_shared_search

__all__ = ["WATCH_OUT", "WatchHandlers", "render_watches"]

#: The components the panel's handlers fill, by the names app.py gives them.
WATCH_OUT = ("watches_html", "watch_pick")


def _filter_words(filters: dict[str, str]) -> str:
    return "; ".join(f"{name.replace('_', ' ')}: {value}" for name, value in filters.items())


def render_watches(news: list[WatchNews], notice: str = "") -> str:
    """The panel's list: each saved search with its count of passages new since last shown."""
    head = f'<p class="jx-watch-notice">{escape(notice)}</p>' if notice else ""
    if not news:
        return head + '<p class="jx-watch-empty">No saved searches yet: search, then "Save this search".</p>'
    items = []
    for n in news:
        s = n.search
        count = len(n.new)
        badge = (f'<strong class="jx-watch-new" data-new="{count}">{count} new</strong>' if count
                 else '<span class="jx-watch-new" data-new="0">nothing new</span>')
        filters = f' <span class="jx-watch-filters">({escape(_filter_words(s.filters))})</span>' if s.filters else ""
        items.append(f'<li data-watch="{escape(s.id)}"><b>{escape(s.id)}</b> {escape(s.question)}{filters} '
                     f'&middot; {badge}</li>')
    return head + '<ul class="jx-watches">' + "".join(items) + "</ul>"


class WatchHandlers:
    """The panel's handlers over the page's handlers (whose Searcher and search they reuse)."""

    def __init__(self, page: PageHandlers) -> None:
        self.page = page

    @property
    def _index_dir(self):
        return self.page.searcher.reader.index_dir

    def panel(self, notice: str = ""):
        """-> the list with counts, and the picker's choices."""
        try:
            news = what_is_new(self.page.searcher, APP_READER)
        except IndexerError as exc:
            return render_watches([], str(exc)), gr.update(choices=[], value=None)
        choices = [(f"{n.search.id}: {n.search.question[:70]}" + (f" ({len(n.new)} new)" if n.new else ""),
                    n.search.id) for n in news]
        return render_watches(news, notice), gr.update(choices=choices, value=None)

    def save(self, query, k):
        """Save the last search (question and filters as searched) beside the index."""
        if not query or not query[0]:
            return self.panel("Search first, then save the search.")
        try:
            saved = add_watch(self.page.searcher, query[0], filters_from(*query[1:]), clamp_k(k))
        except IndexerError as exc:
            return self.panel(str(exc))
        return self.panel(f"Saved as {saved.id}.")

    def show(self, watch_id, basket, lang):
        """-> the form filled with the saved search, its results, and the panel with it marked as seen."""
        news = [n for n in what_is_new(self.page.searcher, APP_READER) if n.search.id == watch_id]
        if not news:
            return [gr.skip()] * (len(FORM) + len(SEARCH_OUT)) + list(self.panel("Pick a saved search first."))
        s = news[0].search
        # The saved filters are the CLI's names; the page reads a shared address's names.
        url_names = {"kind": "type", "language": "lang"}
        params = {"q": s.question, "k": str(s.k), **{url_names.get(n, n): v for n, v in s.filters.items()}}
        values = read_shared_search(params, self.page.facets).form_values()
        results = self.page.search(*values, basket, lang)
        mark_seen(self._index_dir, news, APP_READER)
        return [*values, *results, *self.panel()]
