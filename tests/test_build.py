"""The build with the real model and real FAISS: counts, manifest, incremental updates,
failures, strict mode, the lock, crash safety and refusal of mismatched indexes."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import make_pdf

from indexer.analysis import ANALYZER_VERSION
from indexer.build import build_index
from indexer.chunking import CHUNKER_VERSION
from indexer.embedding import SentenceTransformerEncoder
from indexer.errors import IndexerError, IndexLockedError, IndexMismatchError
from indexer.settings import PACKAGED_MODEL_NAME, Settings
from indexer.store import IndexReader, IndexWriter, index_lock

PDF = "reports/legal-aid-note.pdf"
MD = "guides/paralegals.md"
CSV = "commitments/commitments.csv"
TXT = "notes/coalition.txt"
SOURCES = sorted([PDF, MD, CSV, TXT])

PDF_PAGES = [
    "Eligibility for legal aid. People whose income is below the national threshold receive free advice "
    "and representation in civil and criminal cases.",
    "Funding legal aid. Ministries should budget for legal aid every year and publish what it costs.",
    "Quality of legal aid. Providers are audited every two years by an independent board.",
]
GUIDE = """---
title: Community Paralegals
url: https://example.org/paralegals
---
# Community Paralegals

## Training

Paralegals receive six weeks of training on land, family and labour law.

## Supervision

