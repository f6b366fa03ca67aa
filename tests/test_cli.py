"""The command lines as a user runs them: subprocesses of this Python, in the repository, on a
tiny corpus built once for the module. Loading the model costs seconds per process, so only
six commands here load it; the rest fail or finish before the model is needed."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, make_pdf

REQUIRED_KEYS = {"text", "score", "source", "title", "page", "page_label", "section", "commitment_id", "country",
                 "year", "url"}


def run(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _commitments_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Commitment Unique Identifier", "Country/Locality", "Region", "Year Of Submission",
                "Commitment Title", "Full Text", "Lead Institution", "Potential Impact", "URL", "Justice",
                "Access to Justice"])
    w.writerow(["MK0164", "North Macedonia", "Europe", "2018", "Free legal aid",
                "Expand free primary legal aid to people on low incomes in rural municipalities.",
                "Ministry of Justice", "Moderate", "https://ogp.example/MK0164", "1", "1"])
    w.writerow(["AL0042", "Albania", "Europe", "2020", "Legal aid centres",
                "Open free legal aid centres next to first-instance courts.", "Ministry of Justice", "Minor",
                "https://ogp.example/AL0042", "1", "1"])
    w.writerow(["KE0021", "Kenya", "Africa", "2016", "Court user committees",
                "Set up court user committees in every county to hear complaints about courts.",
                "Judiciary", "Moderate", "https://ogp.example/KE0021", "1", ""])
    return buf.getvalue()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Build the tiny index with the real CLI: first with a broken file (exit 1), then without it (exit 0)."""
    root = tmp_path_factory.mktemp("cli")
    corpus, index = root / "corpus", root / "index"
    (corpus / "commitments").mkdir(parents=True)
    (corpus / "commitments" / "export.csv").write_text(_commitments_csv(), encoding="utf-8")
    (corpus / "guides").mkdir()
    (corpus / "guides" / "paralegals.md").write_text(
        "---\ntitle: Paralegal Guide\n---\n# Paralegal Guide\n\n## Training\n\n"
        "Community paralegals receive six weeks of training before they take cases.\n", encoding="utf-8")
    make_pdf(corpus / "reports" / "court-data.pdf", [
        "Clearance rate. Divide resolved cases by incoming cases and multiply by one hundred.",
        "Disposition time. Divide pending cases by resolved cases and multiply by 365 days.",
    ], title="Court Data Note")
    broken = corpus / "reports" / "broken.pdf"
    broken.write_bytes(b"this is not a pdf" * 20)
    config = root / "empty.toml"  # never pick up a justice-search.toml lying in the repository
    config.write_text("", encoding="utf-8")
    first = run("indexer", "build", "--corpus", str(corpus), "--index", str(index), "--config", str(config),
                "--quiet")
    broken.unlink()
    second = run("indexer", "build", "--corpus", str(corpus), "--index", str(index), "--config", str(config),
                 "--quiet")
    return {"root": root, "corpus": corpus, "index": index, "config": config, "first": first, "second": second}


def _search(cli, *args):
    return run("search", *args, "--index", str(cli["index"]), "--config", str(cli["config"]))


QUERIES = 'how long are paralegals trained?\n\n{"q": "MK0164", "id": 7}\n{"q": "court user committees"}\n'
GOLD = (
    '{"id": "g1", "q": "free legal aid in North Macedonia", "gold": [{"id": "MK0164"}]}\n'
    '{"id": "g2", "q": "disposition time of pending cases", "gold": [{"file": "court-data.pdf", "pages": [2]}]}\n'
    '{"id": "g3", "q": "prison overcrowding", "gold": [{"file": "prisons.pdf"}]}\n'
)


@pytest.fixture(scope="module")
def answers(cli):
    """The commands that load the model, run two at a time (each spends seconds importing torch)."""
    from concurrent.futures import ThreadPoolExecutor

    root, index, config = cli["root"], str(cli["index"]), str(cli["config"])
    (root / "questions.txt").write_text(QUERIES, encoding="utf-8")
    (root / "gold.jsonl").write_text(GOLD, encoding="utf-8")
    common = ["--index", index, "--config", config]
    commands = {
        "json": ["search", "free legal aid for people on low incomes", "--json", "-k", "3", "--type", "commitment",
                 "--year", "2017-2021", *common],
        "text": ["search", "how is the clearance rate calculated?", "-k", "2", *common],
        "queries": ["search", "--queries", str(root / "questions.txt"), "-k", "2", *common],
        "compare": ["search", "compare", "free legal aid", "--json", *common],
        "eval": ["search.eval", "--gold", str(root / "gold.jsonl"), *common],
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, *args) for name, args in commands.items()}
        return {name: future.result() for name, future in futures.items()}


# -- python -m indexer -------------------------------------------------------------------------------


