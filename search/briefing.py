"""Briefing notes from pinned passages, and the comparable-commitments table as CSV.

Pure functions over Hit-like records: a ``search.Hit``, its ``to_dict()``, or a ``Pin``.
Every pinned passage becomes a verbatim quotation with a numbered note giving its
citation, followed by a list of the sources quoted (title, pages / sections /
commitment ids, URL or corpus file, and the date the index was built).

>>> pins = [Pin.from_hit(hit) for hit in hits[:3]]
>>> text = briefing_markdown(pins, "Legal aid: what others did", manifest.built_at)
>>> briefing_docx(pins, "Legal aid: what others did", manifest.built_at, "note.docx")
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from indexer.records import ENGLISH_CITATION, CitationWords, Provenance, citation_label, citation_place, printed_label

from .hit import safe_url

__all__ = [
    "Pin",
    "as_pin",
    "safe_url",
    "flow_text",
    "briefing_markdown",
    "briefing_docx",
    "NoteWords",
    "NOTE_WORDS",
    "commitments_csv",
    "COMMITMENT_COLUMNS",
]


@dataclass(frozen=True)
class Pin:
    """One pinned passage: the words quoted and where they come from."""

    text: str
    citation: str
    title: str
    source: str
    kind: str = ""
    page: int | None = None
    page_label: str | None = None
    section: str | None = None
    commitment_id: str | None = None
    country: str | None = None
    year: int | None = None
    url: str | None = None  # the official link (at the page for PDFs), or None
    chunk_id: int | None = None
    part: str | None = None  # the numbered part of the page ("Commitment 18"), as Hit.part
    # The source's facts the citation reads (page label kind, OCR, status, lead agency).
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # A machine translation the reader opened in the app, with its label ("Machine translation (en → es,
    # Apertium)"): added below the quotation as a note, never in place of the quoted original.
    translation: str | None = None
    translation_label: str | None = None
    # The next page, for a passage that runs on to it (Hit.runs_on): its number and printed label
    # (None when it prints none).
    runs_on_page: int | None = None
    runs_on_label: str | None = None

    @classmethod
    def from_hit(cls, hit: Any) -> Pin:
        """From a ``search.Hit``."""
        p, through = hit.provenance, hit.runs_on
        return cls(text=hit.text, citation=hit.citation, title=p.title, source=p.source, kind=p.kind,
                   page=p.page, page_label=p.page_label, section=p.section, commitment_id=p.commitment_id,
                   country=p.country, year=p.year, url=hit.link, chunk_id=hit.chunk_id, part=hit.part,
                   metadata=dict(p.metadata), runs_on_page=through.page if through is not None else None,
                   runs_on_label=printed_label(through) if through is not None else None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pin:
        """From ``Pin.to_dict()`` or ``Hit.to_dict()`` (whose ``link`` is the URL to cite)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if data.get("link"):
            values["url"] = data["link"]
        if isinstance(data.get("runs_on"), Mapping):  # Hit.to_dict's next page
            values["runs_on_page"] = data["runs_on"].get("page")
            values["runs_on_label"] = data["runs_on"].get("page_label")
        values.setdefault("citation", data.get("title") or data.get("source") or "")
        values.setdefault("title", data.get("source") or "")
        values.setdefault("source", "")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def place(self) -> str | None:
        """Where in the source, as the citation says it: 'p. 3 (PDF page 5), Commitment 18',
        '§ Section' or the commitment id (indexer.records.citation_place)."""
        return self.place_in()

    def place_in(self, words: CitationWords | None = None) -> str | None:
        """``place`` with the citation's own words in another language."""
        return citation_place(self._provenance(), self.part, self._through(), words)

    def cited(self, words: CitationWords | None = None) -> str:
        """The citation, with its own words ("PDF page", "read by OCR") in another language: made again
        from the pin's facts, as the passage's was, when they make the citation as pinned (a pin saved
        with fewer facts keeps its citation as it is)."""
        if words is None or words == ENGLISH_CITATION:
            return self.citation
        provenance, through = self._provenance(), self._through()
        if citation_label(provenance, self.part, through) != self.citation:
            return self.citation
        return citation_label(provenance, self.part, through, words)

    def _provenance(self) -> Provenance:
        return Provenance(source=self.source, kind=self.kind, title=self.title, page=self.page,
                          page_label=self.page_label, section=self.section, commitment_id=self.commitment_id,
                          country=self.country, year=self.year, metadata=self.metadata)

    def _through(self) -> Provenance | None:
        if self.runs_on_page is None:
            return None
        return Provenance(source=self.source, kind=self.kind, title=self.title, page=self.runs_on_page,
                          page_label=self.runs_on_label)


