"""Settings: defaults, a TOML file, then flags; misspelt or mistyped settings are errors."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from indexer.errors import SettingsError
from indexer.settings import DEFAULT_CONFIG_FILE, PACKAGED_MODEL_NAME, Settings, load_settings


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path, monkeypatch):
    """load_settings reads ./justice-search.toml: run each test where there is none unless it writes one."""
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    s = load_settings()
    assert s == Settings()
    assert s.corpus_dir == Path("corpus") and s.index_dir == Path("index")
    assert s.model == PACKAGED_MODEL_NAME
    assert (s.max_tokens, s.chunk_tokens, s.overlap_tokens) == (256, 224, 32)
    assert s.batch_size == 16 and s.device == "cpu" and s.threads == 0
    assert s.results == 10 and s.candidates == 200 and s.rrf_k == 60
    assert s.keyword_weight == 1.0 and s.dense_weight == 1.5


def test_every_setting_has_help():
    table = Settings.help_table()
    assert [name for name, _, _ in table] == [f.name for f in fields(Settings)]
    assert all(help_text.strip() for _, _, help_text in table)
    defaults = {name: default for name, default, _ in table}
    assert defaults["batch_size"] == "16" and defaults["model"] == PACKAGED_MODEL_NAME


def test_toml_file_overrides_defaults():
    config = write(Path("custom.toml"), 'corpus_dir = "docs"\nresults = 5\nkeyword-weight = 0.5\n'
                                        'model = "/models/sbert"\nchunk_tokens = 120\n')
    s = load_settings(config)
    assert s.corpus_dir == Path("docs")
    assert s.results == 5
    assert s.keyword_weight == 0.5  # dashes work as in flags
    assert s.model == "/models/sbert"
    assert s.chunk_tokens == 120
    assert s.index_dir == Path("index") and s.batch_size == 16  # the rest stay default


def test_default_file_in_working_folder_is_read():
    write(Path(DEFAULT_CONFIG_FILE), "[justice-search]\nresults = 3\nindex_dir = \"my-index\"\n")
    s = load_settings()
    assert s.results == 3
    assert s.index_dir == Path("my-index")
    assert isinstance(s.index_dir, Path)


def test_home_folder_is_expanded_in_folder_settings():
    s = load_settings(write(Path("c.toml"), 'index_dir = "~/idx"\n'), corpus_dir="~/docs")
    assert s.index_dir == Path.home() / "idx"
    assert s.corpus_dir == Path.home() / "docs"


def test_unknown_key_is_an_error_naming_it():
    config = write(Path("typo.toml"), "chunk_token = 100\n")
    with pytest.raises(SettingsError) as info:
        load_settings(config)
    message = str(info.value)
    assert "'chunk_token'" in message
    assert "typo.toml" in message
    assert "chunk_tokens" in message  # lists the known settings


def test_unknown_flag_override_is_an_error():
    with pytest.raises(SettingsError, match="'colour'"):
        Settings().with_overrides(colour="blue")


@pytest.mark.parametrize("line, key", [
    ('results = "many"', "results"),
    ('batch_size = [16]', "batch_size"),
    ('keyword_weight = "heavy"', "keyword_weight"),
    ('rrf_k = {a = 1}', "rrf_k"),
])
def test_wrong_type_is_an_error_naming_the_key(line, key):
    config = write(Path("bad.toml"), line + "\n")
    with pytest.raises(SettingsError) as info:
        load_settings(config)
    assert f"'{key}'" in str(info.value)
    assert "must be" in str(info.value)


@pytest.mark.parametrize("line", ["batch_size = 12.7", "results = true"])
def test_fractional_or_boolean_value_for_an_integer_setting_is_an_error(line):
    config = write(Path("bad.toml"), line + "\n")
    with pytest.raises(SettingsError):
        load_settings(config)


def test_flags_beat_the_file():
    config = write(Path("c.toml"), 'results = 5\ncorpus_dir = "from-file"\nbatch_size = 8\n')
    s = load_settings(config, results=20, corpus_dir=Path("from-flag"), batch_size=None)
    assert s.results == 20
    assert s.corpus_dir == Path("from-flag")
    assert s.batch_size == 8  # an unset flag (None) leaves the file's value


def test_inconsistent_chunk_settings_are_refused():
    with pytest.raises(SettingsError, match="chunk_tokens"):
        load_settings(write(Path("c.toml"), "chunk_tokens = 300\n"))
    with pytest.raises(SettingsError, match="overlap_tokens"):
        load_settings(overlap_tokens=120)
    with pytest.raises(SettingsError, match="join_adjacent must be at least 0"):
        load_settings(join_adjacent=-0.5)
    with pytest.raises(SettingsError, match="rerank_depth must be at least 0"):
        load_settings(rerank_depth=-1)
    with pytest.raises(SettingsError, match="results must be at least 1"):
        load_settings(write(Path("r.toml"), "results = 0\n"))


def test_missing_or_broken_config_file():
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings("nope.toml")
    with pytest.raises(SettingsError, match="Cannot read"):
        load_settings(write(Path("broken.toml"), "results = = 3\n"))


def test_cli_flags_override_the_config_file(tmp_path):
    from indexer.__main__ import _parser

    config = write(tmp_path / "c.toml", 'index_dir = "file-index"\ncorpus_dir = "file-corpus"\nbatch_size = 4\n')
    args = _parser().parse_args(["build", "--config", str(config), "--index", "flag-index", "--batch-size", "32"])
    s = load_settings(args.config, index_dir=args.index, corpus_dir=args.corpus, batch_size=args.batch_size)
    assert (s.index_dir, s.corpus_dir, s.batch_size) == (Path("flag-index"), Path("file-corpus"), 32)
