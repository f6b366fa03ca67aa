"""Saved searches: save one, rebuild after adding a document that matches it, see it counted as new
(by `watch run`, at the end of `indexer build`, and for the app's reader on its own)."""

from __future__ import annotations

import json

import pytest

from indexer.__main__ import main as indexer_main
from indexer.build import build_index
from indexer.settings import Settings
from search import Searcher
from search.__main__ import main as search_main
from search.watch import APP_READER, WATCHES_FILE, load_watches, mark_seen, what_is_new

QUESTION = "paralegals visiting people held in pre-trial detention"


def _write(path, title: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


@pytest.fixture()
def site(tmp_path, encoder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _write(corpus / "guides" / "mediation.md", "Mediation",
           "Village mediators settle land disputes between neighbours before they reach a court.")
    _write(corpus / "guides" / "data.md", "Open court data",
           "Courts publish their judgments and case statistics as open data every month.")
    build_index(Settings(corpus_dir=corpus, index_dir=index), progress=False, encoder=encoder)
    return corpus, index


def _cli(capsys, main, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_saved_search_counts_a_new_matching_document_once(site, capsys, encoder):
    corpus, index = site
    code, out = _cli(capsys, search_main, "watch", "add", QUESTION, "-k", "3", "--index", str(index))
    assert code == 0 and "saved w1" in out
    saved = json.loads((index / WATCHES_FILE).read_text(encoding="utf-8"))["searches"]
    assert [(s["id"], s["question"], s["k"]) for s in saved] == [("w1", QUESTION, 3)]
    assert _cli(capsys, search_main, "watch", "run", "--index", str(index)) == (0, f"w1  {QUESTION}  : 0 new\n")

    _write(corpus / "guides" / "detention.md", "Paralegals in detention",
           "Paralegals visit people held in pre-trial detention and help them apply for bail.")
    code, out = _cli(capsys, indexer_main, "build", "--corpus", str(corpus), "--index", str(index), "--quiet")
    assert code == 0
    assert "Saved searches with new passages" in out and f"w1  {QUESTION}: 1 new" in out

    code, out = _cli(capsys, search_main, "watch", "run", "--json", "--index", str(index))
    news = json.loads(out)
    assert code == 0 and [n["id"] for n in news] == ["w1"]
    assert [h["source"] for h in news[0]["new"]] == ["guides/detention.md"]
    assert "bail" in news[0]["new"][0]["text"]
    # Seen by `watch run` now: nothing new the second time, and the next build lists nothing.
    assert "0 new" in _cli(capsys, search_main, "watch", "run", "--index", str(index))[1]

    # The app is another reader: it has not looked yet, so the passage is still new to it.
    searcher = Searcher(index, Settings(corpus_dir=corpus, index_dir=index), encoder=encoder)
    try:
        app_news = what_is_new(searcher, APP_READER)
        assert [(n.search.id, [h.provenance.source for h in n.new]) for n in app_news] == [
            ("w1", ["guides/detention.md"])]
        mark_seen(index, app_news, APP_READER)
        assert [len(n.new) for n in what_is_new(searcher, APP_READER)] == [0]
    finally:
        searcher.close()


def test_watch_list_add_with_filters_and_remove(site, capsys):
    _, index = site
    code, out = _cli(capsys, search_main, "watch", "add", "court judgments", "--type", "guide", "--index", str(index))
    assert code == 0
    code, out = _cli(capsys, search_main, "watch", "add", "court  judgments", "--type", "guide", "--index", str(index))
    assert code == 0 and "saved w1" in out  # the same search again is the one already saved
    code, out = _cli(capsys, search_main, "watch", "list", "--index", str(index))
    assert code == 0 and out == "w1  court judgments  [kind: guide] (top 10)\n"
    code, out = _cli(capsys, search_main, "watch", "add", "legal aid", "--country", "Atlantis", "--index", str(index))
    assert code == 2 and "Atlantis" in out
    assert [s.id for s in load_watches(index)] == ["w1"]
    assert _cli(capsys, search_main, "watch", "remove", "w9", "--index", str(index))[0] == 2
    code, out = _cli(capsys, search_main, "watch", "remove", "w1", "--index", str(index))
    assert (code, out) == (0, "removed w1: court judgments\n")
    assert load_watches(index) == []
    code, out = _cli(capsys, search_main, "watch", "forget", "--index", str(index))
    assert code == 2 and "add, list, run, remove" in out


def test_a_damaged_watches_file_is_named_not_ignored(site, capsys):
    _, index = site
    (index / WATCHES_FILE).write_text("{not json", encoding="utf-8")
    code, out = _cli(capsys, search_main, "watch", "list", "--index", str(index))
    assert code == 2 and WATCHES_FILE in out and "fix or delete" in out


def test_the_app_panel_lists_a_saved_search_and_shows_it_with_its_filters(site, encoder, tmp_path):
    from search.filters import Filters
    from search.watch import add_watch
    from webui.page import PageHandlers
    from webui.watches import WatchHandlers

    corpus, index = site
    searcher = Searcher(index, Settings(corpus_dir=corpus, index_dir=index), encoder=encoder)
    try:
        handlers = WatchHandlers(PageHandlers(searcher, searcher.facets(), tmp_path))
        saved = add_watch(searcher, "court judgments", Filters(kind=("guide",)), 2)
        html, _ = handlers.panel()
        assert f'data-watch="{saved.id}"' in html and "court judgments" in html and 'data-new="0"' in html
        shown = handlers.show(saved.id, [], "en")
        question, k, countries, _, year_from, year_to, kinds = shown[:7]
        assert (question, k, countries, year_from, year_to, kinds) == ("court judgments", 2, [], "", "", ["guide"])
        results_state = shown[9 + 2]
        assert [p["source"] for p in results_state][:1] == ["guides/data.md"]
        assert "Pick a saved search" in handlers.show("w9", [], "en")[-2]
    finally:
        searcher.close()


def test_the_app_panel_speaks_the_interface_language():
    """Every word of the saved-searches panel follows the interface language; the question and the
    filter values the reader chose stay as they were saved."""
    from html import escape

    from search.watch import SavedSearch, WatchNews
    from webui.i18n import LANGUAGES, text
    from webui.watches import render_watches

    saved = SavedSearch("w1", "free legal aid <b>", {"kind": "commitment", "language": "es", "country": "Perú"}, 5,
                        "2026-03-04T09:15:00+00:00")
    one_new = [WatchNews(saved, 3, (object(),), ())]
    three_new = [WatchNews(saved, 3, (object(),) * 3, ())]
    nothing_new = [WatchNews(saved, 3, (), ())]
    expected = {
        "en": ("1 new", "3 new", "nothing new", "Document type: OGP commitment; Language: Spanish; "
               "Country or member: Perú"),
        "es": ("1 nuevo", "3 nuevos", "nada nuevo", "Tipo de documento: Compromiso OGP; Idioma: Español; "
               "País o miembro: Perú"),
        # the member by its name in the interface language (CLDR), as the country filter lists it
        "fr": ("1 nouveau", "3 nouveaux", "rien de nouveau", "Type de document : Engagement OGP; "
               "Langue : Espagnol; Pays ou membre : Pérou"),
    }
    for lang in LANGUAGES:
        one, three, nothing, filters = expected[lang]
        html = render_watches(one_new, text(lang, "watch_saved", id="w1"), lang)
        assert f'data-new="1">{one}</strong>' in html and "free legal aid &lt;b&gt;" in html
        assert f'<span class="jx-watch-filters">({filters})</span>' in html
        assert f'<p class="jx-watch-notice">{text(lang, "watch_saved", id="w1")}</p>' in html
        assert f'data-new="3">{three}</strong>' in render_watches(three_new, "", lang)
        assert f'data-new="0">{nothing}</span>' in render_watches(nothing_new, "", lang)
        assert escape(text(lang, "watch_empty")) in render_watches([], "", lang)
    assert "Guardada como w1." == text("es", "watch_saved", id="w1")
    # Each panel string exists in every interface language, and differs from English there.
    keys = ("watches", "watch_pick", "watch_show", "watch_save", "watch_empty", "watch_new", "watch_new_one",
            "watch_nothing_new", "watch_search_first", "watch_saved", "watch_pick_first", "app_title")
    for lang in ("es", "fr"):
        assert all(text(lang, key, n=2, id="w1") != text("en", key, n=2, id="w1") for key in keys), lang


def test_a_saved_search_naming_a_value_the_index_lacks_says_so_in_the_interface_language():
    """Found by the session-14 audit: saving such a search in the Spanish app answered in English."""
    import pytest

    from indexer.errors import UnknownFilterValueError
    from search import Filters
    from webui.i18n import unknown_values_text

    with pytest.raises(UnknownFilterValueError) as info:
        Filters(country=("Madridd", "Chile"), region=("Afri",)).matched_to(
            {"country": ["Madrid, Spain", "Chile"], "region": ["Europe"]})
    assert info.value.unknown == (("country", "Madridd", ("Madrid, Spain",)), ("region", "Afri", ()))
    said = unknown_values_text("es", info.value.unknown)
    # the suggestion named as every member is in the Spanish app, the local member's country too
    assert said.startswith("País o miembro: este índice no contiene «Madridd» (¿quiso decir Madrid, España?).")
    assert "Región: este índice no contiene «Afri»" in said and "index" not in said
