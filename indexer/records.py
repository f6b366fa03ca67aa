"""The records that flow through the pipeline: corpus file -> Document -> Chunk -> Hit.

Every record carries a ``Provenance``: the facts a reader needs to check a passage
(file, page, section or commitment, link). Loaders set it once; nothing later changes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DOCUMENT_KINDS", "Provenance", "Document", "Chunk", "citation_label"]

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


def citation_label(p: Provenance) -> str:
    """A one-line human citation: 'Title, p. 4 (page 5 of the PDF)' or 'MK0164, North Macedonia, 2018'."""
    if p.kind == "commitment":
        parts = [p.commitment_id or "commitment", p.country, str(p.year) if p.year else None]
        head = ", ".join(x for x in parts if x)
        return f"{head}: {p.title}" if p.title else head
    label = p.title
    if p.page is not None:
        printed = p.page_label or str(p.page)
        label += f", p. {printed}"
        if printed != str(p.page):
            label += f" (PDF page {p.page})"
    section = _section_below_title(p.section, p.title) if p.section else ""
    if section:
        label += f", § {section}"
    return label


def _section_below_title(section: str, title: str) -> str:
    """The heading path without a first heading that only repeats the title ("Justice in the Digital
    Age | OGP Guides, § Justice in the Digital Age > Courts" reads "..., § Courts"); "" when the
    path is that heading alone."""
    parts = section.split(" > ")
    if title.casefold().startswith(parts[0].casefold()):
        return " > ".join(parts[1:])
    return section
