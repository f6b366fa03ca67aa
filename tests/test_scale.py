"""The vector index follows the corpus size: exact (flat) up to ``exact_search_limit`` chunks,
IVF with 8-bit scalar quantisation above it, and back. Real FAISS on a few thousand clustered
unit vectors (benchmarks/synthetic.py), written through the real IndexWriter, with the limit set
low so that a small index crosses it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from indexer.build import build_index
from indexer.errors import IndexCorruptError
from indexer.records import Chunk, Document, Provenance
from indexer.settings import Settings
from indexer.store import FileRecord, IndexReader, IndexWriter, ivf_lists, vector_ids

sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import ClusteredCorpus, exact_top_k, recall_at  # noqa: E402

LIMIT = 300  # exact_search_limit for these tests
PER_FILE = 40  # chunks a file (10 documents of 4 chunks)
COUNTRIES = ("Kenya", "Chile", "Ghana", "Peru", "Spain", "Nepal")


@pytest.fixture(scope="module")
def data():
    """3,600 chunk vectors (90 files) plus 1,200 more (30 files) for incremental builds, and questions."""
    corpus = ClusteredCorpus(4800, seed=3)
    vectors = corpus.vectors()
    return {"vectors": vectors, "queries": corpus.queries(100)}


def _file(number: int, vectors: np.ndarray) -> tuple[FileRecord, list, np.ndarray]:
    """File ``number``: 10 documents of 4 chunks, its country one of six, its vectors given."""
    source = f"notes/file-{number:03d}.txt"
    country = COUNTRIES[number % len(COUNTRIES)]
    units = []
    for d in range(PER_FILE // 4):
        provenance = Provenance(source=source, kind="text", title=f"File {number}", country=country, year=2020)
        texts = [f"passage {number} {d} {c} on legal aid" for c in range(4)]
        document = Document(provenance, " ".join(texts))
        chunks, at = [], 0
        for c, text in enumerate(texts):
            chunks.append(Chunk(provenance, text, at, at + len(text), c, "en", 8, text))
            at += len(text) + 1
        units.append((document, chunks))
    record = FileRecord(source, f"{number:064x}", 100, kind="text", title=f"File {number}")
    return record, units, vectors[number * PER_FILE:(number + 1) * PER_FILE]


def write(index_dir: Path, data, add=(), remove=(), limit=LIMIT):
    """One build generation: remove files, add files (by number); -> the manifest."""
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = IndexReader(index_dir) if (index_dir / "manifest.json").exists() else None
    try:
        writer = IndexWriter(index_dir, previous, 384, exact_search_limit=limit)
        writer.remove_sources([f"notes/file-{n:03d}.txt" for n in remove])
        for number in add:
            writer.add_file(*_file(number, data["vectors"]))
        return writer.commit(model="synthetic", backend="onnx-int8", max_tokens=256, chunk_tokens=224,
                             overlap_tokens=32)
    finally:
        if previous:
            previous.close()


def row_of(reader: IndexReader) -> dict[int, int]:
    """chunk id -> row of data["vectors"] (files keep their vectors whatever their chunk ids)."""
    out = {}
    for cid, source, ordinal, title in reader.db.execute(
            "SELECT c.id, c.source, c.ordinal, d.title FROM chunks c JOIN documents d ON d.id = c.document_id"):
        number = int(source[-7:-4])
        doc = int(reader.db.execute("SELECT COUNT(*) FROM documents WHERE source = ? AND id < "
                                    "(SELECT document_id FROM chunks WHERE id = ?)", (source, cid)).fetchone()[0])
        out[cid] = number * PER_FILE + doc * 4 + ordinal
    return out


def dense_recall(reader: IndexReader, data, allowed: np.ndarray | None = None) -> float:
    """recall@10 of the index's search against exact search over the original float vectors."""
    rows = row_of(reader)
    ids = np.array(sorted(rows if allowed is None else allowed), dtype=np.int64)
    originals = data["vectors"][[rows[i] for i in ids]]
    truth = ids[exact_top_k(originals, data["queries"], 10)]
    found = np.vstack([reader.search_vectors(q, 10, allowed)[1][0] for q in data["queries"]])
    return recall_at(found, truth, 10)


