"""The page's search in a real browser (Chromium), as one queued event: asked while the
comparable-commitments tab is open, it fills that tab's table in the same answer."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from test_app_browser import browser  # noqa: E402,F401  (the shared Chromium fixture)
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def site(starter_index, starter_searcher):
    import app

    settings, _ = starter_index
    demo = app.build_app(starter_searcher, Path(settings.corpus_dir))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def _table_text(page) -> str:
    return page.locator("#jx-compare").text_content()


def _wait_for_row(page, commitment_id: str) -> None:
    page.wait_for_function("(id) => (document.querySelector('#jx-compare') || {}).textContent?.includes(id)",
                           arg=commitment_id)


def test_a_search_asked_on_the_compare_tab_fills_its_table(site, page):
    page.goto(site + "?q=free+legal+aid")
    page.wait_for_selector("#jx-results .jx-count")
    page.get_by_role("tab", name="Comparable commitments").click()
    _wait_for_row(page, "MK0193")
    assert "free legal aid" in page.locator("#jx-compare-note").inner_text()
    # A new question from the compare tab: its own rows and note arrive with the answer.
    page.locator("#jx-question textarea").fill("right to information law in Albania")
    page.locator("#jx-question textarea").press("Enter")
    page.wait_for_function("() => (document.querySelector('#jx-compare-note') || {}).innerText"
                           "?.includes('right to information law in Albania')")
    _wait_for_row(page, "AL0017")
    # Back on the results tab, a third question empties the table; opening the tab fills it again.
    page.get_by_role("tab", name="Search").first.click()
    page.locator("#jx-question textarea").fill("free legal aid")
    page.locator("#jx-question textarea").press("Enter")
    page.wait_for_function("() => (document.querySelector('#jx-compare-note') || {}).textContent"
                           "?.includes('free legal aid')")
    assert "AL0017" not in _table_text(page)
    page.get_by_role("tab", name="Comparable commitments").click()
    _wait_for_row(page, "MK0193")
