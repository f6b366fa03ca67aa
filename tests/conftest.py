"""Shared fixtures: one real model per test session, small corpora built in the tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# In CI the property tests draw the same examples every run (derandomize), so a run on a clean clone
# checks exactly what was checked here; locally they keep exploring new examples.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
STARTER_CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def encoder():
    """The real packaged all-MiniLM-L6-v2 on the default backend (ONNX Runtime, int8), loaded once
    for the whole session. The first run on a machine exports it to ONNX (about 10 s)."""
    from indexer.embedding import load_encoder
    from indexer.settings import Settings

    enc = load_encoder(Settings())
    enc.encode(["load now, once"])
    return enc


@pytest.fixture(scope="session")
def starter_index(tmp_path_factory, encoder):
    """An index of the shipped starter corpus (built once per session) -> (settings, report)."""
    from indexer.build import build_index
    from indexer.settings import Settings

    root = tmp_path_factory.mktemp("starter")
    corpus = root / "corpus"
    shutil.copytree(STARTER_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    report = build_index(settings, progress=False, encoder=encoder)
    return settings, report


@pytest.fixture(scope="session")
def starter_searcher(starter_index, encoder):
    from search import Searcher

    settings, _ = starter_index
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    yield searcher
    searcher.close()


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """Write a real multi-page PDF with fpdf2 (core font, so latin-1 text)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


requires_shared = pytest.mark.skipif(
    not (SHARED / "corpus-real").is_dir(), reason="needs ../shared/corpus-real (the team's shared real corpus)"
)
