"""Property-based tests (hypothesis) of the chunker and the loaders, with the real tokenizer.

Any text gives chunks that locate themselves exactly in their Document and fit the model
window; any bytes under any supported extension give Documents or a LoaderError (a reason for
the user), never another exception and never a hang; a real PDF with random damage too.

Every example runs under a hard time limit (SIGALRM), so a hang fails the test instead of
stalling it. Sizes are modest to keep the file under ~15 s on two cores; the pathological
large inputs are in test_bad_input.py.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from conftest import make_pdf
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indexer.chunking import Chunker
from indexer.errors import LoaderError
from indexer.loaders import LOADERS, SIDECAR_SUFFIX, load_file
from indexer.records import DOCUMENT_KINDS, Document, Provenance

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])
WORKDIR = Path(tempfile.mkdtemp(prefix="indexer-fuzz-"))  # hypothesis reruns examples; tmp_path is per test


class Hang(Exception):
    """An example ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def _alarm(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_TOKENIZER = None


def tokenizer():
    """The real model's tokenizer (tokenizer.json, no torch), once per module."""
    global _TOKENIZER
    if _TOKENIZER is None:
        from indexer.embedding import SentenceTransformerEncoder
        from indexer.settings import PACKAGED_MODEL_NAME

        _TOKENIZER = SentenceTransformerEncoder(PACKAGED_MODEL_NAME).tokenizer
    return _TOKENIZER


@pytest.fixture(scope="module", autouse=True)
def _same_tokenizer_as_the_encoder(encoder):
    """The session's encoder and this module's helper read the same tokenizer; clean up after."""
    assert encoder.tokenizer.to_str() == tokenizer().to_str()
    yield
    shutil.rmtree(WORKDIR, ignore_errors=True)


def pieces(texts: list[str]) -> list[int]:
    return [len(e.ids) for e in tokenizer().encode_batch(texts, add_special_tokens=False)]


def assert_chunks_consistent(document: Document, chunks, chunker: Chunker) -> None:
    """Provenance, offsets, order and the token window, for every chunk of one Document."""
    if document.text.strip():
        assert chunks, "a document with text gives at least one chunk"
    counts = pieces([c.embedding_text for c in chunks])
    for i, (c, n) in enumerate(zip(chunks, counts)):
        assert c.ordinal == i
        assert c.provenance == document.provenance
        assert 0 <= c.char_start < c.char_end <= len(document.text)
        assert c.text == document.text[c.char_start:c.char_end]
        assert c.text.strip() and c.embedding_text.endswith(c.text)
        assert n == c.token_count <= chunker.hard_limit, (n, c.token_count, c.embedding_text[:80])
    starts = [c.char_start for c in chunks]
    assert starts == sorted(set(starts)), "chunks repeated or out of order"
    assert [c.char_end for c in chunks] == sorted(c.char_end for c in chunks)


CHUNKERS = {
    "default": lambda: Chunker(tokenizer()),  # 256-token window, 160-token chunks
    "small": lambda: Chunker(tokenizer(), max_tokens=64, chunk_tokens=40, overlap_tokens=8),
}

# -- the chunker ----------------------------------------------------------------------------

_pieces_of_text = st.one_of(
    st.text(max_size=40),  # any unicode (no lone surrogates: those cannot come out of a decoder)
    st.sampled_from([
        " ", "\n", "\n\n", "\n \n", "\t", ". ", "! ", "? ", "。", "…", "\u201cquoted.\u201d ", "(see p. 4.) ",
        "- item ", "\n- item", "\n1. first", "\n12) twelfth", "• bullet", "MK0164", "e.g. ", "U.S. ",
        "司法公开是指法院依法公开审判活动", "x" * 150, "\u200b", "\u00ad", "\ufeff", "e\u0301", "🙂", "👩🏽‍⚖️",
        "مرحبا بالعدالة", "שלום", "\u202e", "\r\n", "\r", "\x0b", "\x1c", "\u2028", "\x00",
    ]),
)
_texts = st.one_of(st.text(max_size=3000), st.lists(_pieces_of_text, max_size=300).map("".join))
_provenances = st.builds(
    Provenance,
    source=st.just("fuzz/doc.txt"),
    kind=st.sampled_from(DOCUMENT_KINDS),
    title=st.text(max_size=30),
    page=st.none() | st.integers(1, 5000),
    section=st.none() | st.text(min_size=1, max_size=30),
    commitment_id=st.none() | st.text(max_size=12),
    country=st.none() | st.text(max_size=20),
    language=st.none() | st.sampled_from(["en", "es", "fr"]),
)


@pytest.mark.parametrize("size", list(CHUNKERS))
@settings(FUZZ, max_examples=300)
@given(text=_texts, provenance=_provenances)
def test_chunker_on_any_text_keeps_offsets_provenance_and_the_window(size, text, provenance):
    chunker = CHUNKERS[size]()
    document = Document(provenance, text)
    with time_limit(10):
        chunks = chunker.chunk(document)
    assert_chunks_consistent(document, chunks, chunker)


# -- the loaders on any bytes --------------------------------------------------------------

_MARKUP = {
    ".md": ["---\n", "title: ", "date: 2001-13-45\n", "year: ²⁰²⁰\n", "[", "]", "(", ")", "![", "# ", "## ",
            "```\n", "*", "**", "_", "__", "`", "<", ">", "<b>", "</b>", "\n", "\n\n", "...\n", ": ", "{", "- "],
    ".markdown": ["---\n", "title: [x\n", "# ", "\n", "*", "[a](b)", "<http://x>"],
    ".html": ["<html>", "<head>", "</head>", "<body>", "<main>", "</main>", "<h1>", "</h1>", "<p>", "</p>",
              "<script>", "</script>", "<style>", "<!--", "-->", "<![CDATA[", "]]>", "<![", "<!x", "<?", "&#",
              "&#x110000;", "&amp;", "&", "<", ">", "</", "<p onclick='x()'>", "<br/>", "<a href=", '"', "'",
              "<svg>", "<title>", "</title>", "<html lang=", "<link rel=canonical href=", "\n"],
    ".htm": ["<p>", "</p>", "<", ">", "<![", "&#"],
    ".txt": ["[", "]", "(", ")", "*", "`", "<", ">", "\n", "\r", "\x00"],
    ".csv": ["Commitment Unique Identifier", "Full Text", "Commitment Title", "Country/Locality", "Year Of Submission",
             "Justice", ",", '"', '""', "\n", "\r\n", "1", "AB0001", "nd", "2019-2021", "٢٠٢٠", "\x00"],
    ".pdf": ["%PDF-1.4\n", "obj", "endobj", "stream\n", "endstream", "<<", ">>", "/Type /Page", "trailer",
             "xref\n", "%%EOF", "0 0 R", "/Encrypt", "(", ")", "[", "]"],
    ".yaml": ["title: ", "en: ", "fr: ", "- ", "  ", "\n", ": ", "{", "}", "[", "]", "&a ", "*a", "id: AB0001\n",
              "title_en: ", "2001-13-45", '"', "'", "<br>", "<a href='x'>y</a>", "words in a longer phrase here"],
    ".yml": ["en: ", "fr: ", "- ", "  ", "\n", ": ", "&a [*a, *a]\n", "!!python/object "],
    ".json": ["{", "}", "[", "]", '"en"', '"fr"', ":", ",", '"title_en"', '"id"', '"AB0001"', "1e999", "null",
              '"words in a longer phrase here"', "\\u0000"],
    ".xlsx": ["PK\x03\x04", "[Content_Types].xml", "xl/workbook.xml", "<", ">", "\x00"],
    ".ods": ["PK\x03\x04", "mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml", "<", ">"],
    ".docx": ["PK\x03\x04", "[Content_Types].xml", "word/document.xml", "<w:p>", "<", ">", "\x00"],
}
assert set(_MARKUP) == set(LOADERS), "a new loader needs its markup alphabet here"


def _bytes_for(ext: str):
    text = st.lists(st.one_of(st.sampled_from(_MARKUP[ext]), st.text(max_size=12)), max_size=120).map("".join)
    encoded = st.one_of(text.map(lambda t: t.encode("utf-8")),
                        text.map(lambda t: t.encode("cp1252", errors="replace")),
                        text.map(lambda t: t.encode("utf-16")))
    return st.one_of(st.binary(max_size=3000), encoded)


def _load_and_chunk(path: Path, source: str) -> None:
    """load_file gives Documents or a LoaderError; the raw loader may raise nothing else either."""
    chunker = CHUNKERS["small"]()
    with time_limit(10):
        try:
            LOADERS[path.suffix.lower()](path, source)  # the loader itself, before load_file's safety net
        except LoaderError as exc:
            assert exc.path == source and exc.reason
        try:
            loaded = load_file(path, source)
        except LoaderError as exc:
            assert exc.path == source and exc.reason and str(exc).startswith(source)
            return
        for document in loaded.documents:
            p = document.provenance
            assert p.source == source and p.kind in DOCUMENT_KINDS and document.text.strip()
            assert_chunks_consistent(document, chunker.chunk(document), chunker)


@pytest.mark.parametrize("ext", sorted(LOADERS))
@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_every_loader_on_any_bytes_gives_documents_or_a_loader_error(ext, data):
    payload = data.draw(_bytes_for(ext), label="file bytes")
    path = WORKDIR / f"doc{ext}"
    path.write_bytes(payload)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    sidecar.unlink(missing_ok=True)
    if data.draw(st.booleans(), label="with a sidecar"):
        sidecar.write_bytes(data.draw(st.one_of(
            st.binary(max_size=200),
            st.builds(lambda key, value: ('{"%s": %s}' % (key, value)).encode(),
                      st.sampled_from(["year", "title", "url", "country", "language", "other"]),
                      st.sampled_from(["1e999", "null", '""', "[1]", '"2020"', "true", "-1", '{"a": 1}',
                                       "[" * 5000 + "]" * 5000]))), label="sidecar bytes"))
    _load_and_chunk(path, f"fuzz/doc{ext}")


# -- the PDF loader on a damaged real PDF ------------------------------------------------------

_PDF = None


def real_pdf() -> bytes:
    global _PDF
    if _PDF is None:
        path = make_pdf(WORKDIR / "seed.pdf", [
            "Legal aid offices opened in every district. Each office has two lawyers.",
            "Court fees are waived for people on low incomes.\n\nThe reform started in 2022.",
            "Annex. Table of districts and offices.",
        ], title="Legal Aid Review")
        _PDF = path.read_bytes()
    return _PDF


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True), st.integers(1, 400)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True),
              st.sampled_from([b"\x00", b"(", b")", b"<<", b">>", b"endobj", b"stream", b"/Length 999999",
                               b"9999999999 0 R", b"-1", b"%%EOF", b"[" * 200, b"<<" * 200])),
    st.tuples(st.just("truncate"), st.floats(0.02, 1, exclude_max=True), st.just(0)),
    st.tuples(st.just("repeat"), st.floats(0, 1, exclude_max=True), st.integers(1, 300)),
)


def _mutate(data: bytes, mutations) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in mutations:
        at = int(where * len(buf))
        if kind == "flip" and buf:
            buf[at] = arg
        elif kind == "cut":
            del buf[at:at + arg]
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "truncate":
            del buf[at:]
        elif kind == "repeat":
            buf[at:at] = buf[at:at + arg]
    return bytes(buf)


@settings(FUZZ, max_examples=300)
@given(mutations=st.lists(_mutation, min_size=1, max_size=6))
def test_pdf_loader_on_a_damaged_real_pdf_gives_pages_or_a_loader_error(mutations):
    damaged = _mutate(real_pdf(), mutations)
    assume(damaged != real_pdf())
    path = WORKDIR / "damaged.pdf"
    path.write_bytes(damaged)
    _load_and_chunk(path, "reports/damaged.pdf")


def test_the_undamaged_seed_pdf_loads():
    path = WORKDIR / "seed-copy.pdf"
    path.write_bytes(real_pdf())
    loaded = load_file(path, "reports/seed.pdf")
    assert [d.provenance.page for d in loaded.documents] == [1, 2, 3]
