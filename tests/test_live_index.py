"""A running app serves each new generation a build writes, without a restart (search/live.py):
the new documents are found within seconds, a request that started on the old generation finishes
on it, and a generation that cannot be opened leaves the old one serving. Real model, real builds,
and the JSON API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.settings import Settings
from search import LiveSearcher, Searcher

NEW_PLACE = "Velmora"
NEW_QUESTION = "Velmora district court help desk"
DOCUMENTS = {
    "legal-aid.md": "# Legal aid\n\n## Eligibility\n\nLegal aid is free for people whose income is below the "
                    "national minimum wage. Paralegals screen applicants in every district office.\n",
    "courts.md": "# Open courts\n\n## Publishing judgments\n\nEvery judgment of the appeal courts is published "
                 "online within thirty days, with personal data removed.\n",
    "prisons.md": "# Prisons\n\n## Pre-trial detention\n\nPeople held before trial see a judge within 48 hours; "
                  "the prison service reports overcrowding every quarter.\n",
}


def _add_document(corpus: Path, n: int) -> str:
    name = f"added-{n}.md"
    (corpus / name).write_text(
        f"# Court help desks {n}\n\n## {NEW_PLACE}\n\nThe {NEW_PLACE} district court opened help desk number {n} "
        "for people without a lawyer, with legal aid screening on the spot.\n", encoding="utf-8")
    return name


@pytest.fixture
def site(tmp_path, encoder):
    """A small corpus and its first generation -> (settings, corpus, index)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=index)
    build_index(settings, progress=False, encoder=encoder)
    return settings, corpus, index


def _finds_new_place(searcher: Searcher) -> bool:
    return any(NEW_PLACE in hit.text for hit in searcher.search(NEW_QUESTION, 3))


def _closed(searcher: Searcher) -> bool:
    try:
        searcher.reader.db.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_a_rebuild_is_served_within_seconds_with_its_generation(site, encoder):
    settings, corpus, index = site
    first = Searcher(index, settings, encoder=encoder)
    live = LiveSearcher(first, owned=False, check_seconds=0.2)
    try:
        with live.use() as searcher:
            assert searcher is first and searcher.manifest.generation == 1 and not _finds_new_place(searcher)
        _add_document(corpus, 1)
        build_index(settings, progress=False, encoder=encoder)
        built = time.monotonic()
        while True:
            with live.use() as searcher:
                generation, found = searcher.manifest.generation, _finds_new_place(searcher)
            if generation == 2 or time.monotonic() - built > 10:
                break
            time.sleep(0.05)
        waited = time.monotonic() - built
        assert generation == 2 and found, f"generation {generation} after {waited:.1f} s"
        assert waited < 3
        assert live.generation == 2 and live.current is not first and live.current.encoder is encoder
        assert "added-1.md" in live.sources() and "added-1.md" not in first.sources()
        # The Searcher it was given belongs to its maker: replaced, but left open.
        assert not _closed(first)
    finally:
        live.close()
        first.close()


def test_a_request_that_started_on_the_old_generation_finishes_on_it(site, encoder):
    settings, corpus, index = site
    live = LiveSearcher(Searcher(index, settings, encoder=encoder), check_seconds=0)
    try:
        with live.use() as old:
            hits = old.search("legal aid eligibility", 2)
            _add_document(corpus, 1)
            build_index(settings, progress=False, encoder=encoder)
            assert live.check()  # swapped in while this request still holds the old one
            seen = {}
            other = threading.Thread(target=lambda: seen.update(g=_generation_in_use(live)))
            other.start()
            other.join()
            assert seen["g"] == 2
            # The same request, still on generation 1: it reads on, and its parts agree.
            with live.use() as inner:
                assert inner is old
            assert old.manifest.generation == 1 and not _closed(old)
            assert not _finds_new_place(old)
            assert [h.chunk_id for h in old.search("legal aid eligibility", 2)] == [h.chunk_id for h in hits]
            assert "Legal aid is free" in old.document_text(hits[0].document_id)
        # Let go by the last request that held it, the replaced generation is closed.
        assert _closed(old)
        with live.use() as new:
            assert new.manifest.generation == 2 and _finds_new_place(new)
    finally:
        live.close()
    assert _closed(new)


def _generation_in_use(live: LiveSearcher) -> int:
    with live.use() as searcher:
        return searcher.manifest.generation


