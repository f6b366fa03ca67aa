"""The records that flow through the pipeline: corpus file -> Document -> Chunk -> Hit.

Every record carries a ``Provenance``: the facts a reader needs to check a passage
(file, page, section or commitment, link). Loaders set it once; nothing later changes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DOCUMENT_KINDS", "PAGE_LABEL_KEY", "READ_BY_KEY", "RUNNING_LINES_KEY", "Provenance", "Document", "Chunk", "PAGE_FORMS", "PAGE_RANGE_FORMS", "CitationWords", "ENGLISH_CITATION", "citation_label", "printed_label", "citation_place", "page_citation",
           "section_below_title", "section_path"]

#: What a corpus file is: a report (PDF), a guide section (Markdown/HTML),
#: a commitment (a row of the OGP export) or plain text.
DOCUMENT_KINDS = ("report", "guide", "commitment", "text")


@dataclass(frozen=True)
class Provenance:
    """Where a piece of text comes from, precisely enough for a reader to find it."""

    source: str  # path relative to the corpus root, with forward slashes
    kind: str  # one of DOCUMENT_KINDS
    title: str
    page: int | None = None  # 1-based physical page (PDFs)
    page_label: str | None = None  # the page number printed on the page, e.g. "iv"
    section: str | None = None  # heading path, "Chapter > Section"
    commitment_id: str | None = None
    country: str | None = None
    region: str | None = None
    year: int | None = None
    url: str | None = None
    language: str | None = None  # declared by the source (sidecar or export); chunks detect their own
    policy_areas: tuple[str, ...] = ()
    # Further facts from the source, e.g. lead institution or IRM ratings. Read-only by convention.
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Document:
    """One citable unit of a corpus file: a PDF page, a guide section or a commitment."""

    provenance: Provenance
    text: str


@dataclass(frozen=True)
class Chunk:
    """A passage small enough for the embedding model, cut from one Document.

    ``text == document.text[char_start:char_end]``, so a chunk can always be located
    in its page, section or commitment.
    """

    provenance: Provenance
    text: str
    char_start: int
    char_end: int
    ordinal: int  # position of the chunk within its document
    language: str
    token_count: int
    # What the encoder sees: a short heading (title, section) followed by the text.
    embedding_text: str = ""
    # embedding_text as the model's tokenizer encodes it (special tokens included), kept from
    # chunking so the encoder does not tokenise it a second time. Not part of a chunk's identity.
    token_ids: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self.provenance)
        out["policy_areas"] = list(self.provenance.policy_areas)
        out.update(
            text=self.text,
            char_start=self.char_start,
            char_end=self.char_end,
            ordinal=self.ordinal,
            language=self.language,
        )
        return out


#: Metadata keys of a PDF page, written by the PDF loader and read by citations and the app:
#: "physical" when the page prints no number of its own (its label is then its place in the file),
PAGE_LABEL_KEY = "page label"
#: how the page was read when it had no text layer, e.g. "OCR (Tesseract, spa)",
READ_BY_KEY = "read by"
#: its running header and footer lines, moved out of its body ("\n"-joined), kept and searchable.
RUNNING_LINES_KEY = "running lines"
#: The records a structured file's record sits under, by its dotted id ("C03.1: Disclose crime
#: data ..." above "C03.1.3"), " | "-joined, nearest first: written by the YAML/JSON loader.
PART_OF_KEY = "part of"
#: The section of a PDF page's footnotes, kept apart from its body so no body sentence runs into a note.
NOTES_SECTION = "Notes"
#: Facts from a record's metadata worth a place in its citation, when short enough to read in one line.
_CITED_FACTS = ("status", "lead agency", "lead_institution")
_SHORT_FACT = 60


def citation_label(p: Provenance, part: str | None = None, through: Provenance | None = None,
                   words: CitationWords | None = None) -> str:
    """The one citation every surface shows (card, CLI, JSON, briefing note, "also in").

    'Title, p. 3 (PDF page 5), § Section, Commitment 18' for a report page, 'Title, PDF page 5'
    for a page that prints no number, '..., read by OCR' for a scanned page, and
    'MK0164, North Macedonia, 2018: Title' for a commitment ('..., § Aug 2023 progress' for a part of a
    tracker's commitment page); ``part`` is the numbered part of the
    page the passage sits under (search.places.part_of); ``through``: the next page, for a passage
    that runs on to it ('p. 58-59'); ``words``: the citation's own words in another language."""
    title = _cited_title(p.title)
    if p.kind == "commitment":
        parts = [p.commitment_id or "commitment", p.country, str(p.year) if p.year else None]
        head = ", ".join(x for x in parts if x)
        label = f"{head}: {title}" if title else head
        # A tracker's commitment page has parts (its progress reports); the export's records have none.
        section = section_below_title(p.section, p.title)
        if section:
            label = f"{label}, § {section}"
    else:
        label = ", ".join(x for x in (title, citation_place(p, part, through, words)) if x)
    facts = _cited_facts(p)
    return f"{label} ({facts})" if facts else label


#: A title longer than this is cut at a word, with an ellipsis, in a citation: some records' titles are
#: their whole text (an export commitment's title runs to 1,125 characters, a tracker page's is its
#: sub-commitment), and a citation must fit a line or two of a card, a footnote or a note's list.
_CITED_TITLE_CHARS = 160


def _cited_title(title: str) -> str:
    if len(title) <= _CITED_TITLE_CHARS:
        return title
    cut = title[:_CITED_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return f"{cut} …"


def citation_place(p: Provenance, part: str | None = None, through: Provenance | None = None,
                   words: CitationWords | None = None) -> str | None:
    """Where in its source a passage is, without the title: 'p. 3 (PDF page 5), § Courts,
    Commitment 18, read by OCR', the commitment id, or None when the source is one piece;
    ``through``: the page the passage runs on to; ``words``: as in citation_label."""
    if p.kind == "commitment":
        section = section_below_title(p.section, p.title)
        return ", ".join(x for x in (p.commitment_id, f"§ {section}" if section else "") if x) or None
    words = words or ENGLISH_CITATION
    places: list[str] = []
    page = page_citation(p, words.page, through, words.pages)
    if page:
        places.append(page)
    section = section_below_title(p.section, p.title) if p.section else ""
    if section:
        places.append(f"§ {section}")
    if part:
        places.append(part)
    if p.page is not None and p.metadata.get(READ_BY_KEY):
        places.append(words.ocr)
    return ", ".join(places) or p.commitment_id


#: How page_citation writes a page: printed number, PDF page only, both ({label}: printed, {n}: PDF page).
PAGE_FORMS = ("p. {label}", "PDF page {n}", "p. {label} (PDF page {n})")
#: The same for a passage that runs on to the next page ({last_label}, {last}: that page's).
PAGE_RANGE_FORMS = ("pp. {label}–{last_label}", "PDF pages {n}–{last}", "pp. {label}–{last_label} (PDF pages {n}–{last})")


@dataclass(frozen=True)
class CitationWords:
    """The words a citation adds to what the source itself says (its title, printed page numbers and
    headings, which stay as written): English here and in the CLI and JSON; the app and its notes
    pass the reader's language (webui/i18n.py)."""

    page: tuple[str, str, str] = PAGE_FORMS
    pages: tuple[str, str, str] = PAGE_RANGE_FORMS
    ocr: str = "read by OCR"


ENGLISH_CITATION = CitationWords()


def printed_label(p: Provenance) -> str | None:
    """The number the page prints, None when it prints none (its label is then its PDF page's)."""
    if p.metadata.get(PAGE_LABEL_KEY) == "physical" or not p.page_label:
        return None
    return p.page_label


def _page_form(p: Provenance) -> int:
    """0: the printed number is the physical page; 1: the page prints no number; 2: they differ."""
    label = printed_label(p)
    if label is None:
        return 1
    return 2 if label != str(p.page) else 0


def page_citation(p: Provenance, forms: tuple[str, str, str] = PAGE_FORMS, through: Provenance | None = None,
                  range_forms: tuple[str, str, str] = PAGE_RANGE_FORMS) -> str | None:
    """'p. 3' when the printed label is the physical page, 'p. 3 (PDF page 5)' when they differ,
    'PDF page 5' when the page prints no number; None for sources without pages. ``forms``: the
    same in other words (the app's link labels in the reader's language; citations keep these).
    ``through``: the next page, for a passage that runs on to it: 'pp. 58–59', 'PDF pages 5–6'."""
    if p.page is None:
        return None
    form = _page_form(p)
    if through is not None and through.page is not None:
        last_form = _page_form(through)
        form = form if form == last_form else 2
        label, last_label = p.page_label or p.page, through.page_label or through.page
        if str(label) == str(last_label):
            form = 1  # two pages printing one number ("pp. 1–1") are told apart by the PDF's count
        return range_forms[form].format(label=label, n=p.page, last_label=last_label, last=through.page)
    if form == 1:
        return forms[1].format(n=p.page)
    if form == 2:
        return forms[2].format(label=p.page_label, n=p.page)
    return forms[0].format(label=p.page)


def _cited_facts(p: Provenance) -> str:
    # Status and lead agency tell a reader which record it is; long ones belong on the card, not here.
    facts = p.metadata or {}
    shown = [facts[k].strip() for k in _CITED_FACTS if (facts.get(k) or "").strip()]
    shown = [v for v in dict.fromkeys(shown) if len(v) <= _SHORT_FACT and "\n" not in v]
    return "; ".join(shown)


def section_below_title(section: str | None, title: str) -> str:
    """The heading path without a first heading that is the title again (the path 'Justice in the
    Digital Age > Courts' under the title 'Justice in the Digital Age' reads 'Courts'); "" when the
    path is that heading alone. Only a heading equal to the title (case and spacing aside) is
    dropped: a heading 'Open' under 'Open Justice' stays."""
    if not section:
        return ""
    return " > ".join(section_path(section.split(" > "), title))


def section_path(headings: list[str], title: str) -> list[str]:
    """The headings above a passage, less a first heading equal to the title, case and spacing
    aside: the one rule for the loaders' section paths and the citation. A web page's title
    counts without its site name ('Justice in the Digital Age | OGP Guides')."""
    if headings and _words(headings[0]) in {_words(title), _words(title.split(" | ")[0])}:
        return headings[1:]
    return list(headings)


def _words(text: str) -> str:
    return " ".join(text.casefold().split())
