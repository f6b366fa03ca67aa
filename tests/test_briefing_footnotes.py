"""The briefing note's notes are Word's own footnotes (issue 21 item 5), and the Markdown note's
footnotes are standard: one definition for each reference, the sources listed with their links."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from lxml import etree

from search.briefing import NoteWords, Pin, briefing_docx, briefing_markdown

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
BUILT_AT = "2026-03-04T09:15:00+00:00"
MK0193 = "https://www.opengovpartnership.org/members/north-macedonia/commitments/MK0193/"


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def _pins() -> list[Pin]:
    from test_app import _pins as app_pins

    # The app tests' guidance-note and commitment pins, and a third: a hostile link is never written; a
    # PDF form feed (which XML cannot hold) is dropped.
    return [*app_pins()[:2],
            Pin(text="Courts publish decisions within thirty days [^1] <b>now</b>.\x0c",
                citation="Court Data Note, p. iv (PDF page 5)", title="Court Data Note",
                source="reports/court-data.pdf", kind="report", page=5, page_label="iv",
                url="javascript:window.__pwned=1")]


def _footnotes(document) -> tuple[object, dict[int, etree._Element]]:
    """The document's footnotes part (found through its relationship) and its notes by id."""
    rels = [rel for rel in document.part.rels.values() if rel.reltype == FOOTNOTES_REL]
    assert len(rels) == 1, "the document has one footnotes part"
    part = rels[0].target_part
    root = etree.fromstring(part.blob)
    assert root.tag == w("footnotes")
    notes = {int(note.get(w("id"))): note for note in root.findall(w("footnote"))}
    assert len(notes) == len(root.findall(w("footnote"))), "footnote ids are unique"
    return part, notes


def _note_text(note: etree._Element) -> str:
    return "".join(note.itertext())


def _references(document) -> list[tuple[int, etree._Element]]:
    """Each w:footnoteReference in the body, in reading order, with the paragraph holding it."""
    body = document.element.body
    return [(int(ref.get(w("id"))), next(ref.iterancestors(w("p"))))
            for ref in body.iter(w("footnoteReference"))]


def _check_native_footnotes(path, pins: list[Pin], words: NoteWords = NoteWords()) -> object:
    import docx

    document = docx.Document(str(path))
    part, notes = _footnotes(document)
    assert str(part.partname) == "/word/footnotes.xml" and part.content_type == FOOTNOTES_TYPE
    # The two separator notes Word expects before any of its own.
    assert notes[-1].get(w("type")) == "separator" and notes[-1].find(f".//{w('separator')}") is not None
    assert notes[0].get(w("type")) == "continuationSeparator"
    assert notes[0].find(f".//{w('continuationSeparator')}") is not None
    assert sorted(notes) == list(range(-1, len(pins) + 1))

    for number, pin in enumerate(pins, start=1):
        note = notes[number]
        assert note.get(w("type")) in (None, "normal")
        # Word's own number mark opens the note, in the footnote reference style.
        mark = note.find(f".//{w('footnoteRef')}")
        assert mark is not None
        assert mark.getparent().find(f"{w('rPr')}/{w('rStyle')}").get(w("val")) == "FootnoteReference"
        text = _note_text(note)
        assert pin.cited(words.citation) in text
        if pin.url and pin.url.startswith("https://"):
            assert pin.url in text
        else:
            assert f"{words.corpus_file} {pin.source}" in text
        assert "javascript:" not in text

    references = _references(document)
    assert [number for number, _ in references] == list(range(1, len(pins) + 1))
    assert all(number in notes for number, _ in references)
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    for (number, paragraph), pin in zip(references, pins):
        # Each reference closes its quotation: the last run of the quotation's last paragraph.
        assert paragraph.getparent() is document.element.body
        quote = next(q for q in quotes if q._p is paragraph)
        last_words = pin.text.split()[-1]
        assert quote.text.endswith(last_words + "”"), quote.text
        run = paragraph.findall(w("r"))[-1]
        assert run.find(w("footnoteReference")) is not None
        style = run.find(f"{w('rPr')}/{w('rStyle')}")
        superscript = run.find(f"{w('rPr')}/{w('vertAlign')}")
        assert (style is not None and style.get(w("val")) == "FootnoteReference") or (
            superscript is not None and superscript.get(w("val")) == "superscript")
    # The styles the notes name exist, and the reference mark is a superscript.
    styles = document.styles.element
    ids = {s.get(w("styleId")) for s in styles.findall(w("style"))}
    assert {"FootnoteText", "FootnoteReference"} <= ids
    reference_style = next(s for s in styles.findall(w("style")) if s.get(w("styleId")) == "FootnoteReference")
    assert reference_style.find(f"{w('rPr')}/{w('vertAlign')}").get(w("val")) == "superscript"
    return document


