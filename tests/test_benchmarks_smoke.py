"""Every benchmark script still runs: each ``benchmarks/*.py --smoke`` (the starter corpus, one
repeat) exits 0 and prints its table, so none can rot unnoticed (issue 25 item 7)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

BENCHMARKS = REPO / "benchmarks"
#: What each script's table says, so an exit 0 that printed nothing does not pass.
TABLES = {
    "bench_big_pdf.py": "ms/page",
    "bench_build.py": "| full build (end to end) |",
    "bench_ocr.py": "s/page",
    "bench_page_view.py": "distinct PDF passages",
    "bench_query.py": "| measurement | p50 ms | p95 ms |",
    "bench_retrieval.py": "| this project (hybrid) |",
    "bench_scale.py": "## Vector search by index",
    "count_pdf_furniture.py": "label != page",
    "load_test.py": "| GET /api/search |",
    "pseudo_questions.py": "pseudo-questions ({'version'",
    "same_answers.py": "answers identical; 0 differ",
    "soak.py": "0 different",
    "train_ranker.py": "final weights",
    "translate_latency.py": "passage es->en",
}
#: Helpers the scripts import, not scripts.
LIBRARIES = {"smoke.py", "synthetic.py"}
NEEDS = {"bench_ocr.py": "tesseract", "translate_latency.py": "apertium"}
#: More than --smoke: bench_retrieval also builds its txtai baseline (txtai is a test dependency).
ALSO = {"bench_retrieval.py": (["--txtai"], "| txtai 9.14.0 hybrid, defaults, 1,000-char chunks |")}


def _scripts() -> list[str]:
    return sorted(p.name for p in BENCHMARKS.glob("*.py") if p.name not in LIBRARIES)


def test_every_script_is_covered():
    """A new benchmark gets a smoke mode and a line in TABLES, or this fails."""
    assert set(_scripts()) == set(TABLES)
    for name in _scripts():
        assert '"--smoke"' in (BENCHMARKS / name).read_text(encoding="utf-8"), name


@pytest.mark.parametrize("script", sorted(TABLES))
def test_benchmark_runs_in_smoke_mode(script, starter_index):
    tool = NEEDS.get(script)
    if tool and shutil.which(tool) is None:
        pytest.skip(f"needs {tool} (Debian package)")
    settings, _ = starter_index
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "BENCH_SMOKE_INDEX": str(settings.index_dir)}
    arguments, also_printed = ALSO.get(script, ([], TABLES[script]))
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), "--smoke", *arguments], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert TABLES[script] in done.stdout and also_printed in done.stdout, done.stdout[-3000:]
