"""Saved searches in headless Chromium: save the current search, rebuild after adding a document
that matches it, and see it counted as new in the app until it is shown, in the interface language."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from test_app_browser import CHROMIUM_ARGS, TIMEOUT, _launch, _screenshot, ask, cards, pick  # noqa: E402

pytestmark = pytest.mark.browser

QUESTION = "paralegals visiting people held in pre-trial detention"


def _write(path, title: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


def _count(page, watch_id: str) -> str:
    selector = f"#jx-watches li[data-watch='{watch_id}'] .jx-watch-new"
    page.wait_for_selector(selector)
    return page.locator(selector).get_attribute("data-new")


def test_save_a_search_rebuild_and_see_it_counted_as_new(tmp_path, encoder):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("no chromium on PATH")
    from indexer.build import build_index
    from indexer.settings import Settings
    from search import Searcher

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    _write(corpus / "guides" / "mediation.md", "Mediation",
           "Village mediators settle land disputes between neighbours before they reach a court.")
    _write(corpus / "guides" / "data.md", "Open court data",
           "Courts publish their judgments and case statistics as open data every month.")
    settings = Settings(corpus_dir=corpus, index_dir=index)
    build_index(settings, progress=False, encoder=encoder)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        searcher = Searcher(index, settings, encoder=encoder)
        demo, url = _launch(searcher, corpus)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT)
            page.goto(url)
            assert ask(page, QUESTION)
            assert page.title() == "OGP justice policy search"
            page.locator("#jx-watches-box").get_by_text("Saved searches").click()
            page.locator("#jx-watch-save").click()
            page.wait_for_function("() => (document.querySelector('#jx-watches') || {}).textContent"
                                   "?.includes('Saved as w1')")
            assert _count(page, "w1") == "0"
        finally:
            demo.close()
            searcher.close()

        # A matching document arrives; the index is rebuilt and the app serves the new generation.
        _write(corpus / "guides" / "detention.md", "Paralegals in detention",
               "Paralegals visit people held in pre-trial detention and help them apply for bail.")
        build_index(settings, progress=False, encoder=encoder)
        searcher = Searcher(index, settings, encoder=encoder)
        demo, url = _launch(searcher, corpus)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT)
            page.goto(url)
            page.locator("#jx-watches-box").get_by_text("Saved searches").click()
            assert _count(page, "w1") == "1"
            watch = page.locator("#jx-watches li[data-watch='w1']")
            assert QUESTION in watch.inner_text() and watch.locator(".jx-watch-new").inner_text() == "1 new"
            _screenshot(page, "saved-searches.png")

            # Opened in Spanish, the panel, its count and the browser tab's title are Spanish.
            page.goto(url + "?ui=es")
            page.get_by_role("tab", name="Búsqueda").wait_for()
            page.wait_for_function("() => document.title === 'Búsqueda de políticas de justicia OGP'")
            page.locator("#jx-watches-box").get_by_text("Búsquedas guardadas", exact=True).click()
            assert _count(page, "w1") == "1"
            assert QUESTION in watch.inner_text() and watch.locator(".jx-watch-new").inner_text() == "1 nuevo"
            assert page.locator("#jx-watch-show").inner_text().strip() == "Mostrar"
            assert page.locator("#jx-watch-save").inner_text().strip() == "Guardar esta búsqueda"
            assert page.locator("#jx-watch-pick").get_by_text("Búsqueda guardada").count() == 1

            # The selector turns the panel and the title French in place.
            pick(page, "jx-ui-lang", "Français")
            page.wait_for_function("() => document.title === 'Recherche de politiques de justice OGP'")
            page.wait_for_function("() => document.querySelector(\"#jx-watches li[data-watch='w1'] .jx-watch-new\")"
                                   "?.textContent === '1 nouveau'")
            page.locator("#jx-watches-box").get_by_text("Recherches enregistrées").wait_for()
            assert page.locator("#jx-watch-show").inner_text().strip() == "Afficher"
            assert page.locator("#jx-watch-save").inner_text().strip() == "Enregistrer cette recherche"
            page.locator("#jx-watch-pick").get_by_text("Recherche enregistrée").wait_for()
            assert "Saved" not in page.locator("#jx-watches-box").inner_text()
            # Saving before any search is refused in French.
            page.locator("#jx-watch-save").click()
            page.wait_for_function("() => (document.querySelector('#jx-watches') || {}).textContent"
                                   "?.includes('Lancez d’abord une recherche, puis enregistrez-la.')")

            before = page.locator("#jx-results").inner_html()
            pick(page, "jx-watch-pick", "w1")
            page.locator("#jx-watch-show").click()
            page.wait_for_function("(before) => { const r = document.querySelector('#jx-results');"
                                   " return r && r.innerHTML !== before && r.querySelector('.jx-count'); }",
                                   arg=before)
            assert "guides/detention.md" in [c["source"] for c in cards(page)]
            assert page.locator("#jx-question textarea").input_value() == QUESTION
            page.wait_for_function("() => document.querySelector(\"#jx-watches li[data-watch='w1'] .jx-watch-new\")"
                                   "?.dataset.new === '0'")
            assert page.locator("#jx-watches li[data-watch='w1'] .jx-watch-new").inner_text() == "rien de nouveau"
        finally:
            demo.close()
            searcher.close()
            browser.close()