def test_word_note_uses_native_footnotes(tmp_path):
    pins = _pins()
    path = briefing_docx(pins, "Legal aid: what others did", BUILT_AT, tmp_path / "note.docx")
    document = _check_native_footnotes(path, pins)
    _, notes = _footnotes(document)
    assert _note_text(notes[1]).strip() == "Free Legal Aid: A Guidance Note, p. 1. corpus file reports/legal-aid.pdf"
    assert _note_text(notes[2]).strip() == (
        f"MK0193, North Macedonia, 2024: Digitalise and improve the free legal aid system. {MK0193}")

    paragraphs = document.paragraphs
    # Word lists the notes itself: no plain "Notes" list, and no typed numbers after the quotations.
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == ["Evidence", "Sources"]
    assert [p.text for p in paragraphs if p.style.name == "Quote"] == [
        "“Legal aid should be decided within forty-eight hours when a hearing is near.",
        "Appeals follow.”",
        "“The Ministry of Justice will digitalise the free legal aid system.”",
        "“Courts publish decisions within thirty days [^1] <b>now</b>.”",
    ]
    # The Sources list keeps title, places, official link or corpus file, date indexed and note numbers.
    assert [p.text for p in paragraphs if p.style.name == "List Bullet"] == [
        "Free Legal Aid: A Guidance Note — p. 1 — corpus file reports/legal-aid.pdf — "
        "indexed 2026-03-04 09:15 UTC — note 1",
        f"Digitalise and improve the free legal aid system — MK0193 — {MK0193} — "
        "indexed 2026-03-04 09:15 UTC — note 2",
        "Court Data Note — p. iv (PDF page 5) — corpus file reports/court-data.pdf — "
        "indexed 2026-03-04 09:15 UTC — note 3",
    ]
    # The package lists the part's content type, so Word finds it.
    import zipfile

    with zipfile.ZipFile(path) as package:
        types = package.read("[Content_Types].xml").decode()
        assert 'PartName="/word/footnotes.xml"' in types and FOOTNOTES_TYPE in types
        settings = etree.fromstring(package.read("word/settings.xml"))
        special = settings.findall(f"{w('footnotePr')}/{w('footnote')}")
        assert [s.get(w("id")) for s in special] == ["-1", "0"]


def test_an_empty_note_has_no_footnotes(tmp_path):
    import docx

    document = docx.Document(str(briefing_docx([], "", None, tmp_path / "empty.docx")))
    assert not list(document.element.body.iter(w("footnoteReference")))
    assert [p.text for p in document.paragraphs][-1] == "No passages pinned."


