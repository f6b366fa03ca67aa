""""Show source" pages through a long document (issue 22 item 2): a card carries the page that holds
its passage, marked, and /source/<document id> serves the others; the pages put end to end are the
document, and a multi-megabyte record never makes a multi-megabyte answer."""

from __future__ import annotations

import html
import os
import random
import re
import socket

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
httpx = pytest.importorskip("httpx")

import app  # noqa: E402
from indexer.records import Provenance  # noqa: E402
from search.hit import Hit  # noqa: E402
from webui.render import render_card  # noqa: E402
from webui.source import SOURCE_PAGE_CHARS, page_of, source_page  # noqa: E402

WORDS = ("court", "legal", "aid", "tribunal", "justice", "paralegal", "record", "judgment", "open", "data",
         "mediation", "fees", "appeal", "rights", "access", "reform")


def _text(n_chars: int, seed: int = 7) -> str:
    """Words, sentences and paragraphs, ``n_chars`` long."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 18))).capitalize() + "."
        sentence += "\n\n" if rng.random() < 0.1 else " "
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)[:n_chars]


def _shown_text(fragment: str) -> str:
    """The document text a page shows (markup removed, entities read back)."""
    doc = re.search(r'<div class="jx-doc">(.*?)</div>', fragment, re.S).group(1)
    return html.unescape(re.sub(r"</?(?:span|mark)[^>]*>", "", doc))


@pytest.mark.parametrize("length", [0, 1, SOURCE_PAGE_CHARS - 1, SOURCE_PAGE_CHARS, 3 * SOURCE_PAGE_CHARS + 17,
                                    400_003])
def test_pages_put_end_to_end_are_the_document(length):
    document = _text(length, seed=length)
    first = source_page(document, 1)
    pages = [source_page(document, n) for n in range(1, first.count + 1)]
    assert "".join(document[p.start:p.end] for p in pages) == document
    # About a page's worth each: its end moves back at most 200 characters to fall between words.
    assert all(abs(p.end - p.start - SOURCE_PAGE_CHARS) <= 200 for p in pages[:-1])
    assert pages[-1].end - pages[-1].start <= SOURCE_PAGE_CHARS + 200
    # Pages end between words, not inside one.
    assert all(document[p.end - 1].isspace() for p in pages[:-1])
    assert first.count == max(1, -(-length // SOURCE_PAGE_CHARS))
    # A page number outside the document is the nearest page.
    assert source_page(document, 0) == first and source_page(document, first.count + 5) == pages[-1]
    for offset in random.Random(length).sample(range(max(length, 1)), min(length, 200)):
        page = pages[page_of(document, offset) - 1]
        assert page.start <= offset < page.end


def _hit(document: str, start: int, end: int) -> Hit:
    provenance = Provenance(source="commitments.csv", kind="commitment", title="A long record",
                            commitment_id="ZZ0001", country="Velmora")
    passage = document[start:end]
    best = passage.index(".") + 1
    return Hit(rank=1, score=1.0, chunk_id=1, document_id=42, provenance=provenance, text=passage, char_start=start,
               char_end=end, language="en", highlight=(0, best))


def test_a_card_of_a_multi_megabyte_record_carries_the_passages_page_only():
    document = _text(3_000_000)
    start = document.index(". ", 1_234_567) + 2
    end = document.index(". ", start + 900) + 1
    hit = _hit(document, start, end)
    card = render_card(hit, document_text=document, language="en")
    assert len(card.encode()) < 2 * SOURCE_PAGE_CHARS + 3_000, len(card)
    number, count = page_of(document, start), source_page(document, 1).count
    assert count == 150 and f"Page {number} of {count} of this text" in card
    # The passage's own page, the passage marked and its best sentence highlighted.
    page = source_page(document, number)
    assert _shown_text(card) == document[page.start:page.end]
    best = hit.text[:hit.highlight[1]]
    assert f'<span class="jx-here"><mark>{html.escape(best)}</mark>' in card
    # Links to the pages either side, carrying the passage so it is marked when paged back to.
    assert f'href="source/42?page={number - 1}&amp;start={start}&amp;end={end}&amp;best=0-{len(best)}"' in card
    assert f'href="source/42?page={number + 1}&amp;start={start}' in card
    spanish = render_card(hit, document_text=document, language="es")
    assert f"Página {number} de {count} de este texto" in spanish and "Página siguiente" in spanish


def test_a_short_document_is_shown_whole_without_page_links():
    document = "Fees are waived for people on low incomes. The court decides within a week."
    card = render_card(_hit(document, 0, 42), document_text=document)
    assert _shown_text(card) == document and "jx-source-nav" not in card


class _CheapEncoder:
    """The real tokenizer (chunk sizes depend on it) with cheap deterministic vectors: paging does
    not depend on what the vectors say, and embedding thousands of passages would cost minutes."""

    def __init__(self, encoder) -> None:
        self.name, self.dimension, self.tokenizer = encoder.name, encoder.dimension, encoder.tokenizer

    def encode(self, texts, progress=None, token_ids=None):
        import zlib

        import numpy as np

        out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dimension)
                        for t in texts]).astype(np.float32) if texts else np.zeros((0, self.dimension), np.float32)
        if len(out):
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress:
            progress(len(texts))
        return out


@pytest.fixture(scope="module")
def long_record_site(tmp_path_factory, encoder):
    """An index of a commitments export whose one record holds 2.4 million characters, served."""
    from indexer.build import build_index
    from indexer.settings import Settings
    from search import Searcher

    root = tmp_path_factory.mktemp("long-record")
    corpus = root / "corpus"
    corpus.mkdir()
    body = _text(2_400_000).replace("\n", " ").replace(",", " ")
    cut = body.index(" ", 1_500_000)
    body = body[:cut] + " The Quillmere registry publishes every tribunal fee waiver." + body[cut:]
    (corpus / "commitments.csv").write_text(
        "Commitment Unique Identifier,Commitment Title,Full Text\n"
        "ZZ0001,A very long record," + body + "\n"
        "UY0068,Open court rulings,The Tribunal publishes every ruling online.\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", max_document_chars=3_000_000,
                        translate_questions="off")
    cheap = _CheapEncoder(encoder)
    build_index(settings, progress=False, encoder=cheap)
    searcher = Searcher(settings.index_dir, settings, encoder=cheap)
    demo = app.build_app(searcher, corpus)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        yield searcher, client, f"http://127.0.0.1:{port}/"
    demo.close()
    searcher.close()


def test_the_page_of_results_and_the_source_pages_stay_small_and_reach_the_end(long_record_site, tmp_path):
    from webui.page import PageHandlers

    searcher, client, _ = long_record_site
    handlers = PageHandlers(searcher, searcher.facets(), tmp_path)
    summary, cards, *_ = handlers.search("Quillmere registry tribunal fee waiver", 10, [], [], "", "", [], [], [])
    top = searcher.search("Quillmere registry tribunal fee waiver", 10)[0]
    document = searcher.document_text(top.document_id)
    assert top.provenance.commitment_id == "ZZ0001" and len(document.encode()) > 2_000_000
    # Ten cards, several of them from the 2.4 MB record: the answer is a few pages' worth, not megabytes.
    assert "Quillmere" in cards and len(cards.encode()) + len(summary.encode()) < 12 * (SOURCE_PAGE_CHARS + 4_000)

    first = re.search(r'<div class="jx-source-body" data-doc="(\d+)">', cards)
    assert int(first.group(1)) == top.document_id
    number = page_of(document, top.char_start)
    count = source_page(document, 1).count
    # From the passage's page, "next" to the end and "previous" to the start, as the card's links go.
    href = re.search(r'<a class="jx-source-page" rel="next" href="([^"]+)"', cards).group(1)
    pages: dict[int, str] = {}
    for direction in ("next", "prev"):
        link = html.unescape(href) if direction == "next" else html.unescape(
            re.search(r'<a class="jx-source-page" rel="prev" href="([^"]+)"', cards).group(1))
        while link:
            response = client.get("/" + link + "&part=1")
            assert response.status_code == 200 and len(response.content) < SOURCE_PAGE_CHARS + 4_000
            shown = int(re.search(r'data-page="(\d+)" data-pages="(\d+)"', response.text).group(1))
            pages[shown] = _shown_text(response.text)
            found = re.search(rf'<a class="jx-source-page" rel="{direction}" href="([^"]+)"', response.text)
            link = html.unescape(found.group(1)) if found else None
    pages[number] = _shown_text(cards[first.start():])
    assert sorted(pages) == list(range(1, count + 1))
    # Put end to end, the pages are the record (the passage's page may run on to the passage's end).
    rebuilt = "".join(pages[n][: source_page(document, n).end - source_page(document, n).start]
                      for n in range(1, count + 1))
    assert rebuilt == document

    # The page on its own (a new tab, without scripts): the passage marked when its page comes round.
    response = client.get(f"/source/{top.document_id}", params={"start": top.char_start, "end": top.char_end})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert len(response.content) < SOURCE_PAGE_CHARS + 6_000
    assert f"Page {number} of {count} of this text" in response.text and "Quillmere" in response.text
    assert '<span class="jx-here">' in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    last = client.get(f"/source/{top.document_id}", params={"page": count + 9, "ui": "fr"})
    assert f"Page {count} sur {count} de ce texte" in last.text and 'rel="next"' not in last.text
    assert client.get("/source/999999").status_code == 404
    assert client.get("/source/abc").status_code == 404


def test_a_cards_previous_and_next_links_page_through_the_record_in_the_card(long_record_site):
    """In a browser the links fetch the page into the card (no new tab); back on the passage's page
    the passage and its best sentence are marked again."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import shutil

    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("no chromium on PATH")
    searcher, _, url = long_record_site
    top = searcher.search("Quillmere registry tribunal fee waiver", 10)[0]
    document = searcher.document_text(top.document_id)
    number, count = page_of(document, top.char_start), source_page(document, 1).count
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = browser.new_context()
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(url + "?q=Quillmere+registry+tribunal+fee+waiver")
        card = page.locator("#result-1")
        card.locator("details.jx-source summary").click()
        where = card.locator(".jx-source-where").first
        assert where.inner_text() == f"Page {number} of {count} of this text"
        assert card.locator(".jx-doc .jx-here mark").count() == 1
        card.locator("a.jx-source-page[rel=next]").first.click()
        page.wait_for_function("(n) => document.querySelector('#result-1 .jx-source-where').innerText"
                               ".startsWith('Page ' + n + ' ')", arg=number + 1)
        shown = card.locator(".jx-doc").inner_text()
        page_after = source_page(document, number + 1)
        assert shown.split()[:20] == document[page_after.start:page_after.end].split()[:20]
        assert len(context.pages) == 1  # shown in the card, not in a new tab
        card.locator("a.jx-source-page[rel=prev]").first.click()
        page.wait_for_function("(n) => document.querySelector('#result-1 .jx-source-where').innerText"
                               ".startsWith('Page ' + n + ' ')", arg=number)
        assert card.locator(".jx-doc .jx-here mark").inner_text() == top.best_sentence
        browser.close()