@dataclass(frozen=True)
class NoteWords:
    """A briefing note's own words: English by default; the app passes the reader's language
    (webui/i18n.py). Never the quotations, nor what a citation takes from its source (titles, printed
    page numbers, headings, file names): only the words the citations add ("PDF page", ``citation``)."""

    untitled: str = "Briefing note"
    empty: str = "No passages pinned."
    lead_one: str = "1 passage quoted verbatim from the justice-policy index built {date}. The numbers refer to the notes."
    lead_many: str = ("{n} passages quoted verbatim from the justice-policy index built {date}. The numbers "
                      "refer to the notes.")
    evidence: str = "Evidence"
    sources: str = "Sources"
    indexed: str = "indexed {date}"
    note_one: str = "note {numbers}"
    note_many: str = "notes {numbers}"
    machine_translation: str = "Machine translation"
    unknown_date: str = "unknown date"
    corpus_file: str = "corpus file"
    citation: CitationWords = ENGLISH_CITATION
    # The note's language for Word (its spelling and hyphenation), and how it writes the index's date
    # (an ISO time stamp -> text; None: '2026-03-04 09:15 UTC').
    language_tag: str = "en-GB"
    format_date: Callable[[str], str] | None = field(default=None, compare=False)

    def lead(self, count: int, date: str) -> str:
        return (self.lead_one if count == 1 else self.lead_many).format(n=count, date=date)

    def notes(self, numbers: Sequence[int]) -> str:
        return (self.note_one if len(numbers) == 1 else self.note_many).format(
            numbers=", ".join(str(n) for n in numbers))


ENGLISH_NOTE = NoteWords()
#: The fields of NoteWords that are the note's words (a language supplies them), not its settings.
NOTE_WORDS = tuple(f.name for f in fields(NoteWords) if f.name not in ("language_tag", "format_date", "citation"))


def as_pin(record: Any) -> Pin:
    """A ``Pin`` from a Pin, a Hit or a dict."""
    if isinstance(record, Pin):
        return record
    if isinstance(record, Mapping):
        return Pin.from_dict(record)
    if hasattr(record, "provenance"):
        return Pin.from_hit(record)
    raise TypeError(f"cannot pin a {type(record).__name__}")


_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"\s+")
# Characters Word (XML 1.0) cannot hold: C0 controls other than tab/newline, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def flow_text(text: str) -> list[str]:
    """A passage as paragraphs: hard line wraps (PDF lines) joined, blank lines kept as breaks."""
    text = _NOT_XML.sub(" ", text or "")
    return [p for p in (_SPACES.sub(" ", block).strip() for block in _BLANK_LINES.split(text)) if p]


def _indexed_date(built_at: str | None, words: NoteWords = ENGLISH_NOTE) -> str:
    if not built_at:
        return words.unknown_date
    if words.format_date is not None:
        return words.format_date(built_at)
    try:
        return datetime.fromisoformat(built_at).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return str(built_at)


@dataclass
class _Source:
    title: str
    source: str
    kind: str
    places: list[str]
    urls: list[str]
    notes: list[int]


def _sources(pins: Sequence[Pin], words: CitationWords | None = None) -> list[_Source]:
    """The documents quoted, in order of first quotation, with every place quoted in each."""
    out: dict[tuple[str, str], _Source] = {}
    for number, pin in enumerate(pins, start=1):
        key = (pin.source, pin.commitment_id or "") if pin.commitment_id else (pin.source, "")
        entry = out.setdefault(key, _Source(pin.title, pin.source, pin.kind, [], [], []))
        place = pin.place_in(words)
        if place and place not in entry.places:
            entry.places.append(place)
        url = safe_url(pin.url)
        if url:
            base = url.split("#", 1)[0] if pin.kind == "report" else url
            if base not in entry.urls:
                entry.urls.append(base)
        entry.notes.append(number)
    return list(out.values())


# -- Markdown -----------------------------------------------------------------------------

# ">" opens a quotation only at a line's start: inside a line (a tracker record's "nap6 > milestones")
# it is left as written; "<" is escaped, so no HTML can form.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|#~])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])", re.M)


