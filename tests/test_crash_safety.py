"""Crash safety, the build lock, `python -m indexer check`, and refusing foreign indexes.

Builds run in forked children (the model is loaded once, in this process; each child uses
one torch thread, as torch's OpenMP pool does not survive a fork). A child is SIGKILLed from
inside at a chosen point: a profiler counts every call in the indexer package and every call
it makes into SQLite, FAISS, the OS and the encoder, and the child kills itself when the
count reaches N. Points are spread over a whole incremental build, plus a dense set inside
IndexWriter.commit (SQLite commit, FAISS write, fsyncs, manifest write, os.replace, directory
fsync) and inside a full rebuild. After every kill the index must load, pass its own checks
and answer the test queries exactly as before (or exactly as the finished new build, when the
kill came after the manifest swap); every other kill is followed by a build that completes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest
from conftest import REPO, make_pdf

import indexer
from indexer.__main__ import main
from indexer.build import build_index
from indexer.errors import IndexerError, IndexLockedError, IndexMismatchError
from indexer.settings import Settings
from indexer.store import IndexReader, IndexWriter

INDEXER_DIR = os.path.dirname(indexer.__file__) + os.sep
COMMIT_CODE = IndexWriter.commit.__code__
FORK = multiprocessing.get_context("fork")

QUERIES = [
    "legal aid offices in every district",
    "court fees waived for people on low incomes",
    "paralegals explain court procedures",
    "mediation of family disputes",
    "court user committees in Kenya",
]


# -- two versions of a small corpus ----------------------------------------------------------


def _csv(rows: list[tuple[str, str, str, str]]) -> str:
    head = "Commitment Unique Identifier,Country/Locality,Commitment Title,Full Text\n"
    return head + "".join(f'{a},{b},{c},"{d}"\n' for a, b, c, d in rows)


def write_corpus(corpus: Path, version: str) -> Path:
    """Version B changes a guide and the CSV, removes the HTML page and adds a text note."""
    (corpus / "guides").mkdir(parents=True)
    (corpus / "notes").mkdir()
    make_pdf(corpus / "reports" / "legal-aid.pdf", [
        "Legal aid offices opened in every district. Each office employs two lawyers and a paralegal.",
        "Waiting times for a first appointment fell from ninety days to thirty days.",
    ], title="Legal Aid Review")
    guide = ("# Access to justice\n\n## Paralegals\n\nParalegals explain court procedures to people "
             "without lawyers. They work in community centres.\n")
    if version == "B":
        guide += "\n## Court fees\n\nCourt fees are waived for people on low incomes since the 2022 reform.\n"
    (corpus / "guides" / "access.md").write_text(guide, encoding="utf-8")
    rows = [("KE0021", "Kenya", "Court user committees",
             "Set up court user committees in every county to hear complaints about courts."),
            ("MK0164", "North Macedonia", "Free legal aid", "Expand free primary legal aid in rural areas.")]
    if version == "B":
        rows.append(("CL0075", "Chile", "Mediation centres",
                     "Open mediation centres for family disputes in every region."))
    (corpus / "commitments").mkdir()
    (corpus / "commitments" / "export.csv").write_text(_csv(rows), encoding="utf-8")
    (corpus / "notes" / "fees.txt").write_text(
        "Court fees are a barrier. Fee waivers exist but few people know about them.\n", encoding="utf-8")
    if version == "A":
        (corpus / "guides" / "centres.html").write_text(
            "<html><body><main><h1>Justice centres</h1><p>Justice centres offer mediation of family disputes "
            "and free advice on housing.</p></main></body></html>", encoding="utf-8")
    else:
        (corpus / "notes" / "mediation.txt").write_text(
            "Mediation of family disputes takes six weeks on average and costs nothing.\n", encoding="utf-8")
    return corpus


# -- builds in forked children, killed at the Nth counted event -------------------------------


class KillSwitch:
    """sys.setprofile hook: counts events and SIGKILLs this process at the chosen one."""

    def __init__(self, kill_at: int | None = None, phase: str = "build") -> None:
        self.kill_at, self.phase = kill_at, phase  # phase "commit": count from IndexWriter.commit's entry
        self.events = 0
        self.commit_events = 0

    def __call__(self, frame, event, arg) -> None:
        code = frame.f_code
        if event == "call":  # a Python function of the indexer, or one the indexer calls
            caller = frame.f_back.f_code.co_filename if frame.f_back else ""
            if not (code.co_filename.startswith(INDEXER_DIR) or caller.startswith(INDEXER_DIR)):
                return
        elif event == "c_call":  # a builtin the indexer calls: os.replace, os.fsync, sqlite3, faiss...
            if not code.co_filename.startswith(INDEXER_DIR):
                return
        else:
            return
        self.events += 1
        if self.commit_events or code is COMMIT_CODE:
            self.commit_events += 1
        count = self.commit_events if self.phase == "commit" else self.events
        if self.kill_at is not None and count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def _child(settings: Settings, encoder, kill_at, phase, conn, pause_on_add) -> None:
    import torch

    torch.set_num_threads(1)  # torch's OpenMP pool from the parent hangs after fork
    if pause_on_add:
        original = IndexWriter.add_documents

        def add_documents_after_go(self, *args, **kwargs):
            conn.send(("paused", os.getpid()))
            conn.recv()  # the parent says go
            IndexWriter.add_documents = original
            return original(self, *args, **kwargs)

        IndexWriter.add_documents = add_documents_after_go
    switch = KillSwitch(kill_at, phase)
    # Every thread the build starts counts too: it reads files on one and stores passages on another.
    threading.setprofile(switch)
    sys.setprofile(switch)
    try:
        # The tests move one index between corpus A and corpus B on purpose: replace=True says so.
        build_index(settings, progress=False, encoder=encoder, replace=True)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        sys.setprofile(None)
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        os._exit(3)
    sys.setprofile(None)
    conn.send(("done", switch.events, switch.commit_events))
    os._exit(0)


def build_in_child(settings: Settings, encoder, kill_at: int | None = None, phase: str = "build"):
    """-> (exit code, message from the child or None). Exit code -9: killed as planned."""
    parent, child = FORK.Pipe()
    process = FORK.Process(target=_child, args=(settings, encoder, kill_at, phase, child, False))
    process.start()
    process.join(120)
    assert process.exitcode is not None, "the build child hung"
    message = parent.recv() if parent.poll() else None
    return process.exitcode, message


def complete_build(settings: Settings, encoder) -> tuple[int, int]:
    code, message = build_in_child(settings, encoder)
    assert code == 0 and message[0] == "done", message
    return message[1], message[2]


# -- what the index answers --------------------------------------------------------------------


def answers(index_dir: Path, query_vectors: np.ndarray) -> tuple[int, list]:
    """(generation, top 3 per query as (source, text, score)); fails if the index does not load."""
    reader = IndexReader(index_dir)
    try:
        assert reader.verify() == []
        scores, ids = reader.vectors.search(query_vectors, 3)
        chunks = reader.chunks_by_id(ids.ravel().tolist())
        return reader.manifest.generation, [
            [(chunks[i].provenance.source, chunks[i].text, round(float(s), 5)) for s, i in zip(row_s, row_i)]
            for row_s, row_i in zip(scores, ids)
        ]
    finally:
        reader.close()


def index_files(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir()} - {".lock"}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("crash")
    corpus_a = write_corpus(root / "corpus-a", "A")
    corpus_b = write_corpus(root / "corpus-b", "B")
    vectors = encoder.encode(QUERIES)
    # Warm up torch here with the children's one thread: kernels prepared for these input shapes
    # before the fork are inherited, which makes each child build about three times faster.
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for corpus in (corpus_a, corpus_b):
            build_index(Settings(corpus_dir=corpus, index_dir=root / "warm-up"), progress=False, encoder=encoder,
                        replace=True)
    finally:
        torch.set_num_threads(threads)
    # Reference answers, and the number of counted events of each kind of build.
    ref_index = root / "reference"
    complete_build(Settings(corpus_dir=corpus_a, index_dir=ref_index), encoder)
    expected = {"A": answers(ref_index, vectors)[1]}
    counts = {}
    counts["A->B"] = complete_build(Settings(corpus_dir=corpus_b, index_dir=ref_index), encoder)
    expected["B"] = answers(ref_index, vectors)[1]
    counts["B->A"] = complete_build(Settings(corpus_dir=corpus_a, index_dir=ref_index), encoder)
    assert answers(ref_index, vectors)[1] == expected["A"], "an incremental build must answer as a fresh one"
    assert expected["A"] != expected["B"]
    return {"root": root, "A": corpus_a, "B": corpus_b, "vectors": vectors, "expected": expected, "counts": counts}


def test_sigkill_at_many_points_keeps_the_previous_index_and_the_next_build_completes(corpora, encoder, tmp_path):
    index = tmp_path / "index"
    settings = {v: Settings(corpus_dir=corpora[v], index_dir=index) for v in ("A", "B")}
    vectors, expected = corpora["vectors"], corpora["expected"]
    complete_build(settings["A"], encoder)
    state = "A"

    # 14 points spread over whole builds, then 10 inside the commit (fsyncs, FAISS write, manifest swap)
    plan = [("build", (i + 0.5) / 14) for i in range(14)] + [("commit", i / 9) for i in range(10)]
    survived, swaps = [], 0
    for n, (phase, fraction) in enumerate(plan):
        target = "B" if state == "A" else "A"
        total, commit_total = corpora["counts"][f"{state}->{target}"]
        kill_at = max(1, round((total if phase == "build" else commit_total) * fraction))
        generation_before, answers_before = answers(index, vectors)

        code, message = build_in_child(settings[target], encoder, kill_at=kill_at, phase=phase)
        assert code in (-signal.SIGKILL, 0), (code, message)
        generation, now = answers(index, vectors)  # loads, passes verify(), answers
        if generation == generation_before:
            assert now == answers_before == expected[state], f"kill {n} ({phase} event {kill_at}) changed the answers"
        else:  # killed after the manifest swap: the new index is complete
            assert generation == generation_before + 1 and now == expected[target]
            state = target
            swaps += 1
        survived.append((phase, kill_at, code))

        if n % 2 == 1:  # the next build completes and is consistent; the dead build's files are gone
            if state != target:
                complete_build(settings[target], encoder)
                state = target
            generation, now = answers(index, vectors)
            assert now == expected[state]
            reader = IndexReader(index)
            previous = {f"vectors-{generation - 1:06d}.faiss", f"chunks-{generation - 1:06d}.sqlite"}
            assert index_files(index) <= {"manifest.json", reader.manifest.faiss_file,
                                          reader.manifest.sqlite_file} | previous
            reader.close()
    kills = [(phase, at) for phase, at, code in survived if code == -signal.SIGKILL]
    print(f"\nsurvived {len(kills)} SIGKILLs ({swaps} after the manifest swap): {kills}")
    assert len(kills) >= 20, survived


def test_sigkill_during_a_full_rebuild_keeps_the_old_index(corpora, encoder, tmp_path):
    """A model or chunk-size change rebuilds from nothing: the live index must survive that too."""
    index = tmp_path / "index"
    old = Settings(corpus_dir=corpora["A"], index_dir=index)
    new = old.with_overrides(chunk_tokens=96, overlap_tokens=16)
    complete_build(old, encoder)
    generation_before, answers_before = answers(index, corpora["vectors"])
    dry = tmp_path / "dry"
    shutil.copytree(index, dry)
    total, commit_total = complete_build(new.with_overrides(index_dir=dry), encoder)
    expected_new = answers(dry, corpora["vectors"])[1]

    for phase, kill_at in [("build", total // 5), ("build", total // 2), ("build", total * 4 // 5),
                           ("commit", commit_total // 2), ("commit", commit_total - 3)]:
        code, message = build_in_child(new, encoder, kill_at=kill_at, phase=phase)
        assert code == -signal.SIGKILL, message
        generation, now = answers(index, corpora["vectors"])
        if generation == generation_before:
            assert now == answers_before
        else:
            assert now == expected_new
            break
    complete_build(new, encoder)
    assert answers(index, corpora["vectors"])[1] == expected_new


# -- two builds at once ------------------------------------------------------------------------


def test_a_second_build_is_refused_with_a_clear_message_while_the_first_finishes(corpora, encoder, tmp_path):
    index = tmp_path / "index"
    first_settings = Settings(corpus_dir=corpora["B"], index_dir=index)
    complete_build(Settings(corpus_dir=corpora["A"], index_dir=index), encoder)

    parent, child = FORK.Pipe()
    first = FORK.Process(target=_child, args=(first_settings, encoder, None, "build", child, True))
    first.start()
    try:
        assert parent.poll(60), "the first build never reached add_documents"
        event, pid = parent.recv()
        assert event == "paused"

        # in this process, through the library
        with pytest.raises(IndexLockedError) as info:
            build_index(Settings(corpus_dir=corpora["A"], index_dir=index), progress=False, encoder=encoder)
        message = str(info.value)
        assert f"Another build is writing {index}" in message and f"pid {pid}" in message
        assert "Wait for it to finish, then run again." in message

        # a real second `python -m indexer build` process
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        second = subprocess.run([sys.executable, "-m", "indexer", "build", "--corpus", str(corpora["A"]),
                                 "--index", str(index), "--quiet"], cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert second.stderr.startswith("error: Another build is writing") and "Traceback" not in second.stderr

        # meanwhile the index still loads and `check` passes
        assert answers(index, corpora["vectors"])[1] == corpora["expected"]["A"]
        assert main(["check", "--index", str(index)]) == 0
    finally:
        parent.send("go")
        first.join(120)
    assert first.exitcode == 0, parent.recv() if parent.poll() else None
    assert answers(index, corpora["vectors"])[1] == corpora["expected"]["B"]


# -- `python -m indexer check` on damaged copies ------------------------------------------------


@pytest.fixture(scope="module")
def good_index(corpora, encoder):
    index = corpora["root"] / "good-index"
    complete_build(Settings(corpus_dir=corpora["A"], index_dir=index), encoder)
    return index


def _manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text())


def _edit_manifest(index: Path, **changes) -> None:
    data = _manifest(index)
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    (index / "manifest.json").write_text(json.dumps(data))


def _rewrite_vectors(index: Path, change) -> None:
    """Apply ``change`` to the FAISS index and record the new size, as a buggy writer would."""
    m = _manifest(index)
    vectors = faiss.read_index(str(index / m["faiss_file"]))
    change(vectors)
    faiss.write_index(vectors, str(index / m["faiss_file"]))
    _edit_manifest(index, faiss_bytes=(index / m["faiss_file"]).stat().st_size)


def _drop_one_vector(vectors) -> None:
    vectors.remove_ids(np.asarray([int(faiss.vector_to_array(vectors.id_map)[0])], dtype=np.int64))


def _renumber_one_vector(vectors) -> None:
    first = int(faiss.vector_to_array(vectors.id_map)[0])
    vector = vectors.reconstruct(first)
    vectors.remove_ids(np.asarray([first], dtype=np.int64))
    vectors.add_with_ids(vector[None, :], np.asarray([10_000], dtype=np.int64))


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _scribble_sqlite(index: Path) -> None:
    path = index / _manifest(index)["sqlite_file"]
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page * 2, len(data) - page, page * 2):  # every other page from the third
        data[start + 8:start + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))


def _fake_model(folder: Path, dimension: int) -> str:
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": dimension}))
    return str(folder)


def _faiss(index: Path) -> Path:
    return index / _manifest(index)["faiss_file"]


def _sqlite(index: Path) -> Path:
    return index / _manifest(index)["sqlite_file"]


#: damage -> words the message must contain (every one is then repaired by a plain build)
DAMAGE = {
    "missing FAISS file": (lambda d: _faiss(d).unlink(), "is missing"),
    "missing SQLite file": (lambda d: _sqlite(d).unlink(), "is missing"),
    "truncated FAISS file": (lambda d: _truncate(_faiss(d)), "changed or damaged"),
    "truncated FAISS file, size recorded": (
        lambda d: (_truncate(_faiss(d), 0.6), _edit_manifest(d, faiss_bytes=_faiss(d).stat().st_size)),
        "vector file"),
    "FAISS has one vector less": (lambda d: _rewrite_vectors(d, _drop_one_vector), "inconsistent"),
    "FAISS ids differ from SQLite": (lambda d: _rewrite_vectors(d, _renumber_one_vector), "ids differ"),
    "SQLite pages scribbled": (lambda d: _scribble_sqlite(d), "damage"),
    "manifest not JSON": (lambda d: (d / "manifest.json").write_text("{not json"), "unreadable"),
    "manifest is a list": (lambda d: (d / "manifest.json").write_text("[]"), "not a JSON object"),
    "manifest lacks a field": (lambda d: _edit_manifest(d, chunks=None), "incomplete"),
    "manifest field of the wrong type": (lambda d: _edit_manifest(d, chunks="many"), "invalid values for chunks"),
    "manifest file name is a path": (lambda d: _edit_manifest(d, faiss_file="../../etc/passwd"), "faiss_file"),
    "manifest count differs": (lambda d: _edit_manifest(d, chunks=_manifest(d)["chunks"] + 1), "inconsistent"),
    "other schema version": (lambda d: _edit_manifest(d, schema_version=99), "format version 99"),
    "other dimension": (lambda d: _edit_manifest(d, dimension=768), "768"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_check_explains_a_damaged_index_in_one_sentence_and_the_rebuild_repairs_it(
        damage, good_index, corpora, encoder, tmp_path, capsys):
    index = tmp_path / "index"
    shutil.copytree(good_index, index)
    do, words = DAMAGE[damage]
    do(index)

    assert main(["check", "--index", str(index)]) == 2
    captured = capsys.readouterr()
    message = captured.err.strip()
    assert message.startswith("error: ") and "\n" not in message, message  # one sentence, no trace
    assert words in message, message
    assert f"rebuild it with `python -m indexer build --index {index}`" in message.lower(), message

    build_index(Settings(corpus_dir=corpora["A"], index_dir=index), progress=False, encoder=encoder)
    assert main(["check", "--index", str(index)]) == 0
    assert "is consistent" in capsys.readouterr().out
    assert answers(index, corpora["vectors"])[1] == corpora["expected"]["A"]


def test_check_passes_a_whole_index_and_names_the_model(good_index, capsys):
    assert main(["check", "--index", str(good_index)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Index {good_index} is consistent: generation 1, 5 files")
    assert "sentence-transformers/all-MiniLM-L6-v2 (384 d)" in out


def test_check_refuses_an_index_that_does_not_fit_the_model(good_index, tmp_path, capsys):
    # the settings ask for another model than the index was built with
    assert main(["check", "--index", str(good_index), "--model", "intfloat/multilingual-e5-small"]) == 2
    message = capsys.readouterr().err.strip()
    assert "built with the model 'sentence-transformers/all-MiniLM-L6-v2'" in message and "\n" not in message
    assert f"`python -m indexer build --index {good_index} --model intfloat/multilingual-e5-small`" in message

    # built with a local model whose vectors have another dimension than the index holds
    index = tmp_path / "index"
    shutil.copytree(good_index, index)
    _edit_manifest(index, model=_fake_model(tmp_path / "wide-model", 768))
    assert main(["check", "--index", str(index)]) == 2
    message = capsys.readouterr().err.strip()
    assert "holds 384-dimensional vectors" in message and "gives 768" in message and "rebuild it" in message

    # built with a model folder that is gone
    _edit_manifest(index, model=str(tmp_path / "deleted-model"))
    assert main(["check", "--index", str(index)]) == 2
    assert "which does not exist" in capsys.readouterr().err


def test_check_on_a_missing_index_says_how_to_build_one(tmp_path, capsys):
    assert main(["check", "--index", str(tmp_path / "nothing")]) == 2
    assert f"build one with `python -m indexer build --index {tmp_path / 'nothing'}`" in capsys.readouterr().err


def test_check_exit_status_is_documented_and_real(good_index, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    helped = subprocess.run([sys.executable, "-m", "indexer", "check", "--help"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "exit status: 0 the index is whole; 2 it is missing, damaged" in " ".join(helped.stdout.split())
    index = tmp_path / "index"
    shutil.copytree(good_index, index)
    _truncate(_faiss(index))
    result = subprocess.run([sys.executable, "-m", "indexer", "check", "--index", str(index)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: The file ") and "rebuild it with" in result.stderr


# -- item 3: an index built with another model, dimension or schema is refused on load --------


@pytest.mark.parametrize("change", [{"schema_version": 2}, {"dimension": 512}])
def test_loading_a_foreign_index_is_refused_in_one_sentence(good_index, tmp_path, change):
    index = tmp_path / "index"
    shutil.copytree(good_index, index)
    _edit_manifest(index, **change)
    with pytest.raises(IndexMismatchError) as info:
        IndexReader(index)
    message = str(info.value)
    assert "\n" not in message and message.count(". ") <= 1
    assert f"rebuild it with `python -m indexer build --index {index}`" in message


def test_search_refuses_an_index_built_with_another_model(good_index, encoder):
    from search import Searcher

    with pytest.raises(IndexMismatchError) as info:
        Searcher(good_index, Settings(model="intfloat/multilingual-e5-small"), encoder=encoder)
    assert "rebuild the index" in str(info.value) and "\n" not in str(info.value)


def test_search_command_on_a_foreign_index_prints_one_line_not_a_trace(good_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(good_index, index)
    _edit_manifest(index, schema_version=2)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "search", "legal aid", "--index", str(index)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "rebuild it with" in result.stderr


def test_library_errors_are_indexer_errors():
    assert issubclass(IndexLockedError, IndexerError) and issubclass(IndexMismatchError, IndexerError)
