"""Bad input: every good file is indexed, every bad one is reported by path with a reason a
non-engineer can act on, and the exit status says which happened.

The corpus is generated here: a truncated PDF, encrypted PDFs (with a password, with an empty
one, and AES without the package pypdf needs for it), a zero-byte file, an image-only PDF, a
binary file named .pdf, a Windows-1252 CSV, CSVs missing the id or the text column, a 1 MB
cell, HTML with scripts and inline event handlers, Markdown with broken front matter, a file
that cannot be read for permissions, a symlink loop, and a 1,000-page PDF (its own test).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import pathlib
import re
import time

import pytest
from conftest import make_pdf

from indexer.__main__ import main
from indexer.build import build_index
from indexer.chunking import Chunker
from indexer.errors import IndexerError, LoaderError
from indexer.loaders import load_file
from indexer.settings import Settings
from indexer.store import IndexReader
from search import Searcher

ID = "Commitment Unique Identifier"


# -- generating the corpus ------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _encrypted_pdf(path: pathlib.Path, user_password: str, text: str) -> pathlib.Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password=user_password)  # RC4, 128 bit
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _aes_pdf(path: pathlib.Path) -> pathlib.Path | None:
    """An AES-encrypted PDF that opens without a password (the usual 'no copying' PDF).

    fpdf2 needs the 'cryptography' package to write AES, so the encryption dictionary of an
    RC4 file is rewritten to announce AESV2: pypdf then needs AES to read any text.
    """
    data = _encrypted_pdf(path, "", "Protected report text.").read_bytes()
    for old, new in ((b"/EncryptMetadata false\n", b"/CF <</StdCF <</CFM /AESV2 /Length 16>>>>\n"),
                     (b"/R 3\n", b"/R 4\n"), (b"/V 2\n", b"/V 4\n")):
        if data.count(old) != 1:
            return None
        data = data.replace(old, new)
    path.write_bytes(data)
    return path


def _image_only_pdf(path: pathlib.Path) -> pathlib.Path:
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 760, 24):  # lines of "scanned" text: pixels, no text layer
        draw.rectangle((50, y, 550, y + 10), fill=30)
    png = path.with_suffix(".png.tmp")
    image.save(png, format="PNG")
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(str(png), x=10, y=10, w=190)
    pdf.output(str(path))
    png.unlink()
    return path


def _aes_unsupported() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return True
    return False


GOOD_TEXT = {
    "reports/legal-aid.pdf": "Legal aid offices opened in every district",
    "reports/open-no-password.pdf": "encrypted without a user password",
    "guides/access.md": "Paralegals explain court procedures",
    "guides/broken-front-matter.md": "Mediation settles family disputes",
    "guides/impossible-date.md": "Court fees are waived for people on low incomes",
    "guides/scripts.html": "Justice centres offer free advice",
    "commitments/windows-1252.csv": "Accès à la justice",
    "commitments/titles-only.csv": "Digital case tracking",
    "commitments/big-cell.csv": "Pasted scan",
}

#: bad file -> words its reason must contain (case-insensitive), in the user's terms
BAD_REASONS = {
    "reports/truncated.pdf": ("damaged", "incomplete"),
    "reports/password.pdf": ("password",),
    "reports/empty.pdf": ("empty", "0 bytes"),
    "reports/scanned.pdf": ("needs ocr",),
    "reports/photo.pdf": ("not a pdf",),
    "commitments/no-id.csv": ("commitment unique identifier",),
    "commitments/no-text.csv": ("full text", "nothing to index"),
    "guides/locked.md": ("permission denied",),
    "guides/loop-a.md": ("link",),
    "guides/loop-b.md": ("link",),
}
if _aes_unsupported():
    BAD_REASONS["reports/aes-no-password.pdf"] = ("encrypted", "cryptography")


def write_bad_corpus(corpus: pathlib.Path) -> pathlib.Path:
    reports, guides, commitments = corpus / "reports", corpus / "guides", corpus / "commitments"
    for folder in (reports, guides, commitments):
        folder.mkdir(parents=True, exist_ok=True)

    # good files, some of them unusual
    whole = make_pdf(reports / "legal-aid.pdf", [
        "Legal aid offices opened in every district. Each office has two lawyers.",
        "Waiting times fell from ninety days to thirty days after the reform.",
    ], title="Legal Aid Review").read_bytes()
    _encrypted_pdf(reports / "open-no-password.pdf", "", "This report is encrypted without a user password, "
                   "so anyone can open it.")
    (guides / "access.md").write_text(
        "# Access to justice\n\n## Paralegals\n\nParalegals explain court procedures to people without lawyers.\n",
        encoding="utf-8")
    (guides / "broken-front-matter.md").write_text(
        "---\ntitle: [Mediation guide\nsecret: FRONTMATTERLEAK\n---\n# Mediation\n\n"
        "Mediation settles family disputes faster than a trial.\n", encoding="utf-8")
    (guides / "impossible-date.md").write_text(
        "---\ntitle: Court fees\ndate: 2021-13-45\n---\n# Court fees\n\n"
        "Court fees are waived for people on low incomes.\n", encoding="utf-8")
    (guides / "scripts.html").write_text(
        '<!doctype html><html lang="en"><head><title>Justice centres</title>'
        '<script>document.write("SCRIPTLEAK")</script></head>'
        '<body onload="HANDLERLEAK()"><main><h1>Justice centres</h1>'
        '<p onclick="trackClick(\'HANDLERLEAK\')">Justice centres offer free advice on housing and debt.</p>'
        '<a href="javascript:void(0)" onmouseover="alert(\'HANDLERLEAK\')">Find a centre</a>'
        '<img src="map.png" onerror="alert(\'HANDLERLEAK\')">'
        '<script type="text/javascript">var x = "<p>SCRIPTLEAK</p>";</script>'
        '<noscript>SCRIPTLEAK</noscript></main></body></html>', encoding="utf-8")
    (commitments / "windows-1252.csv").write_bytes(_csv(
        [ID, "Country/Locality", "Commitment Title", "Full Text"],
        [["CI0001", "Côte d’Ivoire", "Accès à la justice", "Créer des « cliniques juridiques » — 2019."]],
    ).encode("cp1252"))
    (commitments / "titles-only.csv").write_text(_csv(
        [ID, "Country/Locality", "Commitment Title"], [["KE0009", "Kenya", "Digital case tracking"]]),
        encoding="utf-8")
    # A 1 MB cell: a pasted blob (one 1,000,000-character "word"; real prose of that size is
    # tested below without the cost of embedding it).
    (commitments / "big-cell.csv").write_text(_csv(
        [ID, "Country/Locality", "Commitment Title", "Full Text"],
        [["BC0001", "Chile", "Pasted scan", os.urandom(500_000).hex()]]), encoding="utf-8")

    # bad files
    (reports / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    _encrypted_pdf(reports / "password.pdf", "open-sesame", "Secret text.")
    if _aes_unsupported():
        assert _aes_pdf(reports / "aes-no-password.pdf"), "fpdf2 changed its encryption dictionary"
    (reports / "empty.pdf").write_bytes(b"")
    _image_only_pdf(reports / "scanned.pdf")
    (reports / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    (commitments / "no-id.csv").write_text(_csv(["Country", "Title", "Full Text"], [["Chile", "Courts", "Open"]]),
                                           encoding="utf-8")
    (commitments / "no-text.csv").write_text(_csv([ID, "Country/Locality"], [["AB0001", "France"]]),
                                             encoding="utf-8")
    (guides / "locked.md").write_text("# Locked\n\nNobody may read this.\n", encoding="utf-8")
    os.symlink("loop-b.md", guides / "loop-a.md")
    os.symlink("loop-a.md", guides / "loop-b.md")
    os.symlink(".", guides / "self")  # a folder loop: the scan must not walk into it forever
    return corpus


def deny_reading(monkeypatch, *paths: pathlib.Path) -> None:
    """Make opening these files fail as for a non-root user on a chmod 000 file.

    The tests run as root in CI, where chmod 000 does not stop reading. What this exercises:
    the indexer's handling of the PermissionError that open() raises (hashing in the scan,
    every loader), not the kernel's check itself; test_chmod_000_file_is_reported does that
    for real when not run as root.
    """
    denied = {os.path.abspath(p) for p in paths}
    real_open = pathlib.Path.open

    def guarded_open(self, *args, **kwargs):
        if os.path.abspath(self) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", guarded_open)


def chunk_texts(index_dir: pathlib.Path) -> dict[str, str]:
    reader = IndexReader(index_dir)
    try:
        out: dict[str, str] = {}
        for source, text in reader.db.execute("SELECT source, text FROM chunks ORDER BY id"):
            out[source] = out.get(source, "") + "\n" + text
        return out
    finally:
        reader.close()


# -- the build on the bad corpus ------------------------------------------------------------


@pytest.fixture
def bad_corpus(tmp_path, monkeypatch, encoder):
    corpus = write_bad_corpus(tmp_path / "corpus")
    deny_reading(monkeypatch, corpus / "guides" / "locked.md")
    monkeypatch.setattr("indexer.build.load_encoder", lambda settings: encoder)  # the CLI without a model reload
    return corpus


def test_cli_build_indexes_good_files_and_reports_each_bad_one(bad_corpus, tmp_path, capsys):
    index = tmp_path / "index"
    status = main(["build", "--corpus", str(bad_corpus), "--index", str(index), "--quiet"])
    out = capsys.readouterr().out
    assert status == 1, out  # documented: 1 = some files could not be read, the rest were indexed

    failed = dict(re.findall(r"^  FAILED (\S+): (.+)$", out, re.M))
    assert set(failed) == set(BAD_REASONS), out
    for source, words in BAD_REASONS.items():
        reason = failed[source].lower()
        assert any(w in reason for w in words), (source, reason)
        assert "traceback" not in reason and "errno" not in reason
    assert f"{len(BAD_REASONS)} file(s) could not be read; everything else was indexed" in out
    counts = re.search(r"files: (\d+) added, \d+ changed, \d+ removed, \d+ unchanged, (\d+) failed", out)
    assert counts and (int(counts[1]), int(counts[2])) == (len(GOOD_TEXT), len(BAD_REASONS)), out  # none counted twice

    texts = chunk_texts(index)
    assert set(texts) == set(GOOD_TEXT), "every good file is indexed, no bad one"
    for source, snippet in GOOD_TEXT.items():
        assert snippet in texts[source], source
    everything = "\n".join(texts.values())
    for leak in ("SCRIPTLEAK", "HANDLERLEAK", "trackClick", "javascript", "FRONTMATTERLEAK"):
        assert leak not in everything

    warnings: dict[str, str] = {}
    for source, message in re.findall(r"^  warning (\S+): (.+)$", out, re.M):
        warnings[source] = warnings.get(source, "") + message + "\n"  # a file may have several
    assert "Windows-1252" in warnings["commitments/windows-1252.csv"]
    assert "front matter" in warnings["guides/broken-front-matter.md"]
    assert "front matter" in warnings["guides/impossible-date.md"]
    assert "'Full Text' column" in warnings["commitments/titles-only.csv"]
    assert "1,000,000 characters" in warnings["commitments/big-cell.csv"]

    # The index remembers the failures; `check` says the index is whole and lists them.
    assert main(["check", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "is consistent" in out
    for source in BAD_REASONS:
        assert f"not indexed: {source}: " in out

    # Unchanged bad files are reported again (not retried) and the exit status stays 1.
    assert main(["build", "--corpus", str(bad_corpus), "--index", str(index), "--quiet"]) == 1
    assert set(dict(re.findall(r"^  FAILED (\S+): (.+)$", capsys.readouterr().out, re.M))) == set(BAD_REASONS)


def test_strict_build_fails_on_the_first_bad_corpus_and_writes_nothing(bad_corpus, tmp_path, encoder):
    settings = Settings(corpus_dir=bad_corpus, index_dir=tmp_path / "index")
    with pytest.raises(IndexerError) as info:
        build_index(settings, progress=False, encoder=encoder, strict=True)
    message = str(info.value)
    assert "--strict" in message and "index left as it was" in message
    for source in BAD_REASONS:
        assert source in message
    assert not (tmp_path / "index" / "manifest.json").exists()
    assert not [p for p in (tmp_path / "index").iterdir() if p.name != ".lock"]


def test_a_good_file_turned_bad_keeps_its_indexed_version(tmp_path, encoder, monkeypatch):
    corpus = tmp_path / "corpus"
    (corpus / "guides").mkdir(parents=True)
    guide = corpus / "guides" / "access.md"
    guide.write_text("# Access\n\nParalegals explain court procedures.\n", encoding="utf-8")
    make_pdf(corpus / "report.pdf", ["Legal aid offices opened in every district."])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, progress=False, encoder=encoder)

    guide.write_bytes(b"\x00\x01binary garbage" * 100)  # overwritten by a binary file
    pdf = corpus / "report.pdf"
    pdf.write_bytes(pdf.read_bytes()[:300])  # an interrupted copy
    report = build_index(settings, progress=False, encoder=encoder)
    assert dict(report.failed).keys() == {"guides/access.md", "report.pdf"}
    assert "binary" in dict(report.failed)["guides/access.md"]
    assert report.changed == [] and report.added == []  # failed, not changed: the summary counts each once
    texts = chunk_texts(settings.index_dir)
    assert "Paralegals explain court procedures." in texts["guides/access.md"]  # the old version is kept
    assert "Legal aid offices" in texts["report.pdf"]


# -- single files ---------------------------------------------------------------------------


def test_chmod_000_file_is_reported(tmp_path, encoder):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading; "
                    "the monkeypatched PermissionError in the corpus test covers the handling")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.md").write_text("# Ok\n\nReadable text.\n", encoding="utf-8")
    locked = corpus / "locked.md"
    locked.write_text("# Locked\n\nUnreadable text.\n", encoding="utf-8")
    locked.chmod(0)
    try:
        report = build_index(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False,
                             encoder=encoder)
    finally:
        locked.chmod(0o644)
    assert dict(report.failed) == {"locked.md": "permission denied: the indexer cannot read this file"}


@pytest.mark.parametrize("ext", [".pdf", ".md", ".html", ".txt", ".csv"])
def test_permission_error_while_loading_is_a_loader_error(tmp_path, monkeypatch, ext):
    """The scan may hash a file that is locked a moment later: the loader reports it too."""
    path = tmp_path / f"doc{ext}"
    if ext == ".pdf":
        make_pdf(path, ["Text."])
    else:
        path.write_text("Commitment Unique Identifier,Full Text\nAB0001,Text.\n", encoding="utf-8")
    deny_reading(monkeypatch, path)
    with pytest.raises(LoaderError) as info:
        load_file(path, path.name)
    assert info.value.path == path.name
    assert "permission denied" in info.value.reason


def test_a_one_megabyte_cell_of_prose_loads_and_chunks_in_linear_time(tmp_path, encoder):
    sentence = "The district court shall publish every judgment within thirty days of delivery. "
    prose = (sentence * (1_000_000 // len(sentence) + 1))[:999_999] + "."  # 1,000,000 characters
    path = tmp_path / "export.csv"
    path.write_text(_csv([ID, "Country/Locality", "Commitment Title", "Full Text"],
                         [["BIG001", "Chile", "Publish judgments", prose], ["SM0002", "Peru", "Small", "Short."]]),
                    encoding="utf-8")
    started = time.perf_counter()
    loaded = load_file(path, "export.csv")  # over csv's default 128 KB field limit
    big, small = loaded.documents
    assert big.text.endswith(prose) and small.provenance.commitment_id == "SM0002"
    assert any("1,000,000 characters" in w and "stray quote" in w for w in loaded.warnings)
    chunks = Chunker(encoder.tokenizer).chunk(big)
    elapsed = time.perf_counter() - started
    assert len(chunks) > 1000
    counts = [len(e.ids) for e in encoder.tokenizer.encode_batch([c.embedding_text for c in chunks],
                                                                 add_special_tokens=False)]
    assert max(counts) <= 254
    assert all(c.text == big.text[c.char_start:c.char_end] for c in chunks)
    assert elapsed < 20, f"loading and chunking 1 MB took {elapsed:.1f} s"


#: one-line files full of one markup character: each used to cost seconds to minutes (quadratic
#: regexes in the Markdown/text cleanup, html.parser rescanning an unclosed tail, "<![x" crash)
PATHOLOGICAL = {
    "stars": "*a ", "tags": "<a ", "brackets": "[", "links": "[a](", "images": "![a](", "autolinks": "<http://a",
    "backticks": "`a ", "underscores": "__a ", "bold": "**x ", "comments": "<!--", "marked sections": "<![",
    "heading hashes": " #",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_one_line_files_load_quickly(tmp_path, name):
    body = PATHOLOGICAL[name] * (100_000 // len(PATHOLOGICAL[name]))
    for ext in (".txt", ".md", ".html"):
        path = tmp_path / f"{name.replace(' ', '-')}{ext}"
        path.write_text(f"# Title{body}\nSome real text.\n", encoding="utf-8")
        started = time.perf_counter()
        try:
            load_file(path, path.name)
        except LoaderError:
            pass  # a clean refusal is fine; a crash or a hang is not
        elapsed = time.perf_counter() - started
        assert elapsed < 3, f"{path.name}: {elapsed:.1f} s for 100 KB"


def test_html_marked_section_that_python_cannot_parse_keeps_the_page(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body><main><h1>Courts</h1><p>Fees are waived <![ for some ]]> people.</p>"
                    "<p>Judges publish decisions.<![foo[ x ]]></p></main></body></html>", encoding="utf-8")
    text = "\n".join(d.text for d in load_file(path, "page.html").documents)
    assert "Fees are waived" in text and "Judges publish decisions." in text


# -- the 1,000-page PDF ---------------------------------------------------------------------


class TokenizerOnlyEncoder:
    """The real tokenizer with cheap deterministic vectors: what 1,000 pages exercise is reading,
    chunking and storing; embedding 1,000 passages would only add 5-60 s of model time."""

    def __init__(self, encoder) -> None:
        self.name, self.dimension, self.tokenizer = encoder.name, encoder.dimension, encoder.tokenizer

    def encode(self, texts, progress=None, token_ids=None):
        import zlib

        import numpy as np

        out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dimension)
                        for t in texts]).astype(np.float32) if texts else np.zeros((0, self.dimension), np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True) if len(out) else 1
        if progress:
            progress(len(texts))
        return out


def test_thousand_page_pdf_indexes_every_page(tmp_path, encoder):
    from fpdf import FPDF

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(1, 1001):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Annual justice report, page {page}.\nDistrict {page} opened {page % 7} legal "
                             f"aid desks.\nReference JR-{page:04d}.")
    pdf.output(str(corpus / "annual-report.pdf"))

    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = build_index(settings, progress=False, encoder=TokenizerOnlyEncoder(encoder))
    assert report.failed == []
    reader = IndexReader(settings.index_dir)
    try:
        pages = [p for (p,) in reader.db.execute("SELECT page FROM documents ORDER BY page")]
        assert pages == list(range(1, 1001))
        assert reader.manifest.documents == 1000 and reader.vectors.ntotal == reader.manifest.chunks >= 1000
        (text, label, metadata) = reader.db.execute(
            "SELECT text, page_label, metadata FROM documents WHERE page = 777").fetchone()
        # "Reference JR-0777." recurs at the page's foot with a number that grows page by page, but that
        # number is part of a reference code, not a page number: it is content and stays in the body.
        # "Annual justice report, page 777." numbers the page: it is the page's running line, and the
        # page is labelled by the number it prints.
        assert "JR-0777" in text and "District 777 opened" in text
        assert json.loads(metadata)["running lines"] == "Annual justice report, page 777." and label == "777"
        passages = [t for (t,) in reader.db.execute("SELECT text FROM chunks WHERE text LIKE '%JR-0777%'")]
        assert len(passages) == 1 and "District 777 opened" in passages[0]
        # ... and both are found by their words in the keyword index, the running line with its page's passage
        from indexer.analysis import keyword_terms

        page_777 = reader.db.execute("SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
                                     "WHERE d.page = 777").fetchone()[0]
        for words in ("Reference JR-0777", "justice report page 777"):
            best = next(iter(reader.keyword_shares(keyword_terms(words, "en"), depth=3)))
            assert best == page_777, words
    finally:
        reader.close()


# -- the command line's own input ---------------------------------------------------------------------


def test_interrupting_a_build_says_the_index_is_unchanged(tmp_path, monkeypatch, capsys):
    import indexer.__main__ as cli

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.md").write_text("# A\n\nMediation in small claims.\n", encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_index", interrupted)
    assert main(["build", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "Interrupted" in err and "as it was" in err and "Traceback" not in err


def test_index_or_corpus_given_as_a_file_is_named_as_such(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder", encoding="utf-8")
    assert main(["build", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "notes.txt"), "--quiet"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["build", "--corpus", str(tmp_path / "notes.txt"), "--index", str(tmp_path / "index"), "--quiet"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a folder"


def test_a_corpus_with_nothing_to_index_says_so(tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "minutes.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy Word, not read by the indexer")
    assert main(["build", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "The index holds no documents" in out and ".pdf, .md" in out


def test_a_commitments_export_without_country_or_year_columns_warns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Commitment Unique Identifier,Commitment Title,Full Text\nKE0021,Court users,Committees.\n",
                    encoding="utf-8")
    loaded = load_file(path, "export.csv")
    assert len(loaded.documents) == 1
    assert any("'Country/Locality'" in w and "country filter" in w for w in loaded.warnings), loaded.warnings
    assert any("'Year Of Submission'" in w and "year filter" in w for w in loaded.warnings), loaded.warnings


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_an_exports_cells_with_line_breaks_and_odd_characters_are_read_whole(tmp_path, newline):
    """The export is handed to the CSV reader line by line (not as one in-memory copy of the file): a
    quoted cell over several lines, with any of the three line endings, and characters Python would
    also take for line breaks (form feed, U+2028) stay inside their cell."""
    rows = ["Commitment Unique Identifier,Commitment Title,Full Text",
            'KE0021,Court users,"First paragraph.' + newline + 'Second\x0cparagraph\u2028same cell."',
            "KE0022,Small claims,One line."]
    path = tmp_path / "export.csv"
    path.write_bytes(newline.join(rows).encode("utf-8") + newline.encode())
    loaded = load_file(path, "export.csv")
    by_id = {d.provenance.commitment_id: d.text for d in loaded.documents}
    assert set(by_id) == {"KE0021", "KE0022"}
    assert "First paragraph." in by_id["KE0021"] and "same cell." in by_id["KE0021"]
    assert "One line." in by_id["KE0022"] and "paragraph" not in by_id["KE0022"]
