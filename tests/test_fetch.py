"""Fetching the official sources: against a real HTTP server on 127.0.0.1 started here, serving the
team's fixture pages (tests/fixtures_fetch/) and PDFs made with fpdf2. No test touches the internet.

The server honours If-None-Match (304), and serves on purpose a 500, a slow answer, a redirect and
oversized bodies. The tests check that the first fetch downloads, the second makes conditional
requests and changes nothing, a changed document is re-fetched and re-indexed, and failures are
reported and lose nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import make_pdf

from indexer.build import build_index
from indexer.fetch import (
    FetchError,
    Source,
    SourcesError,
    add_document,
    fetch_sources,
    find_pdf_link,
    guess_kind,
    load_sources,
    parse_commitment_page,
)
from indexer.loaders import load_file
from indexer.settings import Settings
from indexer.store import IndexReader

FIXTURES = Path(__file__).parent / "fixtures_fetch"
REPO = Path(__file__).resolve().parent.parent

# Fast and bounded: no politeness delay, tiny back-off, short time-outs, a small size cap.
FAST = dict(rate=0.0, retries=2, backoff=0.01, timeout=0.5, max_bytes=200_000, progress=False)

LANDING = "/documents/justice-policy-series-part-i-access-to-justice"
PDF = "/wp-content/uploads/2019/11/Justice-Policy-Series-Part-I-Access-to-Justice.pdf"
COMMITMENT = "/members/north-macedonia/commitments/MK0164/"
GUIDE = "/open-gov-guide/justice-access-to-justice/"
OLD_GUIDE = "/old/justice-guide"  # 301 -> GUIDE

PDF_V1 = [
    "Access to justice begins with people's everyday legal problems. The Zanthorp survey counted "
    "disputes over land, work and family in every district.",
    "One-stop legal help centres and community paralegals resolve problems early and cheaply.",
]
PDF_V2 = [
    "Access to justice begins with people's everyday legal problems. The Quelbrook survey counted "
    "disputes over land, work and family in every district.",
    "One-stop legal help centres and community paralegals resolve problems early and cheaply.",
]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Any connection to an address other than this machine's loopback fails the test."""
    connect = socket.socket.connect

    def guarded(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"a test tried to reach {address}: only 127.0.0.1 is allowed")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# --------------------------------------------------------------------------------------------