def test_build_with_a_broken_file_exits_1_and_names_it(cli):
    first = cli["first"]
    assert first.returncode == 1, first.stderr
    assert "FAILED reports/broken.pdf: not a PDF" in first.stdout
    assert "1 file(s) could not be read" in first.stdout
    assert "1 failed" in first.stdout and "from 3 files" in first.stdout
    manifest = json.loads((cli["index"] / "manifest.json").read_text())
    assert manifest["files"] == 3 and manifest["kinds"]["commitment"] == 3
    assert "Embedding" not in first.stderr  # --quiet: no progress bars


def test_build_again_without_the_broken_file_exits_0(cli):
    second = cli["second"]
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Ready. Ask a question: python -m search" in second.stdout
    assert "FAILED" not in second.stdout


def test_build_without_corpus_updates_the_index_from_the_folder_it_was_built_from(cli, tmp_path):
    # Run from the repository, whose own ./corpus is another folder: that one must not replace it.
    result = run("indexer", "build", "--index", str(cli["index"]), "--config", str(cli["config"]), "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"corpus: {cli['corpus'].resolve()}" in result.stdout
    assert "0 removed, 3 unchanged" in result.stdout
    other = run("indexer", "build", "--corpus", "corpus", "--index", str(cli["index"]), "--config",
                str(cli["config"]), "--quiet")
    assert other.returncode == 2 and "--replace" in other.stderr and "Traceback" not in other.stderr


def test_check_reports_a_consistent_index(cli):
    result = run("indexer", "check", "--index", str(cli["index"]), "--config", str(cli["config"]))
    assert result.returncode == 0, result.stderr
    assert "is consistent" in result.stdout
    assert "3 files" in result.stdout and "(384 d)" in result.stdout


def test_check_on_a_damaged_index_exits_2_and_says_rebuild(cli, tmp_path):
    damaged = tmp_path / "index"
    shutil.copytree(cli["index"], damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    manifest["chunks"] += 5
    (damaged / "manifest.json").write_text(json.dumps(manifest))
    result = run("indexer", "check", "--index", str(damaged))
    assert result.returncode == 2
    assert "inconsistent" in result.stderr and "Rebuild" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_on_an_index_from_an_earlier_version_answers_and_says_what_to_run(cli, tmp_path):
    older = tmp_path / "index"
    shutil.copytree(cli["index"], older)
    manifest = json.loads((older / "manifest.json").read_text())
    del manifest["analyzer"]  # written before the analyser version was recorded
    (older / "manifest.json").write_text(json.dumps(manifest))
    result = run("search", "paralegal training", "--index", str(older), "--config", str(cli["config"]))
    assert result.returncode == 0, result.stderr
    assert "1. " in result.stdout and "Paralegal Guide" in result.stdout
    assert f"python -m indexer build --index {older}" in result.stderr
    current = _search(cli, "paralegal training")
    assert current.returncode == 0 and "earlier version" not in current.stderr


@pytest.mark.parametrize("command", [["indexer", "check"], ["search", "legal aid"],
                                     ["search.eval", "--gold", "GOLD"]])
def test_missing_index_exits_2_and_says_how_to_build(cli, tmp_path, command):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"q": "x", "gold": [{"id": "MK0164"}]}\n')
    command = [str(gold) if c == "GOLD" else c for c in command]
    result = run(*command, "--index", str(tmp_path / "no-index"))
    assert result.returncode == 2
    assert "No index at" in result.stderr and "python -m indexer build" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_index_path_that_is_a_corpus_folder_or_a_file_is_told_apart(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.md").write_text("# Plan\n\nLegal aid.\n", encoding="utf-8")
    result = run("search", "legal aid", "--index", str(corpus))
    assert result.returncode == 2 and "holds other files (a corpus?)" in result.stderr
    assert f"--corpus {corpus} --index FOLDER" in result.stderr and "Traceback" not in result.stderr
    result = run("search", "legal aid", "--index", str(corpus / "plan.md"))
    assert result.returncode == 2 and "it is a file" in result.stderr


def test_missing_corpus_exits_2(tmp_path):
    result = run("indexer", "build", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i"), "--quiet")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_strict_build_with_an_unreadable_file_exits_1_and_writes_nothing(cli, tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(cli["corpus"], corpus)
    shutil.copytree(cli["index"], index)
    (corpus / "guides" / "empty.md").write_bytes(b"")
    before = {p.name: p.read_bytes() for p in index.iterdir() if p.name != ".lock"}
    result = run("indexer", "build", "--corpus", str(corpus), "--index", str(index), "--strict", "--quiet")
    after = {p.name: p.read_bytes() for p in index.iterdir() if p.name != ".lock"}
    assert after == before  # nothing written
    assert "guides/empty.md" in result.stdout + result.stderr
    assert result.returncode == 1


def test_help_prints_examples():
    for command in (["indexer", "--help"], ["indexer", "build", "--help"], ["search", "--help"]):
        result = run(*command)
        assert result.returncode == 0
        assert "examples:" in result.stdout, command
    assert "python -m indexer build --corpus" in run("indexer", "--help").stdout
    assert 'python -m search compare "' in run("search", "--help").stdout
    eval_help = run("search.eval", "--help")
    assert eval_help.returncode == 0 and "python -m search.eval --gold" in eval_help.stdout


# -- python -m search --------------------------------------------------------------------------------


def test_search_json(answers):
    result = answers["json"]
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["query"] == "free legal aid for people on low incomes"
    assert out["filters"] == {"kind": "commitment", "year": "2017-2021"}
    results = out["results"]
    assert [r["commitment_id"] for r in results][:1] == ["MK0164"]
    assert {r["commitment_id"] for r in results} == {"MK0164", "AL0042"}  # KE0021 is from 2016
    for r in results:
        assert REQUIRED_KEYS <= r.keys()
        assert r["kind"] == "commitment" and 2017 <= r["year"] <= 2021
        assert r["url"] == f"https://ogp.example/{r['commitment_id']}"
        assert r["text"] and r["source"] == "commitments/export.csv"


def test_search_text_output_cites_pages(answers):
    result = answers["text"]
    assert result.returncode == 0, result.stderr
    first = result.stdout.split("\n\n")[0]
    # The test PDF prints no page numbers: the citation names the PDF page, not a printed "p. 1".
    assert first.startswith("1. Court Data Note, PDF page 1")
    assert "reports/court-data.pdf#page=1" in first
    assert "» Clearance rate." in first or "» Divide resolved cases" in first


def test_search_queries_file_plain_lines_and_json_lines(answers):
    result = answers["queries"]
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line["query"] for line in lines] == ["how long are paralegals trained?", "MK0164",
                                                "court user committees"]
    assert all(1 <= len(line["results"]) <= 2 for line in lines)
    assert lines[0]["results"][0]["section"] == "Training"
    assert all(line["filters"] == {} for line in lines)  # the same keys as a single --json answer
    assert lines[1]["results"][0]["commitment_id"] == "MK0164"
    assert lines[2]["results"][0]["commitment_id"] == "KE0021"
    assert REQUIRED_KEYS <= lines[0]["results"][0].keys()


def test_search_rejects_bad_input_before_loading_anything(cli, tmp_path):
    no_question = _search(cli)
    assert no_question.returncode == 2 and "give a question" in no_question.stderr
    bad_year = _search(cli, "legal aid", "--year", "recently")
    assert bad_year.returncode == 2 and "Year filter 'recently'" in bad_year.stderr
    bad_lines = tmp_path / "bad.jsonl"
    bad_lines.write_text('{"question": "no q field"}\n', encoding="utf-8")
    bad_queries = _search(cli, "--queries", str(bad_lines))
    assert bad_queries.returncode == 2 and "'q'" in bad_queries.stderr
    for result in (no_question, bad_year, bad_queries):
        assert "Traceback" not in result.stderr


def test_search_names_unknown_filter_values_with_suggestions(cli):
    # The tiny index holds North Macedonia, Albania and Kenya; regions Europe and Africa.
    result = _search(cli, "legal aid", "--country", "Macedonia,Kenia,Kenyya", "--region", "Afri", "--type", "pdf")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no country 'Kenyya' in this index (did you mean 'Kenya'?)" in result.stderr
    # a known short name, and a member's Spanish name ("Kenia"), are accepted
    assert "Macedonia" not in result.stderr and "Kenia" not in result.stderr
    assert "no region 'Afri'" in result.stderr and "no document type 'pdf'" in result.stderr
    assert "commitment, guide, report, text" in result.stderr  # few choices: all listed


def test_search_filter_values_match_without_case_accents_or_full_names(cli):
    result = _search(cli, "legal aid", "--country", "NORTH MACEDÓNIA", "--lang", "English", "--json", "-k", "2")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["filters"] == {"country": "North Macedonia", "language": "en"}
    assert [r["commitment_id"] for r in answer["results"]] == ["MK0164"]


@pytest.mark.parametrize("args, message", [
    (["legal aid", "-k", "0"], "must be at least 1"),
    (["legal aid", "-k", "-1"], "must be at least 1"),
    (["???"], "give a question in words"),
    (["--queries", "no-such-file.txt"], "no-such-file.txt does not exist"),
    (["legal aid", "--queries", "no-such-file.txt"], "not both"),
    (["compare", "legal aid", "--type", "report"], "commitments only"),
    (["compare"], 'python -m search compare "'),
])
def test_search_refuses_unusable_input_with_a_message(cli, args, message):
    result = _search(cli, *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_search_output_piped_into_a_reader_that_stops_early_is_not_an_error(cli, tmp_path):
    questions = tmp_path / "many.txt"
    questions.write_text("legal aid for tenants\n" * 200, encoding="utf-8")  # far more than a pipe buffers
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = (f"{sys.executable} -m search --queries {questions} --index {cli['index']} "
               f"--config {cli['config']} | head -c 1")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.stdout == "{"
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr
    assert result.returncode == 0


def test_search_compare_json(answers):
    result = answers["compare"]
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    ids = [r["commitment_id"] for r in rows]
    assert sorted(ids) == ["AL0042", "KE0021", "MK0164"]  # one row per commitment, only commitments
    mk = next(r for r in rows if r["commitment_id"] == "MK0164")
    assert mk["country"] == "North Macedonia" and mk["year"] == 2018
    assert mk["lead_institution"] == "Ministry of Justice" and mk["irm_potential_impact"] == "Moderate"
    assert mk["policy_areas"] == ["Justice", "Access to Justice"]
    assert mk["url"] == "https://ogp.example/MK0164" and mk["passage"]


def test_search_eval(answers):
    result = answers["eval"]
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "questions       3" in out
    assert "MRR@10          0.667" in out  # g1 and g2 first, g3 never
    assert "Success@1       0.667" in out and "Coverage@10     0.667" in out
    assert "not in the top 10 (1):" in out and "g3: prison overcrowding" in out


def test_translate_to_shows_a_passage_it_cannot_translate_as_written_and_the_rest_translated(capsys):
    """One passage whose language cannot be told does not cost the others their translations."""
    from types import SimpleNamespace

    from search.__main__ import _translations
    from search.translate import MachineTranslation, TranslationError

    class Engine:
        def translate(self, hit, target):
            if hit.chunk_id == 1:
                raise TranslationError("this passage's language could not be told")
            return MachineTranslation(f"[{target}] {hit.text}", "es", target)

    hits = [SimpleNamespace(chunk_id=1, rank=1, text="/Redciudadanagt"),
            SimpleNamespace(chunk_id=2, rank=2, text="acceso a la justicia")]
    out = _translations(Engine(), hits, "en")
    assert list(out) == [2] and out[2].text == "[en] acceso a la justicia"
    assert "result 1 not translated" in capsys.readouterr().err


def test_translate_to_still_answers_when_no_passage_language_can_be_told(capsys):
    """Only a missing engine stops the search; passages of unknown language are shown as written."""
    from types import SimpleNamespace

    from indexer.errors import IndexerError
    from search.__main__ import _translations
    from search.translate import TranslationError, UnknownLanguageError

    hits = [SimpleNamespace(chunk_id=1, rank=1, text="/Redciudadanagt"), SimpleNamespace(chunk_id=2, rank=2, text="§ 3")]

    class Unknown:
        def translate(self, hit, target):
            raise UnknownLanguageError("this passage's language could not be told")

    assert _translations(Unknown(), hits, "es") == {}
    assert capsys.readouterr().err.count("not translated") == 2

    class NoEngine:
        def translate(self, hit, target):
            raise TranslationError("no apertium")

    with pytest.raises(IndexerError, match="no apertium"):
        _translations(NoEngine(), hits, "es")


def test_translate_to_translates_what_the_text_output_shows():
    """The text output shows a passage's best sentence: --translate-to translates that sentence (it gave
    fifteen lines of a page never shown); --json, which gives the whole passage, translates the whole."""
    from indexer.records import Provenance
    from search.__main__ import _render, _translations
    from search.hit import Hit
    from search.translate import MachineTranslation

    text = "Referencias bibliográficas del informe. La política de justicia abierta se aprobó en 2020."
    start = text.index("La política")
    hit = Hit(rank=1, score=1.0, chunk_id=5, document_id=1, provenance=Provenance(source="a.pdf", kind="report",
              title="Informe", page=2, page_label="2"), text=text, char_start=0, char_end=len(text), language="es",
              highlight=(start, len(text)))

    class Engine:
        def translate(self, passage, target):
            return MachineTranslation(f"<{passage.text}>", "es", target)

    shown = _translations(Engine(), [hit], "en", whole=False)
    assert shown[5].text == "<La política de justicia abierta se aprobó en 2020.>"
    assert "<La política de justicia abierta se aprobó en 2020.>" in " ".join(_render([hit], shown).split())
    assert _translations(Engine(), [hit], "en", whole=True)[5].text == f"<{text}>"


def test_translate_to_a_language_without_a_pair_is_refused_with_the_choices(capsys):
    from search.__main__ import _parser

    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["legal aid", "--translate-to", "de"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'de' (choose from 'en', 'es', 'fr', 'pt')" in capsys.readouterr().err
    assert _parser().parse_args(["legal aid", "--translate-to", "ES"]).translate_to == "es"