def test_small_index_is_exact_and_large_one_is_ivf_sq8_with_recall_against_exact(tmp_path, data):
    flat = write(tmp_path / "small", data, add=range(7))  # 280 chunks <= 300
    assert flat.faiss_index == "IDMap2,Flat" and flat.chunks == 280
    reader = IndexReader(tmp_path / "small")
    assert reader.ivf is None and reader.verify() == []
    assert dense_recall(reader, data) == 1.0
    reader.close()

    manifest = write(tmp_path / "large", data, add=range(90))  # 3,600 chunks
    assert manifest.chunks == 3600
    assert manifest.faiss_index == f"IVF{ivf_lists(3600)},SQ8" == "IVF64,SQ8"
    stored = json.loads((tmp_path / "large" / "manifest.json").read_text())
    assert stored["faiss_index"] == "IVF64,SQ8"
    reader = IndexReader(tmp_path / "large", nprobe=8)
    assert reader.ivf is not None and reader.ivf.nprobe == 8 and reader.verify() == []
    # 8-bit codes are within ~1e-3 of the vectors, and reconstruct(id) works through the direct map
    rows = row_of(reader)
    some = sorted(rows)[::97]
    decoded = reader.reconstruct(some)
    assert np.abs(decoded - data["vectors"][[rows[i] for i in some]]).max() < 0.01
    assert dense_recall(reader, data) >= 0.9
    reader.close()
    assert IndexReader(tmp_path / "large").ivf.nprobe == Settings().nprobe  # the setting's default


def test_a_filter_restricts_ivf_results_and_still_finds_its_passages(tmp_path, data):
    write(tmp_path / "index", data, add=range(90))
    reader = IndexReader(tmp_path / "index", nprobe=4)
    kenya = np.array([r[0] for r in reader.db.execute(
        "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.country = 'Kenya'")])
    assert 0 < len(kenya) < reader.vectors.ntotal / 5
    for q in data["queries"][:20]:
        scores, ids = reader.search_vectors(q, 50, kenya)
        assert set(ids[0].tolist()) <= set(kenya.tolist())
        assert (ids[0] >= 0).all()  # 4 of 64 lists would hold too few: the filter widens the probe
    assert dense_recall(reader, data, allowed=kenya) >= 0.9
    reader.close()


def test_searcher_dense_side_on_an_ivf_index(tmp_path, data):
    from search import Searcher, candidates

    write(tmp_path / "index", data, add=range(90))
    searcher = Searcher(tmp_path / "index", Settings(nprobe=32), encoder=object())  # no question encoded
    try:
        assert searcher.reader.ivf.nprobe == 32
        query = data["queries"][:1]
        dense = candidates.dense(searcher.reader, query, 100, None)
        assert len(dense) == 100
        allowed = np.array(sorted(dense)[:30], dtype=np.int64)
        assert set(candidates.dense(searcher.reader, query, 100, allowed)) == set(allowed.tolist())
        ids = list(dense)[:5]
        scores = candidates.cosines(searcher.reader, query, ids)
        assert max(abs(scores[i] - dense[i]) for i in ids) < 0.01  # decoded vectors score as the search did
    finally:
        searcher.close()


def centroids_of(reader: IndexReader) -> np.ndarray:
    import faiss

    return faiss.downcast_index(reader.ivf.quantizer).reconstruct_n(0, reader.ivf.nlist)