Every paralegal is supervised by a practising lawyer who reviews difficult cases.
"""
COMMITMENTS = [
    ("MK0164", "North Macedonia", "2018", "Free legal aid", "Expand primary legal aid to rural municipalities."),
    ("AR0013", "Argentina", "2017", "Open judiciary data", "Publish anonymised court decisions as open data."),
    ("KE0021", "Kenya", "2020", "Court user committees", "Set up court user committees in every county."),
]
TXT_TEXT = "The coalition meets twice a year to compare justice reforms across members.\n"


def _csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Commitment Unique Identifier", "Country/Locality", "Year Of Submission", "Commitment Title",
                "Full Text", "Justice"])
    for row in rows:
        w.writerow([*row, "1"])
    return buf.getvalue()


def write_corpus(corpus: Path) -> Path:
    make_pdf(corpus / PDF, PDF_PAGES, title="Legal Aid Guidance")
    for rel, text in ((MD, GUIDE), (CSV, _csv(COMMITMENTS)), (TXT, TXT_TEXT)):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def base(tmp_path_factory, encoder):
    """One built small corpus per module; tests work on copies of it."""
    root = tmp_path_factory.mktemp("base")
    settings = Settings(corpus_dir=write_corpus(root / "corpus"), index_dir=root / "index")
    report = build_index(settings, progress=False, encoder=encoder)
    return root, report


@pytest.fixture
def copy(base, tmp_path):
    """A private copy of the base corpus and index -> Settings pointing at it."""
    root, _ = base
    shutil.copytree(root / "corpus", tmp_path / "corpus")
    shutil.copytree(root / "index", tmp_path / "index")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


class NoModelEncoder(SentenceTransformerEncoder):
    """The packaged encoder, except that loading the model fails the test (and costs nothing)."""

    def __init__(self):
        super().__init__(PACKAGED_MODEL_NAME)

    @property
    def model(self):
        raise AssertionError("the model was loaded although nothing needed embedding")


def build(settings, encoder, **kw):
    return build_index(settings, progress=False, encoder=encoder, **kw)


def db_rows(settings, sql, params=()):
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    with sqlite3.connect(settings.index_dir / manifest["sqlite_file"]) as conn:
        return conn.execute(sql, params).fetchall()


def chunk_ids_by_source(settings) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for cid, source in db_rows(settings, "SELECT id, source FROM chunks ORDER BY id"):
        out.setdefault(source, []).append(cid)
    return out


def index_files(settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(settings.index_dir.iterdir()) if p.name != ".lock"}


def top(settings, encoder, query, k=3):
    from search import Searcher

    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        return [(h.provenance.source, h.provenance.page, h.text) for h in searcher.search(query, k)]
    finally:
        searcher.close()


# -- a first build --------------------------------------------------------------------------


def test_first_build_report_and_manifest(base, encoder):
    root, report = base
    assert sorted(report.added) == SOURCES
    assert report.changed == report.removed == report.failed == []
    assert report.total_files == 4
    assert report.chunks_embedded == report.total_chunks > 0
    assert report.tokens_embedded > 0

    manifest = json.loads((root / "index" / "manifest.json").read_text())
    assert manifest["schema_version"] == 1
    assert manifest["generation"] == 1
    assert manifest["model"] == PACKAGED_MODEL_NAME
    assert manifest["dimension"] == 384
    assert (manifest["max_tokens"], manifest["chunk_tokens"], manifest["overlap_tokens"]) == (256, 224, 32)
    assert manifest["files"] == 4
    assert manifest["chunks"] == report.total_chunks
    assert manifest["kinds"] == {"report": 3, "guide": 2, "commitment": 3, "text": 1}
    assert manifest["documents"] == 9
    import faiss
    import pypdf

    assert manifest["versions"]["pypdf"] == pypdf.__version__
    assert "sentence-transformers" in manifest["versions"]
    for name in ("faiss_file", "sqlite_file"):
        assert (root / "index" / manifest[name]).stat().st_size == manifest[name.replace("_file", "_bytes")]

    reader = IndexReader(root / "index")
    try:
        rows = reader.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        assert reader.vectors.ntotal == rows == manifest["chunks"]
        assert reader.vectors.d == 384
        flat = faiss.downcast_index(reader.vectors.index)
        norms = (flat.reconstruct_n(0, flat.ntotal) ** 2).sum(axis=1)
        assert abs(norms - 1.0).max() < 1e-3  # normalised vectors: inner product is cosine
        pages = reader.db.execute(
            "SELECT page, page_label, title FROM documents WHERE source = ? ORDER BY page", (PDF,)).fetchall()
        assert [tuple(r) for r in pages] == [(1, "1", "Legal Aid Guidance"), (2, "2", "Legal Aid Guidance"),
                                            (3, "3", "Legal Aid Guidance")]
        # chunks never cross documents and are located exactly in their document
        for text, start, end, doc_text in reader.db.execute(
                "SELECT c.text, c.char_start, c.char_end, d.text FROM chunks c JOIN documents d ON d.id = c.document_id"):
            assert doc_text[start:end] == text
        ids = {r[0] for r in reader.db.execute("SELECT commitment_id FROM documents WHERE kind = 'commitment'")}
        assert ids == {"MK0164", "AR0013", "KE0021"}
        assert reader.failures() == {}
    finally:
        reader.close()


def test_second_build_without_changes_embeds_nothing(copy, encoder):
    before = index_files(copy)
    report = build_index(copy, progress=False, encoder=NoModelEncoder())  # the model must not even load
    assert report.up_to_date
    assert report.chunks_embedded == 0 and report.tokens_embedded == 0
    assert report.unchanged == 4
    assert report.added == report.changed == report.removed == report.failed == []
    assert "already up to date" in report.summary()
    assert index_files(copy) == before  # same generation, same files, byte for byte


def test_changing_one_file_reembeds_only_that_file(copy, encoder):
    before = chunk_ids_by_source(copy)
    (copy.corpus_dir / MD).write_text(
        GUIDE.replace("six weeks of training", "nine weeks of residential training"), encoding="utf-8")
    report = build(copy, encoder)
    assert report.changed == [MD]
    assert report.added == report.removed == report.failed == []
    assert report.unchanged == 3
    after = chunk_ids_by_source(copy)
    assert report.chunks_embedded == len(after[MD])
    for source in (PDF, CSV, TXT):
        assert after[source] == before[source], f"{source} was re-embedded"
    assert not set(after[MD]) & set(before[MD])
    texts = " ".join(r[0] for r in db_rows(copy, "SELECT text FROM chunks WHERE source = ?", (MD,)))
    assert "nine weeks of residential training" in texts and "six weeks" not in texts
    manifest = json.loads((copy.index_dir / "manifest.json").read_text())
    assert manifest["generation"] == 2
    hits = top(copy, encoder, "how many weeks of training do paralegals get?")
    assert hits[0][0] == MD and "nine weeks" in hits[0][2]


def test_removing_a_file_removes_its_chunks(copy, encoder):
    (copy.corpus_dir / TXT).unlink()
    report = build(copy, encoder)
    assert report.removed == [TXT]
    assert report.chunks_embedded == 0
    assert report.total_files == 3
    assert TXT not in chunk_ids_by_source(copy)
    assert db_rows(copy, "SELECT COUNT(*) FROM documents WHERE source = ?", (TXT,)) == [(0,)]
    reader = IndexReader(copy.index_dir)
    try:
        assert reader.vectors.ntotal == reader.manifest.chunks == report.total_chunks
        assert TXT not in reader.file_hashes()
    finally:
        reader.close()


def test_a_build_that_only_removes_files_does_not_load_the_model(copy):
    (copy.corpus_dir / TXT).unlink()
    report = build_index(copy, progress=False, encoder=NoModelEncoder())
    assert report.removed == [TXT]
    assert report.total_files == 3


# -- files that cannot be read ---------------------------------------------------------------


def test_broken_files_are_reported_and_the_rest_indexed(tmp_path, encoder):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "reports" / "renamed.pdf").write_bytes(b"PK\x03\x04 this is a zip file" * 20)
    (corpus / "guides" / "empty.md").write_bytes(b"")
    (corpus / "reports" / "slides.pptx").write_bytes(b"PK")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = build(settings, encoder)
    failed = dict(report.failed)
    assert set(failed) == {"reports/renamed.pdf", "guides/empty.md"}
    assert "not a PDF" in failed["reports/renamed.pdf"]
    assert "empty" in failed["guides/empty.md"]
    assert set(SOURCES) <= set(report.added)
    assert report.skipped == ["reports/slides.pptx"]
    assert report.total_files == 4
    summary = report.summary()
    assert "FAILED reports/renamed.pdf: " in summary and "FAILED guides/empty.md: " in summary
    assert set(chunk_ids_by_source(settings)) == set(SOURCES)
    reader = IndexReader(settings.index_dir)
    try:
        assert {s: r for s, (_, r) in reader.failures().items()} == failed
    finally:
        reader.close()


def test_broken_new_version_keeps_the_old_version_searchable(copy, encoder):
    before = chunk_ids_by_source(copy)
    (copy.corpus_dir / TXT).write_bytes(b"\x00\x01binary garbage\x00" * 50)
    report = build(copy, encoder)
    assert [s for s, _ in report.failed] == [TXT]
    assert "binary" in report.failed[0][1]
    assert chunk_ids_by_source(copy)[TXT] == before[TXT]
    hits = top(copy, encoder, "how often does the coalition meet?")
    assert hits[0][0] == TXT and "twice a year" in hits[0][2]
    # and the failure is remembered against the broken version's hash
    reader = IndexReader(copy.index_dir)
    try:
        assert TXT in reader.failures()
        assert reader.failures()[TXT][0] != reader.file_hashes()[TXT]
    finally:
        reader.close()


def test_a_failing_unchanged_file_is_not_retried(copy, encoder, monkeypatch):
    (copy.corpus_dir / "reports" / "scan.pdf").write_bytes(b"not a pdf at all" * 10)
    first = build(copy, encoder)
    assert [s for s, _ in first.failed] == ["reports/scan.pdf"]

    from indexer.workers import FileReaders

    loaded: list[str] = []  # what the build hands its reading workers
    real_read_all = FileReaders.read_all

    def recording_read_all(self, files):
        files = list(files)
        loaded.extend(source for _, source, _ in files)
        return real_read_all(self, files)

    monkeypatch.setattr(FileReaders, "read_all", recording_read_all)
    second = build(copy, encoder)
    assert second.failed == first.failed  # still reported, with the same reason
    assert loaded == [], f"re-read: {loaded}"
    assert second.chunks_embedded == 0

    (copy.corpus_dir / "reports" / "scan.pdf").unlink()
    make_pdf(copy.corpus_dir / "reports" / "scan.pdf", ["The fixed scan now has a text layer about prisons."])
    third = build(copy, encoder)
    assert loaded == ["reports/scan.pdf"]  # a changed file is read again
    assert third.failed == []
    assert "reports/scan.pdf" in chunk_ids_by_source(copy)


def test_deleting_a_failing_file_clears_its_failure(copy, encoder):
    broken = copy.corpus_dir / "reports" / "broken.pdf"
    broken.write_bytes(b"garbage" * 30)
    assert [s for s, _ in build(copy, encoder).failed] == ["reports/broken.pdf"]
    broken.unlink()
    report = build(copy, encoder)
    assert report.failed == []
    reader = IndexReader(copy.index_dir)
    try:
        assert reader.failures() == {}, "a deleted file is still listed as 'not indexed'"
    finally:
        reader.close()


def test_strict_build_raises_and_leaves_the_index_untouched(copy, encoder):
    before = index_files(copy)
    (copy.corpus_dir / MD).write_text(GUIDE + "\n## New section\n\nNew text.\n", encoding="utf-8")
    (copy.corpus_dir / "reports" / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    with pytest.raises(IndexerError) as info:
        build(copy, encoder, strict=True)
    assert "reports/broken.pdf" in str(info.value)
    assert index_files(copy) == before


# -- the lock and crash safety ------------------------------------------------------------------


def test_a_second_build_is_refused_while_the_lock_is_held(copy, encoder):
    (copy.corpus_dir / TXT).write_text("Changed while locked.\n", encoding="utf-8")
    before = index_files(copy)
    with index_lock(copy.index_dir):
        with pytest.raises(IndexLockedError) as info:
            build(copy, encoder)
        assert "Another build" in str(info.value)
        assert index_files(copy) == before
    assert build(copy, encoder).changed == [TXT]  # released: the next build goes ahead


def _boom(*args, **kwargs):
    raise RuntimeError("disk full (injected)")


@pytest.mark.parametrize("where", ["IndexWriter.commit", "faiss.write_index", "IndexWriter.add_documents",
                                   "IndexWriter.record_file"])
def test_a_crash_mid_write_leaves_the_previous_index_working(copy, encoder, monkeypatch, where):
    import faiss

    query = "who audits legal aid providers?"
    answer_before = top(copy, encoder, query)
    assert answer_before[0][:2] == (PDF, 3)
    before = index_files(copy)

    (copy.corpus_dir / PDF).unlink()
    make_pdf(copy.corpus_dir / PDF, ["Completely different first page.", "And a second one."], title="New")
    (copy.corpus_dir / TXT).unlink()
    target = faiss if where == "faiss.write_index" else IndexWriter
    monkeypatch.setattr(target, where.split(".")[1], _boom)
    with pytest.raises(RuntimeError, match="injected"):
        build(copy, encoder)
    monkeypatch.undo()

    assert index_files(copy) == before, "the old generation was changed or stray files were left"
    reader = IndexReader(copy.index_dir)  # loads and passes its consistency check
    try:
        assert reader.manifest.generation == 1
    finally:
        reader.close()
    assert top(copy, encoder, query) == answer_before
    report = build(copy, encoder)  # the next build recovers
    assert report.changed == [PDF] and report.removed == [TXT]


def test_stray_files_of_a_dead_build_are_removed_by_the_next(copy, encoder):
    (copy.index_dir / "vectors-000009.faiss").write_bytes(b"half written")
    (copy.index_dir / "chunks-000009.sqlite").write_bytes(b"half written")
    (copy.corpus_dir / TXT).write_text("Updated coalition note.\n", encoding="utf-8")
    build(copy, encoder)
    names = {p.name for p in copy.index_dir.iterdir()}
    assert not names & {"vectors-000009.faiss", "chunks-000009.sqlite"}
    assert {"manifest.json", "vectors-000002.faiss", "chunks-000002.sqlite"} <= names
    assert not [n for n in names if n.endswith(".tmp")]


# -- refusing indexes this version cannot read --------------------------------------------------


@pytest.mark.parametrize("field, value", [("schema_version", 99), ("dimension", 768)])
def test_reader_refuses_mismatched_index_and_says_rebuild(copy, encoder, field, value):
    path = copy.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest[field] = value
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError) as info:
        IndexReader(copy.index_dir)
    assert "rebuild" in str(info.value).lower()
    # a build replaces the unusable index with a complete new one
    report = build(copy, encoder)
    assert report.full_rebuild_reason
    assert sorted(report.added) == SOURCES
    reader = IndexReader(copy.index_dir)
    try:
        assert reader.manifest.schema_version == 1 and reader.manifest.dimension == 384
    finally:
        reader.close()


def test_changed_chunk_settings_force_a_full_rebuild(copy, encoder):
    smaller = copy.with_overrides(chunk_tokens=64, overlap_tokens=8)
    report = build(smaller, encoder)
    assert report.full_rebuild_reason and "chunk settings" in report.full_rebuild_reason
    assert sorted(report.added) == SOURCES
    assert all(n <= 64 for (n,) in db_rows(smaller, "SELECT token_count FROM chunks"))


@pytest.mark.parametrize("field, current, reason", [
    ("analyzer", ANALYZER_VERSION, "analyses keywords differently"),
    ("chunker", CHUNKER_VERSION, "cuts passages differently"),
])
def test_an_index_made_by_an_older_analyser_or_chunker_is_rebuilt(copy, encoder, field, current, reason):
    path = copy.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    assert manifest[field] == current
    del manifest[field]  # as written before the version was recorded
    path.write_text(json.dumps(manifest))
    reader = IndexReader(copy.index_dir)
    assert getattr(reader.manifest, field) == 1  # still readable: searches keep working until the build
    reader.close()
    report = build(copy, encoder)
    assert report.full_rebuild_reason and reason in report.full_rebuild_reason
    assert sorted(report.added) == SOURCES
    assert json.loads(path.read_text())[field] == current
    assert build(copy, encoder).up_to_date


def test_missing_corpus_folder_is_an_error(tmp_path, encoder):
    settings = Settings(corpus_dir=tmp_path / "nope", index_dir=tmp_path / "index")
    with pytest.raises(IndexerError, match="does not exist"):
        build(settings, encoder)


# -- storing in runs, beside the encoder ------------------------------------------------------------


def _stored(settings) -> dict[str, list]:
    """What an index holds, without its chunk ids (an incremental build numbers chunks anew)."""
    reader = IndexReader(settings.index_dir)
    try:
        rows = db_rows(settings, "SELECT c.id, c.source, c.ordinal, c.char_start, c.char_end, c.language, "
                                 "c.token_count, c.text, t.terms FROM chunks c JOIN chunk_terms t ON t.rowid = c.id")
        vectors = reader.reconstruct([r[0] for r in rows])
        chunks = sorted((*r[1:], tuple(round(float(x), 5) for x in v)) for r, v in zip(rows, vectors))
    finally:
        reader.close()
    return {
        "chunks": chunks,
        "documents": sorted(db_rows(settings, "SELECT source, kind, title, page, section, commitment_id, "
                                              "language, text FROM documents")),
        "files": sorted(db_rows(settings, "SELECT source, sha256, kind, title, documents, chunks, warnings "
                                          "FROM files")),
    }


def test_a_file_stored_in_several_runs_gives_the_same_index(tmp_path, encoder, monkeypatch):
    """A big file (the commitments export) is embedded and stored in runs; languages are settled as
    runs are stored. Cut into runs of two chunks, the index must hold exactly what one run gives."""
    import indexer.build as build_module

    rows = [*COMMITMENTS, ("CR0016", "Costa Rica", "2019", "Apertura de datos",
                           "Publicar los datos de las instituciones públicas en formatos abiertos y reutilizables.")]
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / CSV).write_text(_csv(rows), encoding="utf-8")
    whole = Settings(corpus_dir=corpus, index_dir=tmp_path / "whole")
    build(whole, encoder)

    encoded: list[int] = []
    original_encode = encoder.encode

    def counting_encode(texts, *args, **kwargs):
        encoded.append(len(texts))
        return original_encode(texts, *args, **kwargs)

    monkeypatch.setattr(encoder, "encode", counting_encode)
    monkeypatch.setattr(build_module, "_RUN_CHUNKS", 2)
    in_runs = Settings(corpus_dir=corpus, index_dir=tmp_path / "runs")
    report = build(in_runs, encoder)
    assert max(encoded) <= 3 and len(encoded) >= 4, encoded  # really cut into small runs
    # every text encoded is a passage, or a passage's rendering in the model's language (indexer/bridge.py)
    assert report.chunks_embedded + report.bridged == sum(encoded)
    assert _stored(in_runs) == _stored(whole)
    languages = dict(db_rows(in_runs, "SELECT d.commitment_id, c.language FROM chunks c "
                                      "JOIN documents d ON d.id = c.document_id WHERE d.commitment_id IS NOT NULL"))
    assert languages["CR0016"] == "es" and languages["MK0164"] == "en"

    # A changed big file, stored in runs again: its old version goes, the new one is whole.
    rows[1] = ("AR0013", "Argentina", "2017", "Open judiciary data", "Publish every court ruling within a week.")
    (corpus / CSV).write_text(_csv(rows), encoding="utf-8")
    report = build(in_runs, encoder)
    assert report.changed == [CSV] and report.unchanged == 3
    fresh = Settings(corpus_dir=corpus, index_dir=tmp_path / "fresh")
    monkeypatch.undo()
    build(fresh, encoder)
    assert _stored(in_runs) == _stored(fresh)


# -- the corpus an index was built from -------------------------------------------------------------


def test_a_build_from_another_corpus_folder_is_refused_unless_replacing(copy, encoder, tmp_path):
    other = tmp_path / "other"
    (other / "notes").mkdir(parents=True)
    (other / "notes" / "kenya.md").write_text("# Kenya\n\nParalegals in Kenya help people in court.\n",
                                              encoding="utf-8")
    before = index_files(copy)
    with pytest.raises(IndexerError, match=r"holds the documents of .*corpus.*--corpus .*--replace"):
        build(dataclasses.replace(copy, corpus_dir=other), encoder)
    assert index_files(copy) == before  # nothing dropped
    report = build(dataclasses.replace(copy, corpus_dir=other), encoder, replace=True)
    assert report.added == ["notes/kenya.md"] and len(report.removed) == 4
    # From then on the index belongs to the new folder, and the old one is refused in turn.
    with pytest.raises(IndexerError, match="holds the documents of"):
        build(copy, encoder)


def test_the_corpus_is_recorded_relative_to_the_index_so_a_moved_project_still_finds_it(copy, encoder, tmp_path):
    from indexer.build import recorded_corpus

    assert json.loads((copy.index_dir / "manifest.json").read_text())["corpus"] == "../corpus"
    assert recorded_corpus(copy.index_dir) == copy.corpus_dir.resolve()
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("corpus", "index"):
        shutil.move(tmp_path / name, moved / name)
    assert recorded_corpus(moved / "index") == (moved / "corpus").resolve()
    assert build(Settings(corpus_dir=moved / "corpus", index_dir=moved / "index"), encoder).up_to_date


def test_an_index_without_a_recorded_corpus_is_not_emptied_by_a_build_from_another_folder(copy, encoder, tmp_path):
    manifest_path = copy.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.pop("corpus")  # as written before the corpus was recorded
    manifest_path.write_text(json.dumps(manifest))
    other = tmp_path / "other"
    other.mkdir()
    (other / "only.md").write_text("# Only\n\nA single page about mediation.\n", encoding="utf-8")
    with pytest.raises(IndexerError, match=r"would remove all 4 files .* --corpus.*--replace"):
        build(dataclasses.replace(copy, corpus_dir=other), encoder)
    assert build(copy, encoder).up_to_date  # its own folder still updates it
    assert build(dataclasses.replace(copy, corpus_dir=other), encoder, replace=True).added == ["only.md"]