def test_searches_during_two_rebuilds_all_succeed_each_from_one_generation(site, encoder):
    """Four threads search without pause while two builds swap generations: no error, no closed
    reader, and every answer is the one its generation gives."""
    settings, corpus, index = site
    live = LiveSearcher(Searcher(index, settings, encoder=encoder), check_seconds=0.05)
    stop, errors, answers = threading.Event(), [], {}
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            try:
                with live.use() as searcher:
                    hits = searcher.search(NEW_QUESTION, 3)
                    texts = tuple((h.chunk_id, h.text, len(searcher.document_text(h.document_id))) for h in hits)
                    generation = searcher.manifest.generation
                with lock:
                    answers.setdefault(generation, set()).add(texts)
            except Exception as exc:  # noqa: BLE001 - every failure is the test's to report
                errors.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for n in (1, 2):
            time.sleep(0.5)
            _add_document(corpus, n)
            build_index(settings, progress=False, encoder=encoder)
        deadline = time.monotonic() + 10
        while 3 not in answers and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
        live.close()
    assert not errors, errors[:3]
    assert set(answers) == {1, 2, 3}
    # One answer per generation: no answer mixed two of them.
    assert all(len(seen) == 1 for seen in answers.values()), {g: len(s) for g, s in answers.items()}
    assert sum(NEW_PLACE in text for _, text, _ in next(iter(answers[2]))) == 1
    assert any(NEW_PLACE in text for _, text, _ in next(iter(answers[3]))) and answers[3] != answers[2]


def _swap_manifest(index: Path, **changes) -> None:
    """A new manifest naming the current files with ``changes`` (a damaged or foreign generation)."""
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(changes)
    tmp = index / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest), encoding="utf-8")
    os.replace(tmp, index / "manifest.json")


def test_a_generation_that_cannot_be_opened_leaves_the_old_one_serving(site, encoder, caplog):
    settings, corpus, index = site
    live = LiveSearcher(Searcher(index, settings, encoder=encoder), check_seconds=0)
    caplog.set_level(logging.INFO, logger="search.live")
    try:
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        _swap_manifest(index, generation=2, faiss_bytes=manifest["faiss_bytes"] + 1)
        for _ in range(3):
            assert not live.check()
            with live.use() as searcher:
                assert searcher.manifest.generation == 1 and searcher.search("legal aid", 1)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings  # said once, not at every request
        assert "still serving generation 1" in warnings[0] and "bytes" in warnings[0]

        _swap_manifest(index, generation=3, faiss_bytes=manifest["faiss_bytes"], model="another/model",
                       dimension=768)
        assert not live.check() and live.generation == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2 and "another/model" in warnings[1] and "restart" in warnings[1]

        # The next good build is served (the good manifest put back first, as a repair would).
        _swap_manifest(index, **manifest)
        _add_document(corpus, 1)
        build_index(settings, progress=False, encoder=encoder)
        assert live.check()
        with live.use() as searcher:
            assert searcher.manifest.generation == 2 and _finds_new_place(searcher)
    finally:
        live.close()


def test_the_api_and_the_page_answer_from_a_rebuilt_index(site, encoder, tmp_path):
    """Over HTTP: /api/search names the new generation and finds the new document, the new file is
    served from /corpus and its text from /source once its generation is served; the page's search
    finds it too."""
    httpx = pytest.importorskip("httpx")
    import app
    from tests.test_api import free_port
    from webui.page import PageHandlers

    settings, corpus, index = site
    searcher = Searcher(index, settings, encoder=encoder)
    demo = app.build_app(searcher, corpus)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            before = client.get("/api/search", params={"q": NEW_QUESTION, "k": 3}).json()
            assert before["index"]["generation"] == 1
            assert not any(NEW_PLACE in r["text"] for r in before["results"])
            assert client.get("/corpus/added-1.md").status_code == 404
            _add_document(corpus, 1)
            build_index(settings, progress=False, encoder=encoder)
            built = time.monotonic()
            while True:
                answer = client.get("/api/search", params={"q": NEW_QUESTION, "k": 3}).json()
                if answer["index"]["generation"] == 2 or time.monotonic() - built > 15:
                    break
                time.sleep(0.2)
            assert answer["index"]["generation"] == 2, answer["index"]
            assert time.monotonic() - built < 5
            new = [r for r in answer["results"] if NEW_PLACE in r["text"]]
            assert new and new[0]["source"] == "added-1.md"
            compared = client.get("/api/compare", params={"q": "legal aid"}).json()
            assert compared["index"]["generation"] == 2
            served = client.get("/corpus/added-1.md")
            assert served.status_code == 200 and NEW_PLACE in served.text
            with demo.live.use() as served_now:
                document_id = next(h.document_id for h in served_now.search(NEW_QUESTION, 3) if NEW_PLACE in h.text)
            document = client.get(f"/source/{document_id}", params={"part": "1"})
            assert document.status_code == 200 and NEW_PLACE in document.text
        page = PageHandlers(searcher, searcher.facets(), tmp_path / "exports")
        (tmp_path / "exports").mkdir()
        try:
            _, cards, results = page.search(NEW_QUESTION, 3, [], [], "", "", [], [], [])[:3]
        finally:
            page.live.close()
        assert NEW_PLACE in cards and results[0]["source"] == "added-1.md"
    finally:
        demo.close()
        searcher.close()


