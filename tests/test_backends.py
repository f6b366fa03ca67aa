"""The encoder runtimes: ONNX fp32 and int8 against sentence-transformers, the export cache,
and an index that always answers with the runtime it was built with."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from indexer.build import build_index
from indexer.embedding import OnnxEncoder, SentenceTransformerEncoder, encoder_for, export_onnx
from indexer.errors import ModelLoadError, SettingsError
from indexer.settings import PACKAGED_MODEL_NAME, Settings, load_settings
from search import Searcher

from conftest import STARTER_CORPUS

PASSAGES = [
    "The Ministry of Justice will publish court data on case backlogs every quarter.",
    "Legal aid: free advice for people who cannot afford a lawyer, in every district.",
    "Protecting people who blow the whistle on corruption in public procurement.",
    "Se creará un registro público de sentencias judiciales accesible en línea.",
    "x",
    "A long passage about community paralegals and customary courts. " * 20,
]


@pytest.fixture(scope="module")
def torch_vectors():
    enc = SentenceTransformerEncoder(PACKAGED_MODEL_NAME)
    return enc.encode(PASSAGES)


def test_onnx_fp32_matches_sentence_transformers(torch_vectors):
    onnx = encoder_for(PACKAGED_MODEL_NAME, "onnx", Settings())
    vectors = onnx.encode(PASSAGES)
    assert vectors.shape == torch_vectors.shape == (len(PASSAGES), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # the same graph: equal to rounding, including the passage cut at the 256-token window
    assert (vectors * torch_vectors).sum(axis=1).min() > 0.9999


def test_int8_stays_close_to_fp32_and_keeps_neighbours(torch_vectors, encoder):
    assert isinstance(encoder, OnnxEncoder) and encoder.backend == "onnx-int8"  # the default
    vectors = encoder.encode(PASSAGES)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.mean() >= 0.98 and cosine.min() >= 0.95
    question = encoder.encode(["whistleblower protection"])[0]
    assert int(np.argmax(vectors @ question)) == int(np.argmax(torch_vectors @ question)) == 2


def test_encode_keeps_input_order_whatever_the_lengths(encoder):
    shuffled = PASSAGES[::-1]
    assert np.allclose(encoder.encode(shuffled)[::-1], encoder.encode(PASSAGES), atol=1e-5)
    # A passage's vector is its own, whatever is encoded with it (so incremental builds answer
    # exactly as fresh ones).
    single = np.vstack([encoder.encode([p]) for p in PASSAGES])
    assert np.array_equal(single, encoder.encode(PASSAGES))


def test_export_is_cached_and_a_damaged_copy_is_named(tmp_path):
    first = export_onnx(PACKAGED_MODEL_NAME, tmp_path, quantize=False)
    assert (first / "model.onnx").is_file() and json.loads((first / "meta.json").read_text())["dimension"] == 384
    stamp = (first / "model.onnx").stat().st_mtime_ns
    assert export_onnx(PACKAGED_MODEL_NAME, tmp_path, quantize=False) == first
    assert (first / "model.onnx").stat().st_mtime_ns == stamp  # reused, not exported again
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no half-written exports left
    (first / "model.onnx").write_bytes(b"not a model")
    broken = OnnxEncoder(PACKAGED_MODEL_NAME, "onnx", cache_dir=tmp_path)
    with pytest.raises(ModelLoadError, match=str(first)):
        broken.encode(["anything"])


def test_unknown_model_fails_with_a_clear_message(tmp_path):
    enc = OnnxEncoder(str(tmp_path / "no-such-model"), "onnx-int8", cache_dir=tmp_path / "cache")
    with pytest.raises(ModelLoadError, match="no-such-model"):
        enc.encode(["anything"])


def test_backend_setting_is_checked():
    assert Settings().backend == "onnx-int8"
    assert Settings().with_overrides(backend="torch").backend == "torch"
    with pytest.raises(SettingsError, match="backend must be one of onnx-int8, onnx, torch"):
        Settings().with_overrides(backend="tensorrt")


def test_index_answers_with_the_backend_it_was_built_with(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("access-to-justice.md", "legal-empowerment-paralegals.md"):
        shutil.copy(STARTER_CORPUS / "guides" / name, corpus / name)
    fp32 = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", backend="onnx")
    build_index(fp32, progress=False)
    manifest = json.loads((fp32.index_dir / "manifest.json").read_text())
    assert manifest["backend"] == "onnx"
    # The searcher follows the index, not the (default, int8) settings it is given.
    searcher = Searcher(fp32.index_dir, Settings())
    try:
        assert isinstance(searcher.encoder, OnnxEncoder) and searcher.encoder.backend == "onnx"
        assert searcher.search("paralegals", k=1)[0].provenance.source == "legal-empowerment-paralegals.md"
    finally:
        searcher.close()
    # Switching the backend re-embeds everything: fp32 and int8 vectors are never mixed.
    report = build_index(fp32.with_overrides(backend="onnx-int8"), progress=False, encoder=encoder)
    assert report.full_rebuild_reason and "backend" in report.full_rebuild_reason
    assert report.chunks_embedded == report.total_chunks > 0
    assert json.loads((fp32.index_dir / "manifest.json").read_text())["backend"] == "onnx-int8"


def test_backend_from_config_file(tmp_path):
    config = tmp_path / "justice-search.toml"
    config.write_text('backend = "torch"\n', encoding="utf-8")
    assert isinstance(encoder_for(PACKAGED_MODEL_NAME, load_settings(config).backend, Settings()),
                      SentenceTransformerEncoder)


def test_many_texts_are_encoded_side_by_side_with_the_same_result(encoder):
    texts = [f"{p} (variant {i})" for i in range(12) for p in PASSAGES]  # above the side-by-side threshold
    seen = []
    bulk = encoder.encode(texts, progress=seen.append)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts[:: len(PASSAGES) + 1]])
    assert np.allclose(bulk[:: len(PASSAGES) + 1], one_by_one, atol=1e-5)
    assert sum(seen) == len(texts)  # the progress callback saw every text once


def test_chunk_token_ids_are_what_the_encoder_would_tokenise_and_give_the_same_vectors(encoder):
    """The build hands chunking's token ids to the ONNX encoder instead of tokenising again:
    they must be exactly the encoder's own tokenisation, so the vectors cannot differ."""
    from indexer.chunking import Chunker
    from indexer.records import Document, Provenance

    onnx = encoder  # the session's encoder: ONNX int8, the default backend
    assert isinstance(onnx, OnnxEncoder)
    text = "\n\n".join(PASSAGES[:4] + [PASSAGES[5]] * 3)
    document = Document(Provenance(source="notes.md", kind="guide", title="Justice notes", section="Legal aid"), text)
    chunks = Chunker(onnx.tokenizer, max_tokens=256, chunk_tokens=120, overlap_tokens=16).chunk(document)
    assert len(chunks) > 1
    for chunk in chunks:
        own = onnx.tokenizer.encode(chunk.embedding_text, add_special_tokens=True).ids
        assert list(chunk.token_ids) == own
        assert chunk.token_count == len(own) - 2  # [CLS] and [SEP]
    texts = [c.embedding_text for c in chunks]
    from_text = onnx.encode(texts)
    from_ids = onnx.encode(texts, token_ids=[c.token_ids for c in chunks])
    assert np.array_equal(from_text, from_ids)