def _md(text: str) -> str:
    """Plain text safe inside Markdown: no links, HTML, emphasis or headings can come from it."""
    text = _MD_ENTITY.sub(r"\\&", _MD_SPECIAL.sub(r"\\\1", text))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def briefing_markdown(pins: Iterable[Any], title: str, built_at: str | None, words: NoteWords = ENGLISH_NOTE) -> str:
    """The briefing note in Markdown: quotations with footnotes ``[^n]``, then the sources."""
    pins = [as_pin(p) for p in pins]
    title = (title or "").strip() or words.untitled
    date = _indexed_date(built_at, words)
    lines = [f"# {_md(title)}", ""]
    if not pins:
        lines += [f"_{_md(words.empty)}_", ""]
        return "\n".join(lines)
    lines += [f"_{_md(words.lead(len(pins), date))}_", "", f"## {_md(words.evidence)}", ""]
    for number, pin in enumerate(pins, start=1):
        paragraphs = flow_text(pin.text) or [""]
        quoted = "\n>\n".join(f"> {_md(p)}" for p in paragraphs)
        lines += [f"{quoted} [^{number}]", ""]
        if pin.translation:
            label = pin.translation_label or words.machine_translation
            lines += [f"_{_md(label)}:_ {_md(' '.join(pin.translation.split()))}", ""]
    lines += [f"## {_md(words.sources)}", ""]
    for entry in _sources(pins, words.citation):
        parts = [f"**{_md(entry.title)}**"]
        if entry.places:
            parts.append(_md(", ".join(entry.places)))
        corpus_file = f"{_md(words.corpus_file)} `{entry.source.replace('`', '')}`"
        parts.append(" ".join(f"<{u}>" for u in entry.urls) if entry.urls else corpus_file)
        parts.append(_md(words.indexed.format(date=date)))
        parts.append(_md(words.notes(entry.notes)))
        lines.append("- " + " — ".join(parts))
    lines.append("")
    for number, pin in enumerate(pins, start=1):
        url = safe_url(pin.url)
        where = f" <{url}>" if url else f" ({_md(words.corpus_file)} `{pin.source.replace('`', '')}`)"
        lines.append(f"[^{number}]: {_md(_ended(pin.cited(words.citation)))}{where}")
    lines.append("")
    return "\n".join(lines)


# -- Word -----------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Word's footnotes part starts with the two notes that draw the line above the footnotes (ids -1
# and 0); settings.xml names them again in w:footnotePr, as Word itself writes it.
_FOOTNOTES_XML = (
    f'<w:footnotes xmlns:w="{_W}">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    '</w:footnotes>'
)
# Where w:footnotePr may stand in w:settings: before the first of these (the schema's order).
_AFTER_FOOTNOTE_PR = ("w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
                      "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures",
                      "w:forceUpgrade", "w:captions", "w:readModeInkLockDown", "w:smartTagType", "w:schemaLibrary",
                      "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator")


class _WordFootnotes:
    """Footnotes in Word's own form, which python-docx has no API for: a ``word/footnotes.xml``
    part related to the document, a ``w:footnote`` per note, and a ``w:footnoteReference`` run
    where the note is called. Word numbers, places and lists them itself."""

    def __init__(self, doc: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
        from docx.opc.packuri import PackURI
        from docx.opc.part import XmlPart
        from docx.oxml import parse_xml
        from docx.shared import Pt

        self._doc = doc
        self.part = XmlPart(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, parse_xml(_FOOTNOTES_XML),
                            doc.part.package)
        doc.part.relate_to(self.part, RELATIONSHIP_TYPE.FOOTNOTES)
        # The default template has neither footnote style; they get Word's built-in names so Word
        # treats them as its own ("footnote text", "footnote reference").
        text_style = doc.styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH, builtin=True)
        text_style.name, text_style.base_style = "footnote text", doc.styles["Normal"]
        text_style.font.size = Pt(9)
        text_style.paragraph_format.space_after = Pt(0)
        ref_style = doc.styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER, builtin=True)
        ref_style.name, ref_style.base_style = "footnote reference", doc.styles["Default Paragraph Font"]
        ref_style.font.superscript = True
        self._add_footnote_pr()
        self._count = 0

    def _add_footnote_pr(self) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        settings = self._doc.settings.element
        footnote_pr = OxmlElement("w:footnotePr")
        for special in ("-1", "0"):
            footnote_pr.append(OxmlElement("w:footnote", {qn("w:id"): special}))
        later = {qn(name) for name in _AFTER_FOOTNOTE_PR}
        following = next((child for child in settings if child.tag in later), None)
        if following is None:
            settings.append(footnote_pr)
        else:
            following.addprevious(footnote_pr)

    def _reference_run(self, paragraph_element: Any, tag: str, number: int | None) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:rStyle", {qn("w:val"): "FootnoteReference"}))
        run.append(rpr)
        run.append(OxmlElement(tag, {qn("w:id"): str(number)} if number is not None else None))
        paragraph_element.append(run)

    def add(self, paragraph: Any, text: str) -> int:
        """Call a new footnote holding ``text`` at the end of ``paragraph``; -> its id (1, 2, ...)."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        self._count += 1
        note = OxmlElement("w:footnote", {qn("w:id"): str(self._count)})
        para = OxmlElement("w:p")
        ppr = OxmlElement("w:pPr")
        ppr.append(OxmlElement("w:pStyle", {qn("w:val"): "FootnoteText"}))
        para.append(ppr)
        self._reference_run(para, "w:footnoteRef", None)
        words = OxmlElement("w:r")
        t = OxmlElement("w:t", {qn("xml:space"): "preserve"})
        t.text = " " + _NOT_XML.sub(" ", text)
        words.append(t)
        para.append(words)
        note.append(para)
        self.part.element.append(note)
        self._reference_run(paragraph._p, "w:footnoteReference", self._count)
        return self._count


def _note_text(pin: Pin, words: NoteWords = ENGLISH_NOTE) -> str:
    """A note's words: the citation, then the official link or the corpus file."""
    url = safe_url(pin.url)
    return f"{_ended(pin.cited(words.citation))} {url if url else f'{words.corpus_file} {pin.source}'}"