# The local server


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?")[0]
        self.server.log.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(path)
        if route is None:
            self._send(404, b"not found", "text/plain")
            return
        mode = route.get("mode", "ok")
        if mode == "500":
            self._send(500, b"server error", "text/plain")
        elif mode == "slow":
            time.sleep(2.0)  # past the client's 0.5 s time-out
            self._send(200, route.get("body", b"late"), route.get("type", "text/plain"))
        elif mode == "redirect":
            self.send_response(301)
            self.send_header("Location", route["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "big-declared":  # says up front it is too large
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            self.wfile.write(b"%PDF-1.4\n" + b"0" * 1000)
        elif mode == "big-stream":  # no length given: the client must stop at its cap
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()
            self.wfile.write(b"%PDF-1.4\n")
            for _ in range(64):
                self.wfile.write(b"0" * 16_384)  # 1 MiB in all
        else:
            body = route["body"]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            validators = {} if mode == "no-validators" else {
                "ETag": etag, "Last-Modified": "Wed, 20 Nov 2019 10:00:00 GMT"}
            self._send(200, body, route.get("type", "text/html; charset=utf-8"), validators)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, dict] = {}
        self.log: list[tuple[str, dict]] = []

    def handle_error(self, request, client_address) -> None:  # client hung up on purpose (caps, time-outs)
        pass

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def hits(self, path: str) -> list[dict]:
        return [headers for p, headers in self.log if p == path]


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _pdf_bytes(tmp_path: Path, pages: list[str], name: str) -> bytes:
    return make_pdf(tmp_path / "made" / name, pages, title="Justice Policy Series, Part I").read_bytes()


def _serve_site(server: _Server, tmp_path: Path) -> None:
    server.routes.update({
        LANDING: {"body": (FIXTURES / "report-landing.html").read_bytes()},
        PDF: {"body": _pdf_bytes(tmp_path, PDF_V1, "v1.pdf"), "type": "application/pdf"},
        COMMITMENT: {"body": (FIXTURES / "commitment-MK0164.html").read_bytes()},
        GUIDE: {"body": (FIXTURES / "guide-chapter.html").read_bytes()},
        OLD_GUIDE: {"mode": "redirect", "to": GUIDE},
    })


def _site_sources(server: _Server) -> list[Source]:
    return [
        Source(server.url(LANDING), "report", policy_area="Access to Justice", language="en"),
        Source(server.url(COMMITMENT), "commitment", country="North Macedonia"),
        Source(server.url(GUIDE), "guide"),
        Source(server.url(OLD_GUIDE), "page", name="justice-guide-moved"),
    ]


def _snapshot(corpus: Path) -> dict[str, tuple[int, bytes]]:
    """Every visible file under the corpus with its mtime and bytes."""
    return {p.relative_to(corpus).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(corpus.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def _sidecar(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".source.json").read_text(encoding="utf-8"))


def _all_chunks(index: Path):
    reader = IndexReader(index)
    try:
        ids = [r[0] for r in reader.db.execute("SELECT id FROM chunks")]
        return list(reader.chunks_by_id(ids).values())
    finally:
        reader.close()


def _no_temp_files(corpus: Path) -> bool:
    return not [p for p in corpus.rglob("*") if p.name.endswith(".part")]


# --------------------------------------------------------------------------------------------
# The round trip: download, conditional re-fetch, change, re-index


def test_fetch_conditional_refetch_and_change_reindexed(server, tmp_path, encoder):
    _serve_site(server, tmp_path)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    sources = _site_sources(server)
    settings = Settings(corpus_dir=corpus, index_dir=index)

    # 1. First fetch downloads everything.
    first = fetch_sources(sources, corpus, **FAST)
    assert first.failed == []
    assert sorted(first.new) == sorted(s.url for s in sources)
    pdf = corpus / "fetched/report/justice-policy-series-part-i-access-to-justice.pdf"
    csv_path = corpus / "fetched/commitment/MK0164.csv"
    guide = corpus / "fetched/guide/justice-access-to-justice.html"
    moved = corpus / "fetched/page/justice-guide-moved.html"
    for path in (pdf, csv_path, guide, moved):
        assert path.is_file(), path
    assert pdf.read_bytes() == server.routes[PDF]["body"]

    meta = _sidecar(pdf)
    assert meta["url"] == server.url(PDF)  # citations link to the PDF itself (#page=N works)
    assert meta["landing_page"] == server.url(LANDING)
    assert meta["title"] == "Justice Policy Series, Part I: Access to Justice"
    assert meta["year"] == 2019 and meta["language"] == "en"
    assert meta["etag"].startswith('"') and meta["last_modified"]
    assert meta["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert meta["landing_etag"] and meta["fetched_at"]
    assert _sidecar(moved)["url"] == server.url(GUIDE)  # the redirect was followed
    assert _sidecar(moved)["source_url"] == server.url(OLD_GUIDE)
    assert all(h.get("user-agent", "").startswith("ogp-justice-search/") for _, h in server.log)

    # The commitment page became a one-row CSV in the official export's columns.
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["Commitment Unique Identifier"] == "MK0164"
    assert row["Country/Locality"] == "North Macedonia"
    assert row["Commitment Title"] == "Improving access to free legal aid"
    assert row["Lead Institution"] == "Ministry of Justice"
    assert row["Action Plan Number"] == "North Macedonia Action Plan 2021-2023"
    assert row["Year Of Submission"] == "2021" and row["Action Plan End Year"] == "2023"
    assert row["Access to Justice"] == row["Justice"] == row["Legislation"] == "1"
    assert row["Open Justice"] == "0"
    assert row["Potential Impact"] == "Moderate" and row["Completion (End Of Term)"] == "Substantial"
    assert row["Status"] == "Active" and row["URL"] == server.url(COMMITMENT)
    assert "quarterly open data on legal aid requests" in row["Full Text"]

    built = build_index(settings, progress=False, encoder=encoder)
    assert built.failed == [] and len(built.added) == 4

    chunks = _all_chunks(index)
    report_chunks = [c for c in chunks if c.provenance.source == pdf.relative_to(corpus).as_posix()]
    assert {c.provenance.page for c in report_chunks} == {1, 2}
    assert all(c.provenance.url == server.url(PDF) for c in report_chunks)
    assert report_chunks[0].provenance.title == "Justice Policy Series, Part I: Access to Justice"
    commitment = next(c for c in chunks if c.provenance.kind == "commitment")
    assert commitment.provenance.commitment_id == "MK0164"
    assert commitment.provenance.country == "North Macedonia"
    assert commitment.provenance.url == server.url(COMMITMENT)
    assert commitment.provenance.year == 2021
    assert "Access to Justice" in commitment.provenance.policy_areas
    assert commitment.provenance.metadata["lead_institution"] == "Ministry of Justice"
    guide_chunks = [c for c in chunks if c.provenance.source == "fetched/guide/justice-access-to-justice.html"]
    assert guide_chunks and all(c.provenance.url == server.url(GUIDE) for c in guide_chunks)

    from search import Searcher

    searcher = Searcher(index, settings, encoder=encoder)
    try:
        hit = next(h for h in searcher.search("Zanthorp survey", k=5) if h.provenance.kind == "report")
        assert hit.link == server.url(PDF) + "#page=1"  # the citation points home, to the page
    finally:
        searcher.close()

    # 2. Second fetch: conditional requests, nothing changes.
    before = _snapshot(corpus)
    server.log.clear()
    second = fetch_sources(sources, corpus, **FAST)
    assert (second.new, second.updated, second.failed) == ([], [], [])
    assert sorted(second.unchanged) == sorted(s.url for s in sources)
    for path in (LANDING, PDF, COMMITMENT, GUIDE):
        requests = server.hits(path)
        assert requests and all(h.get("if-none-match") for h in requests), path
        assert all(h.get("if-modified-since") for h in requests), path
    assert _snapshot(corpus) == before  # not a byte rewritten, not even a sidecar
    assert build_index(settings, progress=False, encoder=encoder).up_to_date

    # 3. The report's PDF changes on the server: re-fetched, re-indexed; the rest stays as it was.
    server.routes[PDF]["body"] = _pdf_bytes(tmp_path, PDF_V2, "v2.pdf")
    third = fetch_sources(sources, corpus, **FAST)
    assert third.updated == [server.url(LANDING)]
    assert len(third.unchanged) == 3 and third.failed == []
    assert pdf.read_bytes() == server.routes[PDF]["body"]
    assert _sidecar(pdf)["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    after = _snapshot(corpus)
    assert {k for k in after if after[k] != before[k]} == {pdf.relative_to(corpus).as_posix(),
                                                          pdf.relative_to(corpus).as_posix() + ".source.json"}
    rebuilt = build_index(settings, progress=False, encoder=encoder)
    assert rebuilt.changed == [pdf.relative_to(corpus).as_posix()] and rebuilt.added == []
    texts = " ".join(c.text for c in _all_chunks(index))
    assert "Quelbrook" in texts and "Zanthorp" not in texts
    searcher = Searcher(index, settings, encoder=encoder)
    try:
        hits = searcher.search("Quelbrook survey", k=3)
        assert hits and "Quelbrook" in hits[0].text and hits[0].link == server.url(PDF) + "#page=1"
    finally:
        searcher.close()


# --------------------------------------------------------------------------------------------
# Failures


def test_failures_are_reported_retried_and_lose_nothing(server, tmp_path):
    pdf_body = _pdf_bytes(tmp_path, PDF_V1, "flaky.pdf")
    server.routes.update({
        "/files/flaky.pdf": {"body": pdf_body, "type": "application/pdf"},
        "/fail": {"mode": "500"},
        "/slow": {"mode": "slow"},
        "/big.pdf": {"mode": "big-stream"},
        "/big-declared.pdf": {"mode": "big-declared"},
        "/missing.pdf": None,
    })
    del server.routes["/missing.pdf"]
    corpus = tmp_path / "corpus"
    flaky = Source(server.url("/files/flaky.pdf"), "pdf")
    broken = [Source(server.url(p), "pdf") for p in ("/fail", "/slow", "/big.pdf", "/big-declared.pdf", "/missing.pdf")]

    started = time.monotonic()
    report = fetch_sources([flaky, *broken], corpus, **FAST)
    assert report.new == [flaky.url]
    reasons = dict(report.failed)
    assert set(reasons) == {s.url for s in broken}
    assert "HTTP 500" in reasons[server.url("/fail")] and "3 attempts" in reasons[server.url("/fail")]
    assert len(server.hits("/fail")) == 3  # the first try and FAST's 2 retries
    assert "timed out" in reasons[server.url("/slow")]
    assert "too large" in reasons[server.url("/big.pdf")] and "cap" in reasons[server.url("/big.pdf")]
    assert "too large" in reasons[server.url("/big-declared.pdf")]
    assert "HTTP 404" in reasons[server.url("/missing.pdf")]
    assert len(server.hits("/missing.pdf")) == 1  # a 404 is not retried
    assert len(server.hits("/big-declared.pdf")) == 1  # nor is a body over the cap
    assert "FAILED" in report.summary() and "5 failed" in report.summary()
    held = corpus / "fetched/pdf/flaky.pdf"
    assert sorted(p.name for p in held.parent.iterdir()) == ["flaky.pdf", "flaky.pdf.source.json"]
    assert _no_temp_files(corpus)

    # The source that worked now fails in every way: the copy already held stays intact.
    before = _snapshot(corpus)
    for mode in ("500", "slow", "big-stream", "big-declared"):
        server.routes["/files/flaky.pdf"] = {"mode": mode}
        again = fetch_sources([flaky], corpus, **FAST)
        assert [u for u, _ in again.failed] == [flaky.url], mode
        assert again.files[flaky.url] == "fetched/pdf/flaky.pdf"
        assert "kept the copy already held" in again.summary()
        assert _snapshot(corpus) == before, mode
        assert _no_temp_files(corpus)
    # A page that is not a PDF where a PDF is expected (a login or error page) fails too.
    server.routes["/files/flaky.pdf"] = {"body": b"<html><body>Please log in</body></html>"}
    again = fetch_sources([flaky], corpus, **FAST)
    assert "not a PDF" in dict(again.failed)[flaky.url] and _snapshot(corpus) == before
    assert time.monotonic() - started < 15


def test_same_body_without_validators_is_unchanged_and_not_rewritten(server, tmp_path):
    """A server that sends no ETag/Last-Modified (so never a 304): the checksum decides."""
    server.routes[GUIDE] = {"body": (FIXTURES / "guide-chapter.html").read_bytes(), "mode": "no-validators"}
    corpus = tmp_path / "corpus"
    source = Source(server.url(GUIDE), "guide")
    assert fetch_sources([source], corpus, **FAST).new == [source.url]
    before = _snapshot(corpus)
    again = fetch_sources([source], corpus, **FAST)
    assert again.unchanged == [source.url] and _snapshot(corpus) == before
    assert not any(h.get("if-none-match") or h.get("if-modified-since") for h in server.hits(GUIDE))
    # A difference the index cannot see (a script's nonce) is no change either.
    server.routes[GUIDE]["body"] = server.routes[GUIDE]["body"].replace(
        b"<style>", b"<script>var nonce = 'a81f';</script><style>")
    assert fetch_sources([source], corpus, **FAST).unchanged == [source.url] and _snapshot(corpus) == before
    server.routes[GUIDE]["body"] = server.routes[GUIDE]["body"].replace(b"Ombrellan", b"Tessivar")
    assert fetch_sources([source], corpus, **FAST).updated == [source.url]
    assert b"Tessivar" in (corpus / "fetched/guide/justice-access-to-justice.html").read_bytes()


def test_landing_page_without_pdf_link_fails_and_keeps_copy(server, tmp_path):
    _serve_site(server, tmp_path)
    corpus = tmp_path / "corpus"
    source = Source(server.url(LANDING), "report")
    assert fetch_sources([source], corpus, **FAST).new == [source.url]
    before = _snapshot(corpus)
    server.routes[LANDING] = {"body": b"<html><body><h1>Moved</h1><a href='/about/'>About</a></body></html>"}
    report = fetch_sources([source], corpus, **FAST)
    assert "no PDF link" in dict(report.failed)[source.url]
    assert _snapshot(corpus) == before


def test_redirect_to_a_host_not_in_the_sources_is_refused(server, tmp_path):
    """A page must not send the fetcher anywhere it likes: a redirect is followed only to a host the
    sources name (here 127.0.0.1, as for the moved guide page) or to one the allow-list names."""
    _serve_site(server, tmp_path)
    port = server.server_address[1]
    server.routes["/elsewhere"] = {"mode": "redirect", "to": f"http://localhost:{port}{GUIDE}"}
    corpus = tmp_path / "corpus"
    away = Source(server.url("/elsewhere"), "page", name="away")
    moved = Source(server.url(OLD_GUIDE), "page", name="justice-guide-moved")
    report = fetch_sources([away, moved], corpus, **FAST)
    reason = dict(report.failed)[away.url]
    assert "redirected to the host localhost" in reason and "fetch_allowed_hosts" in reason
    assert report.new == [moved.url]  # a redirect within the sources' hosts is followed
    assert server.hits(GUIDE) == [server.hits(GUIDE)[0]]  # only the moved page's: localhost was never asked
    assert not (corpus / "fetched/page/away.html").exists()
    allowed = fetch_sources([away], corpus, allowed_hosts=["LocalHost"], **FAST)
    assert allowed.new == [away.url]
    assert b"Ombrellan" in (corpus / "fetched/page/away.html").read_bytes()
    # A redirect loop ends with a reason, not a hang.
    server.routes["/loop"] = {"mode": "redirect", "to": "/loop"}
    looping = fetch_sources([Source(server.url("/loop"), "page")], corpus, **FAST)
    assert "too many redirects" in looping.failed[0][1]


# --------------------------------------------------------------------------------------------
# Options: --only, --since; the command line


def test_only_and_since_skip_sources(server, tmp_path):
    _serve_site(server, tmp_path)
    corpus = tmp_path / "corpus"
    sources = _site_sources(server)
    only = fetch_sources(sources, corpus, only="commitment", **FAST)
    assert only.new == [server.url(COMMITMENT)] and len(only.skipped) == 3
    assert not (corpus / "fetched/report").exists()

    fetch_sources(sources, corpus, **FAST)
    server.log.clear()
    recent = fetch_sources(sources, corpus, since=date.today(), **FAST)  # all checked today: skip all
    assert sorted(recent.skipped) == sorted(s.url for s in sources) and server.log == []
    later = fetch_sources(sources, corpus, since=(date.today() + timedelta(days=1)).isoformat(), **FAST)
    assert len(later.unchanged) == 4 and server.log
    with pytest.raises(FetchError, match="--since"):
        fetch_sources(sources, corpus, since="last tuesday", **FAST)
    with pytest.raises(FetchError, match="unknown kind"):
        fetch_sources(sources, corpus, only="video", **FAST)


def test_cli_fetch_reports_and_exit_status(server, tmp_path, encoder, monkeypatch, capsys):
    from indexer.__main__ import main

    monkeypatch.setattr("indexer.build.load_encoder", lambda settings: encoder)
    _serve_site(server, tmp_path)
    server.routes["/fail"] = {"mode": "500"}
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    manifest = corpus / "sources.toml"
    manifest.write_text(
        f'[[source]]\nurl = "{server.url(COMMITMENT)}"\nkind = "commitment"\ncountry = "North Macedonia"\n\n'
        f'[[source]]\nurl = "{server.url(GUIDE)}"\nkind = "guide"\n', encoding="utf-8")
    flags = ["--corpus", str(corpus), "--index", str(index), "--quiet", "--rate", "0", "--retries", "0",
             "--timeout", "2"]
    assert main(["fetch", *flags, "--build"]) == 0
    out = capsys.readouterr().out
    assert "2 new, 0 updated, 0 unchanged, 0 failed" in out and "2 added" in out
    assert any(c.provenance.commitment_id == "MK0164" for c in _all_chunks(index))

    with manifest.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[[source]]\nurl = "{server.url("/fail")}"\nkind = "pdf"\n')
    assert main(["fetch", *flags]) == 1
    out = capsys.readouterr().out
    assert "0 new, 0 updated, 2 unchanged, 1 failed" in out and "HTTP 500" in out

    manifest.write_text('[[source]]\nurl = "https://example.org/x"\nkind = "video"\n', encoding="utf-8")
    assert main(["fetch", *flags]) == 2
    assert "video" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["fetch", "--help"])
    assert exited.value.code == 0 and "examples:" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# add


def test_cli_add_local_file_indexes_it(tmp_path, encoder, monkeypatch, capsys):
    from indexer.__main__ import main

    monkeypatch.setattr("indexer.build.load_encoder", lambda settings: encoder)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    note = tmp_path / "elsewhere" / "kenya-legal-aid-review.md"
    note.parent.mkdir()
    note.write_text("# Legal aid review\n\nThe Nyeri pilot trained forty community paralegals in 2023.\n",
                    encoding="utf-8")
    code = main(["add", str(note), "--corpus", str(corpus), "--index", str(index), "--quiet",
                 "--title", "Kenya legal aid review", "--country", "Kenya", "--url", "https://example.org/review"])
    assert code == 0
    assert "new:" in capsys.readouterr().out
    added = corpus / "added" / "kenya-legal-aid-review.md"
    assert added.read_bytes() == note.read_bytes()
    assert _sidecar(added)["country"] == "Kenya"
    chunk = next(c for c in _all_chunks(index) if "Nyeri" in c.text)
    assert chunk.provenance.source == "added/kenya-legal-aid-review.md"
    assert (chunk.provenance.title, chunk.provenance.country, chunk.provenance.url) == (
        "Kenya legal aid review", "Kenya", "https://example.org/review")

    # Adding it again changes nothing; a file already in the corpus stays put (its metadata may change);
    # a type the indexer cannot read is refused with a reason.
    assert add_document(note, corpus).status == "unchanged"
    again = add_document(added, corpus, language="en")
    assert (again.path, again.status) == ("added/kenya-legal-aid-review.md", "unchanged")
    assert _sidecar(added)["language"] == "en" and _sidecar(added)["country"] == "Kenya"
    assert sorted(p.name for p in added.parent.iterdir()) == [added.name, added.name + ".source.json"]
    bad = tmp_path / "slides.pptx"
    bad.write_bytes(b"PK\x03\x04")
    assert main(["add", str(bad), "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 2
    assert "cannot read '.pptx'" in capsys.readouterr().err


def test_add_url_fetches_like_a_source(server, tmp_path):
    _serve_site(server, tmp_path)
    corpus = tmp_path / "corpus"
    result = add_document(server.url(COMMITMENT), corpus, rate=0.0, retries=0, timeout=2)
    assert (result.path, result.status) == ("fetched/commitment/MK0164.csv", "new")
    documents = load_file(corpus / result.path, result.path).documents
    assert documents[0].provenance.commitment_id == "MK0164"
    assert documents[0].provenance.url == server.url(COMMITMENT)
    pdf = add_document(server.url(PDF), corpus, rate=0.0, retries=0, timeout=2)
    assert pdf.path == "fetched/pdf/justice-policy-series-part-i-access-to-justice.pdf"
    with pytest.raises(FetchError, match="HTTP 404"):
        add_document(server.url("/nothing-here"), corpus, rate=0.0, retries=0, timeout=2)


def test_add_saved_commitment_page(tmp_path):
    corpus = tmp_path / "corpus"
    result = add_document(FIXTURES / "commitment-CL0075-variant.html", corpus, kind="commitment",
                          url="https://www.opengovpartnership.org/members/chile/commitments/CL0075/")
    assert result.path == "added/CL0075.csv"
    doc = load_file(corpus / result.path, result.path).documents[0]
    assert (doc.provenance.commitment_id, doc.provenance.country) == ("CL0075", "Chile")
    assert doc.provenance.metadata["irm_completion_midterm"] == "Complete"  # from an implementation report


# --------------------------------------------------------------------------------------------
# The manifest and the page readers


def test_shipped_manifest_is_valid():
    sources = load_sources(REPO / "corpus" / "sources.toml")
    kinds = {s.kind for s in sources}
    assert {"report", "guide", "policy", "page", "commitment"} <= kinds
    commitments = {s.stem for s in sources if s.kind == "commitment"}
    assert {"AL0070", "SL0022", "LR0039", "MK0164", "UY0068", "ID0117", "CR0053", "CL0075", "AR0037",
            "CZ0023"} <= commitments
    reports = [s.default_target() for s in sources if s.kind == "report"]
    assert "fetched/report/justice-policy-series-part-i-access-to-justice.pdf" in reports
    assert all(s.country for s in sources if s.kind == "commitment")


@pytest.mark.parametrize("entry, message", [
    ('url = "https://example.org/a"\nkind = "report"\nauthor = "me"', "unknown key(s) author"),
    ('url = "https://example.org/a"\nkind = "video"', "kind 'video' is not one of"),
    ('url = "ftp://example.org/a"\nkind = "pdf"', "must be an http(s) address"),
    ('kind = "pdf"', "'url' is missing"),
    ('url = "https://example.org/a"\nkind = "pdf"\ncountry = 7', "'country' must be a string"),
])
def test_manifest_errors_name_the_file_and_entry(tmp_path, entry, message):
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nurl = "https://example.org/ok"\nkind = "guide"\n\n[[source]]\n' + entry + "\n",
                    encoding="utf-8")
    with pytest.raises(SourcesError) as raised:
        load_sources(path)
    assert str(path) in str(raised.value) and "source #2" in str(raised.value)
    assert message in str(raised.value)


def test_manifest_refuses_two_sources_in_one_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nurl = "https://a.org/x/justice"\nkind = "policy"\n'
                    '[[source]]\nurl = "https://b.org/y/justice/"\nkind = "policy"\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="give one of them a 'name'"):
        load_sources(path)
    with pytest.raises(SourcesError, match="does not exist"):
        load_sources(tmp_path / "nope.toml")


def test_find_pdf_link_prefers_the_documents_own_pdf():
    html = (FIXTURES / "report-landing.html").read_text(encoding="utf-8")
    base = "https://www.opengovpartnership.org/documents/justice-policy-series-part-i-access-to-justice/"
    assert find_pdf_link(html, base, "justice-policy-series-part-i-access-to-justice") == (
        "https://www.opengovpartnership.org/wp-content/uploads/2019/11/"
        "Justice-Policy-Series-Part-I-Access-to-Justice.pdf")
    assert find_pdf_link("<a class='download' href='get?id=7'>Download</a>", base) == (
        "https://www.opengovpartnership.org/documents/justice-policy-series-part-i-access-to-justice/get?id=7")
    assert find_pdf_link("<a href='/about/'>About</a><a href='x.docx'>Download (Word)</a>", base) is None


def test_commitment_parser_is_tolerant_of_markup():
    fields = parse_commitment_page((FIXTURES / "commitment-CL0075-variant.html").read_text(encoding="utf-8"),
                                   "https://www.opengovpartnership.org/members/chile/commitments/CL0075/")
    assert fields["id"] == "CL0075" and fields["country"] == "Chile"
    assert fields["title"] == "Open justice data portal"
    assert fields["status"] == "Inactive"  # not "menu" from the navigation
    assert fields["lead"] == "Ministerio de Justicia y Derechos Humanos"
    assert fields["policy_areas"] == ["Open Justice", "Judiciary", "Open Data"]
    assert fields["potential_impact"] == "Transformative"
    assert "single open data portal" in fields["description"]
    assert "every month" in fields["description"]  # a "Status:" line inside the description stays in it
    # The bare minimum: an id in the heading, a description in the meta tag.
    bare = parse_commitment_page('<html><head><meta name="description" content="Publish court rulings.">'
                                 "</head><body><h1>Open rulings (UY0068)</h1></body></html>")
    assert (bare["id"], bare["title"], bare["description"]) == ("UY0068", "Open rulings", "Publish court rulings.")


def test_guess_kind():
    base = "https://www.opengovpartnership.org"
    assert guess_kind(f"{base}/members/chile/commitments/CL0075/") == "commitment"
    assert guess_kind(f"{base}/documents/justice-policy-series-part-ii-open-justice/") == "report"
    assert guess_kind(f"{base}/wp-content/uploads/2020/report.pdf") == "pdf"
    assert guess_kind(f"{base}/open-gov-guide/justice-access-to-justice/") == "guide"
    assert guess_kind(f"{base}/policy-area/justice/") == "policy"
    assert guess_kind(f"{base}/stories/a-clear-commitment-to-justice/") == "page"