def test_incremental_builds_add_remove_retrain_and_fall_back_to_flat(tmp_path, data):
    index = tmp_path / "index"
    write(index, data, add=range(90))
    reader = IndexReader(index)
    centroids = centroids_of(reader)
    reader.close()

    # Remove 10 files, add 20: the trained lists are kept (no retraining for +10%)
    m = write(index, data, add=range(90, 110), remove=range(10))
    assert (m.chunks, m.faiss_index) == (4000, "IVF64,SQ8")
    reader = IndexReader(index)
    assert reader.verify() == []
    assert np.array_equal(centroids_of(reader), centroids)
    rows = row_of(reader)
    assert set(rows.values()) == set(range(400, 4400))  # the removed files' vectors are gone
    new = [i for i, r in rows.items() if r >= 3600]
    hits = [int(reader.search_vectors(data["vectors"][rows[i]], 1)[1][0][0]) for i in new[::37]]
    assert hits == new[::37]  # a new vector is its own nearest neighbour
    assert dense_recall(reader, data) >= 0.9
    reader.close()

    # Shrink to 1,000 chunks: the list count that calls for is under half: retrained, on the decoded vectors
    m = write(index, data, remove=range(10, 85))
    assert (m.chunks, m.faiss_index) == (1000, f"IVF{ivf_lists(1000)},SQ8") and ivf_lists(1000) == 16
    reader = IndexReader(index)
    assert reader.verify() == [] and dense_recall(reader, data) >= 0.9
    centroids = centroids_of(reader)
    reader.close()
    m = write(index, data, remove=range(85, 95))  # 600 chunks: 16 lists still fit, kept
    assert (m.chunks, m.faiss_index) == (600, "IVF16,SQ8") and ivf_lists(600) == 8
    reader = IndexReader(index)
    assert np.array_equal(centroids_of(reader), centroids)
    reader.close()

    # Back under the limit: flat again, holding the (SQ8-decoded, re-normalised) vectors
    m = write(index, data, remove=range(95, 103))
    assert (m.chunks, m.faiss_index) == (280, "IDMap2,Flat")
    reader = IndexReader(index)
    assert reader.ivf is None and reader.verify() == []
    rows = row_of(reader)
    ids = np.array(sorted(rows), dtype=np.int64)
    stored = reader.reconstruct(ids)
    assert np.abs(np.linalg.norm(stored, axis=1) - 1).max() < 1e-4
    assert (np.sum(stored * data["vectors"][[rows[i] for i in ids]], axis=1) > 0.999).all()
    reader.close()

    # And over it again
    m = write(index, data, add=range(20, 40))
    assert (m.chunks, m.faiss_index) == (1080, f"IVF{ivf_lists(1080)},SQ8")
    reader = IndexReader(index)
    assert reader.verify() == [] and len(vector_ids(reader.vectors)) == 1080
    reader.close()


def test_manifest_naming_another_index_type_is_refused(tmp_path, data):
    write(tmp_path / "index", data, add=range(5))  # 200 chunks: flat
    path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "faiss_index": "IVF64,SQ8"}))
    with pytest.raises(IndexCorruptError, match="holds an IDMap2,Flat index but the manifest says IVF64,SQ8"):
        IndexReader(tmp_path / "index")


def test_build_index_honours_exact_search_limit(tmp_path, encoder):
    from search import Searcher
    from search.filters import Filters

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    topics = ["legal aid for people on low incomes", "open court data and published judgments",
              "community paralegals in rural areas", "mediation of family disputes",
              "court fees and fee waivers", "access to justice for women"]
    for i, topic in enumerate(topics):
        (corpus / f"note-{i}.txt").write_text(
            "\n\n".join(f"Note {i}, part {p}: {topic}. Reform {p} of {topic} was evaluated in {2010 + p}."
                        for p in range(3)), encoding="utf-8")
    (corpus / "note-4.txt.source.json").write_text(json.dumps({"country": "Kenya"}), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", exact_search_limit=3)
    report = build_index(settings, progress=False, encoder=encoder)
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["chunks"] == report.total_chunks > 3
    assert manifest["faiss_index"] == f"IVF{ivf_lists(report.total_chunks)},SQ8"
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        hits = searcher.search("mediation of family disputes", 3)
        assert hits and hits[0].provenance.source == "note-3.txt"
        only = searcher.search("legal aid", 5, Filters(country=("Kenya",)))  # note-4's sidecar country
        assert only and all(h.provenance.source == "note-4.txt" for h in only)
    finally:
        searcher.close()
    (corpus / "note-0.txt").unlink()  # an incremental build of the IVF index, under the limit raised
    report = build_index(Settings(corpus_dir=corpus, index_dir=settings.index_dir, exact_search_limit=1000),
                         progress=False, encoder=encoder)
    assert report.removed == ["note-0.txt"]
    assert json.loads((settings.index_dir / "manifest.json").read_text())["faiss_index"] == "IDMap2,Flat"


def test_result_metadata_lookups_use_indexes_not_table_scans(starter_index):
    """Reading the chunks of a result page must stay a lookup at any size: the policy areas of a
    document are found through an index (a scan of policy_areas took 37 ms at 1M chunks)."""
    settings, _ = starter_index
    reader = IndexReader(settings.index_dir)
    try:
        plan = " ".join(str(r[-1]) for r in reader.db.execute(
            "EXPLAIN QUERY PLAN SELECT document_id, area FROM policy_areas WHERE document_id IN (1, 2, 3)"))
        assert "USING INDEX policy_areas_document" in plan or "USING COVERING INDEX policy_areas_document" in plan, plan
        ids = [r[0] for r in reader.db.execute("SELECT id FROM chunks ORDER BY id LIMIT 5")]
        rows = reader.chunks_by_id(ids)
        assert sorted(rows) == ids and all(rows[i].text for i in ids)
    finally:
        reader.close()