@pytest.mark.skipif(not __import__("shutil").which("apertium"), reason="needs Apertium (apt-get install apertium)")
def test_a_new_generation_keeps_the_warm_translation_pipelines(tmp_path, encoder):
    """The Apertium pipelines carry over to the new generation (no new processes, the cache kept),
    and stop only when the newest generation is closed."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "courts.md").write_text(DOCUMENTS["courts.md"], encoding="utf-8")
    (corpus / "mediacion.md").write_text(
        "# Mediación\n\nLos centros de mediación comunitaria resuelven conflictos vecinales sin acudir a los "
        "tribunales.\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=index)
    build_index(settings, progress=False, encoder=encoder)
    first = Searcher(index, settings, encoder=encoder)
    live = LiveSearcher(first, owned=True, check_seconds=0.0)
    try:
        with live.use() as searcher:
            searcher.search("community mediation centres", 3)
        translator = first.translator
        assert translator is not None
        pid = translator.pipeline_pid("en", "es")
        assert pid is not None
        _add_document(corpus, 1)
        build_index(settings, progress=False, encoder=encoder)
        deadline = time.monotonic() + 10
        while live.generation != 2 and time.monotonic() < deadline:
            with live.use() as searcher:
                searcher.search("community mediation centres", 3)
        with live.use() as searcher:
            assert searcher.manifest.generation == 2
            assert searcher.translator is translator and searcher.owns_translator
            searcher.search("community mediation centres", 3)
        assert _closed(first) and not first.owns_translator
        assert translator.pipeline_pid("en", "es") == pid  # the same warm process
    finally:
        live.close()
    assert translator.pipeline_pid("en", "es") is None


NEW_COUNTRY = "Velmoria"


def test_the_page_filters_offer_a_country_a_rebuild_added(site, encoder, tmp_path):
    """The filter dropdowns' choices follow the generation served: after a build adds a document from
    a new country, a page opened without a restart offers that country (and a shared address naming
    it keeps it rather than ignoring it); before the build nothing was sent."""
    from types import SimpleNamespace

    from starlette.datastructures import QueryParams

    from webui.page import FORM, PageHandlers

    settings, corpus, index = site
    first = Searcher(index, settings, encoder=encoder)
    live = LiveSearcher(first, owned=False, check_seconds=0.2)
    (tmp_path / "exports").mkdir()
    page = PageHandlers(live, live.facets(), tmp_path / "exports")
    at = 1 + FORM.index("f_country")  # on_load's outputs: the language, then the form

    def load(query: str = "") -> list:
        return page.on_load([], SimpleNamespace(query_params=QueryParams(query), headers={}))

    try:
        assert NEW_COUNTRY not in live.facets()["country"]
        assert load()[at] == {"__type__": "update"}  # nothing changes: no choices sent
        (corpus / "velmoria.md").write_text(
            f"---\ncountry: {NEW_COUNTRY}\n---\n# Court help desks\n\n## {NEW_PLACE}\n\nThe {NEW_PLACE} district "
            "court opened a help desk for people without a lawyer.\n", encoding="utf-8")
        build_index(settings, progress=False, encoder=encoder)
        built = time.monotonic()
        while live.generation != 2 and time.monotonic() - built < 10:
            live.check()
            time.sleep(0.1)
        assert live.generation == 2
        country = load()[at]
        offered = [value for _, value in country["choices"]]  # (name in the reader's language, value)
        assert NEW_COUNTRY in offered and "value" not in country
        assert set(live.facets()["country"]) <= set(offered)
        shared = load(f"q={NEW_QUESTION}&country={NEW_COUNTRY}")
        assert shared[at]["value"] == [NEW_COUNTRY] and (NEW_COUNTRY, NEW_COUNTRY) in shared[at]["choices"]
        cards = shared[1 + len(FORM) + 1]
        assert NEW_PLACE in cards and "jx-notice" not in cards  # found, and the country not ignored
    finally:
        live.close()
        first.close()
