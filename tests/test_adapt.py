"""``python -m indexer adapt``: the model fine-tuned on an index's own passages, then an index built with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

from indexer.__main__ import main
from indexer.adapt import FEWEST_PAIRS, MIN_PASSAGE_WORDS, PROVENANCE_FILE, training_pairs

from conftest import REPO, STARTER_CORPUS


def indexer_command(*args: str) -> subprocess.CompletedProcess:
    """``python -m indexer ARGS`` in its own process: training grows a process's heap by gigabytes
    that it keeps, and the test session forks build workers from its own."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "indexer", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)

LONG = ("The ministry will publish every court's clearance rate each quarter. "
        "Citizens can compare how long cases take in each district before they file. "
        "A council of judges and civil society reviews the figures every year. "
        "Legal aid offices will open in the twelve provinces that have none today. "
        "Paralegals trained by the bar association will staff them on weekdays.")


def test_each_pair_asks_with_one_sentence_and_answers_with_the_rest():
    passages = [("Court data plan", LONG, False), ("Plan de justicia", LONG.replace("ministry", "secretariat"), True),
                ("Too short", "Only a few words here, nothing to learn from.", False)]
    pairs = training_pairs(passages, seed=3)
    assert len(pairs) == 2  # the short passage gives none
    for question, answer in pairs:
        assert question in LONG or question in LONG.replace("ministry", "secretariat")
        assert question not in answer  # the match cannot be made on the sentence's own words
        assert 6 <= len(question.split()) <= 40
    by_answer = {a.startswith("Court data plan\n"): a for _, a in pairs}
    assert by_answer[True].startswith("Court data plan\n")  # the document's title goes with a passage as written
    assert not any(a.startswith("Plan de justicia") for _, a in pairs)  # not with a rendering
    assert training_pairs(passages, seed=3) == pairs and training_pairs(passages, seed=3, limit=1) == pairs[:1]


def test_adapt_writes_a_model_that_an_index_records_and_searches_with(tmp_path, starter_index):
    from sentence_transformers import SentenceTransformer

    from indexer.embedding import resolve_model_path
    from indexer.settings import PACKAGED_MODEL_NAME
    from indexer.store import IndexManifest
    from search import Searcher

    settings, _ = starter_index
    out = tmp_path / "adapted"
    done = indexer_command("adapt", "--index", str(settings.index_dir), "--out", str(out), "--pairs", "64", "--quiet")
    assert done.returncode == 0, done.stderr
    said = done.stdout
    assert "64 pairs" in said and f"python -m indexer build --index {settings.index_dir} --model {out}" in said
    record = json.loads((out / PROVENANCE_FILE).read_text())
    assert record["base_model"] == PACKAGED_MODEL_NAME and record["pairs"] == 64 and record["steps"] == 2
    assert record["index"] == str(settings.index_dir) and record["language"] == "en"

    # The weights moved, a little: the adapted model still reads the language it was trained on.
    sentence = ["Free legal aid for people who cannot afford a lawyer"]
    before = SentenceTransformer(resolve_model_path(PACKAGED_MODEL_NAME), device="cpu").encode(sentence)[0]
    after = SentenceTransformer(str(out), device="cpu").encode(sentence)[0]
    similarity = float(np.dot(before, after) / np.linalg.norm(before) / np.linalg.norm(after))
    assert 0.9 < similarity < 0.99999

    corpus = tmp_path / "corpus"
    shutil.copytree(STARTER_CORPUS, corpus)
    index = tmp_path / "index"
    done = indexer_command("build", "--corpus", str(corpus), "--index", str(index), "--model", str(out),
                           "--backend", "torch", "--quiet")
    assert done.returncode == 0, done.stderr
    assert IndexManifest.read(index).model == str(out)
    searcher = Searcher(index)  # the index's own model, no settings needed
    try:
        hits = searcher.search("eligibility for free legal aid means test", 5)
    finally:
        searcher.close()
    assert any("legal aid" in h.text.lower() for h in hits[:3])

    # Adapting again into the same folder replaces the model this command wrote there.
    done = indexer_command("adapt", "--index", str(settings.index_dir), "--out", str(out), "--pairs", "32", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / PROVENANCE_FILE).read_text())["pairs"] == 32


def test_adapt_refuses_a_foreign_folder_and_a_collection_too_small(tmp_path, starter_index, encoder, capsys):
    from indexer.build import build_index
    from indexer.settings import Settings

    settings, _ = starter_index
    foreign = tmp_path / "my-notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    assert main(["adapt", "--index", str(settings.index_dir), "--out", str(foreign), "--quiet"]) == 2
    assert "my-notes exists and is not a model this command wrote" in capsys.readouterr().err
    assert (foreign / "keep.txt").read_text() == "mine"

    small = tmp_path / "small"
    small.mkdir()
    (small / "note.md").write_text("# Note\n\n" + LONG + "\n")
    tiny = Settings(corpus_dir=small, index_dir=tmp_path / "tiny-index")
    build_index(tiny, progress=False, encoder=encoder)
    assert main(["adapt", "--index", str(tiny.index_dir), "--out", str(tmp_path / "m"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "gives only 1 training pair(s)" in err and f"at least {MIN_PASSAGE_WORDS} words; {FEWEST_PAIRS} needed" in err
    assert not (tmp_path / "m").exists()


def test_with_renderings_off_every_passage_takes_part_as_written(starter_index):
    """A multilingual model (bridge_language = "off") is adapted on the passages as written, in every
    language, in one read of the index."""
    from indexer.store import IndexReader

    settings, _ = starter_index
    reader = IndexReader(settings.index_dir)
    try:
        as_written = reader.passages_in(None)
        chunks = reader.db.execute("SELECT c.text, c.language FROM chunks c ORDER BY c.id").fetchall()
    finally:
        reader.close()
    assert [text for _, text, _ in as_written] == [text for text, _ in chunks]
    assert not any(rendered for _, _, rendered in as_written)
    assert {language for _, language in chunks} >= {"en", "es"}  # the starter corpus has a Spanish guide