@pytest.mark.parametrize("lang, headings, lead", [
    ("es", ["Evidencias", "Fuentes"], "3 pasajes citados textualmente"),
    ("fr", ["Éléments de preuve", "Sources"], "3 passages cités textuellement"),
])
def test_localised_word_note_keeps_its_footnotes_verbatim(tmp_path, lang, headings, lead):
    from webui.notes import localised_docx

    from webui.notes import note_words

    pins = _pins()
    english = briefing_docx(pins, "Nota", BUILT_AT, tmp_path / "en.docx")
    path = localised_docx(pins, "Nota", BUILT_AT, tmp_path / f"{lang}.docx", lang)
    document = _check_native_footnotes(path, pins, note_words(lang))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == headings
    assert document.paragraphs[1].text.startswith(lead)
    # The footnotes are the English note's but for the words the tool adds ("PDF page", "corpus file"):
    # titles, printed page numbers and links stay as the sources give them.
    import docx

    _, original = _footnotes(docx.Document(str(english)))
    _, localised = _footnotes(document)
    assert set(localised) == set(original)
    words = {"es": ("página 5 del PDF", "archivo del corpus"), "fr": ("page 5 du PDF", "fichier du corpus")}[lang]
    for number, note in localised.items():
        theirs, ours = _note_text(original[number]), _note_text(note)
        assert ours.replace(words[0], "PDF page 5").replace(words[1], "corpus file") == theirs
    assert any(f"Court Data Note, p. iv ({words[0]})." in _note_text(n) for n in localised.values())


def test_a_word_processor_sets_the_notes_at_the_page_foot(tmp_path):
    """LibreOffice, a word processor other than the code that wrote the file, numbers the footnotes
    and prints them below the body (after the Sources list on this one-page note)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    import pypdfium2

    from webui.notes import localised_docx

    path = localised_docx(_pins(), "Nota", BUILT_AT, tmp_path / "nota.docx", "es")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = pypdfium2.PdfDocument(str(tmp_path / "nota.pdf"))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = " ".join(text.split())
    # The reference marks Word (here LibreOffice) numbers itself, right after each quotation.
    assert "Appeals follow.”1" in flat and "legal aid system.”2" in flat and "<b>now</b>.”3" in flat
    sources_at = flat.index("Fuentes")
    for number, note in enumerate(["Free Legal Aid: A Guidance Note, p. 1. corpus file reports/legal-aid.pdf",
                                   f"MK0193, North Macedonia, 2024: Digitalise and improve the free legal aid "
                                   f"system. {MK0193}",
                                   "Court Data Note, p. iv (PDF page 5). corpus file reports/court-data.pdf"], start=1):
        assert flat.index(f"{number} {note}") > sources_at


def test_markdown_footnotes_are_standard():
    pins = _pins()
    text = briefing_markdown(pins, "Legal aid", BUILT_AT)
    lines = text.splitlines()
    definitions = [int(m.group(1)) for m in (re.match(r"\[\^(\d+)\]: \S", line) for line in lines) if m]
    # A reference is an unescaped [^n] not at the start of a definition line.
    references = [int(n) for line in lines if not re.match(r"\[\^\d+\]:", line)
                  for n in re.findall(r"(?<!\\)\[\^(\d+)\]", line)]
    assert references == [1, 2, 3] and definitions == [1, 2, 3]
    # The passage's own "[^1]" is escaped text, not a second reference.
    assert r"thirty days \[^1\]" in text
    # Each definition follows the body, after a blank line, and gives the citation and the link.
    first_definition = next(i for i, line in enumerate(lines) if line.startswith("[^1]:"))
    assert lines[first_definition - 1] == "" and all(line.startswith("[^") for line in lines[first_definition:] if line)
    assert f"[^2]: MK0193, North Macedonia, 2024: Digitalise and improve the free legal aid system. <{MK0193}>" in lines
    assert "[^3]: Court Data Note, p. iv (PDF page 5). (corpus file `reports/court-data.pdf`)" in lines
    sources = [line for line in lines if line.startswith("- **")]
    assert len(sources) == 3
    assert f"<{MK0193}>" in sources[1] and all("indexed 2026-03-04 09:15 UTC" in s for s in sources)
    assert "javascript:" not in text
