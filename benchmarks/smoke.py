"""What every benchmark's ``--smoke`` mode runs on: the shipped starter corpus, its index and a few
gold questions about it, in a temporary folder removed at exit.

Smoke mode is for CI (tests/test_benchmarks_smoke.py): one repeat on a tiny corpus, a few seconds,
so a benchmark that no longer runs is noticed; its numbers mean nothing. The test builds the index
once and names it in ``BENCH_SMOKE_INDEX``, so each script need not build its own.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STARTER_CORPUS = REPO / "corpus"
#: An index of the starter corpus made beforehand (by the test), used instead of building one.
PREBUILT_INDEX = "BENCH_SMOKE_INDEX"

#: Gold questions on the starter corpus, in the format of ../shared/eval/dev.jsonl (search/evaluate.py).
SMOKE_GOLD = (
    {"id": "s1", "q": "revise the right to information law in Albania", "gold": [{"id": "AL0017"}]},
    {"id": "s2", "q": "who can get free legal aid", "gold": [{"file": "legal-aid-guidance-note.pdf"}]},
    {"id": "s3", "q": "community paralegals and legal empowerment",
     "gold": [{"file": "legal-empowerment-paralegals.md"}]},
    {"id": "s4", "q": "publishing court data", "gold": [{"file": "court-data-guidance-note.pdf"}]},
)


@dataclass(frozen=True)
class SmokeData:
    """The starter corpus copied to ``work``, its index, and gold questions about it."""

    work: Path
    corpus: Path
    index: Path
    gold: Path
    questions: tuple[str, ...]


def smoke_data(build: bool = True) -> SmokeData:
    """The smoke corpus in a fresh temporary folder; with ``build``, its index too (or the one
    named in BENCH_SMOKE_INDEX)."""
    sys.path.insert(0, str(REPO))
    work = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    atexit.register(shutil.rmtree, work, True)
    corpus = work / "corpus"
    shutil.copytree(STARTER_CORPUS, corpus)
    gold = work / "gold.jsonl"
    gold.write_text("".join(json.dumps(q) + "\n" for q in SMOKE_GOLD), encoding="utf-8")
    index = work / "index"
    prebuilt = os.environ.get(PREBUILT_INDEX)
    if prebuilt and (Path(prebuilt) / "manifest.json").is_file():
        index = Path(prebuilt)
    elif build:
        from indexer.build import build_index
        from indexer.settings import Settings

        build_index(Settings(corpus_dir=corpus, index_dir=index), progress=False)
    return SmokeData(work, corpus, index, gold, tuple(q["q"] for q in SMOKE_GOLD))