def _ended(citation: str) -> str:
    """The citation as a sentence: a full stop added unless it ends with one (a title "... Legislature.")."""
    return citation if citation.rstrip().endswith((".", "?", "!")) else f"{citation}."


def _set_language(doc, tag: str) -> None:
    """The document's default language (Word's spelling, grammar and hyphenation), for every script."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    run = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run.find(qn("w:rPr")) if run is not None else None
    if properties is None:
        return
    for old in properties.findall(qn("w:lang")):
        properties.remove(old)
    properties.append(OxmlElement("w:lang", {qn("w:val"): tag, qn("w:eastAsia"): tag, qn("w:bidi"): tag}))


def briefing_docx(pins: Iterable[Any], title: str, built_at: str | None, path: Path | str,
                  words: NoteWords = ENGLISH_NOTE) -> Path:
    """The briefing note as a Word document at ``path``.

    Each quotation (style "Quote") ends with a Word footnote giving its citation and link; Word
    numbers the notes and sets them at the page foot. A "Sources" list gives each document quoted.
    """
    from docx import Document
    from docx.shared import Pt

    pins = [as_pin(p) for p in pins]
    title = _NOT_XML.sub(" ", (title or "").strip()) or words.untitled
    date = _indexed_date(built_at, words)
    doc = Document()
    doc.core_properties.title = title
    doc.add_heading(title, level=0)
    if not pins:
        doc.add_paragraph(words.empty)
    else:
        doc.add_paragraph(words.lead(len(pins), date))
        doc.add_heading(words.evidence, level=1)
        footnotes = _WordFootnotes(doc)
        for pin in pins:
            paragraphs = flow_text(pin.text) or [""]
            for i, text in enumerate(paragraphs):
                para = doc.add_paragraph(style="Quote")
                last = i == len(paragraphs) - 1
                para.add_run(("“" if i == 0 else "") + text + ("”" if last else ""))
                if last:
                    footnotes.add(para, _note_text(pin, words))
            if pin.translation:
                note = doc.add_paragraph()
                note.add_run(_NOT_XML.sub(" ", pin.translation_label or words.machine_translation) + ": ").italic = True
                note.add_run(_NOT_XML.sub(" ", " ".join(pin.translation.split())))
        doc.add_heading(words.sources, level=1)
        for entry in _sources(pins, words.citation):
            para = doc.add_paragraph(style="List Bullet")
            para.add_run(_NOT_XML.sub(" ", entry.title)).bold = True
            details = []
            if entry.places:
                details.append(", ".join(entry.places))
            details.append(" ".join(entry.urls) if entry.urls else f"{words.corpus_file} {entry.source}")
            details.append(words.indexed.format(date=date))
            details.append(words.notes(entry.notes))
            para.add_run(" — " + _NOT_XML.sub(" ", " — ".join(details)))
    for style_name in ("Normal", "Quote"):
        doc.styles[style_name].font.size = Pt(11)
    _set_language(doc, words.language_tag)
    path = Path(path)
    doc.save(str(path))
    return path


# -- CSV ------------------------------------------------------------------------------------

COMMITMENT_COLUMNS = ("country", "commitment_id", "year", "title", "lead_institution", "policy_areas",
                      "irm_potential_impact", "irm_completion", "url", "passage")


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def commitments_csv(rows: Iterable[Any], path: Path | str, header: Sequence[str] = COMMITMENT_COLUMNS,
                    value: Callable[[str, Any], Any] | None = None, delimiter: str = ",") -> Path:
    """``compare()`` rows (CommitmentRow or dicts) as a UTF-8 CSV (with BOM, for Excel).

    The app writes it for its reader: ``header``, the column names in the interface language (in
    COMMITMENT_COLUMNS' order); ``value(column, cell)``, a cell as the screen shows it (a country or an
    IRM rating in that language); ``delimiter``, ";" where a spreadsheet's locale writes decimals with
    a comma (Spanish, French), which is what Excel there splits a CSV on."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            data = row.to_dict() if hasattr(row, "to_dict") else dict(row)
            cells = [data.get(name) for name in COMMITMENT_COLUMNS]
            if value is not None:
                cells = [value(name, cell) for name, cell in zip(COMMITMENT_COLUMNS, cells)]
            writer.writerow([_cell(cell) for cell in cells])
    return path
