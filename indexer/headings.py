"""What heads a passage: the lines that open a numbered part of a plan or report ("Commitment 18",
"Compromiso 3: ..."), the part a page's passage sits under, and the short heading put in front of
every chunk. Shared by the loaders (a numbered heading starts a passage), the chunker, the store's
keyword text and the search's citations, so none of them imports another for it."""

from __future__ import annotations

import re

from .records import PART_OF_KEY, Provenance

__all__ = ["PART_HEADING_REACH", "chunk_heading", "heading_lines", "is_part_heading", "numbered_part"]

# A line that opens a numbered part of a plan or report ("Commitment 18", "Compromiso 3: ...",
# "Chapter 2 Access to justice"): a short line of its own, label and number first. Action plans
# print several commitments to a page; a chunk that starts at one is about that commitment
# alone (on corpus-real the summary plan's "Commitment 18" passage went from the 61st to the
# 9th closest to a question on it, no longer sharing a chunk with Commitment 17).
_SECTION_START = re.compile(
    r"^[ \t]*(?P<line>(?=(?:commitments?|compromisos?|engagements?|chapters?|chapitres?|cap[ií]tulos?|sections?|"
    r"secci[oó]n|parts?|partie|annex|annexe|anexo|appendix|milestones?|hitos?)[ \t]+\d{1,3}[a-z]?\b)"
    r"[^\n]{1,100})$", re.I | re.M)

def heading_lines(text: str, end: int | None = None):
    """Where the lines that open a numbered commitment, chapter, section or annex begin, up to
    ``end`` (a capitalised label: "section 4 of the Act" wrapped onto a new line is not a heading)."""
    for match in _SECTION_START.finditer(text, 0, len(text) if end is None else min(len(text), end)):
        if text[match.start("line")].isupper():
            yield match.start("line")


def is_part_heading(line: str) -> bool:
    """Whether ``line`` opens a numbered commitment, chapter, section or annex ("Commitment 18")."""
    return next(heading_lines(line.strip()), None) == 0


#: How far below a passage's start its part's heading may sit (a page number or running header).
PART_HEADING_REACH = 120


def numbered_part(text: str, at: int, reach: int = PART_HEADING_REACH) -> str | None:
    """The numbered part ("Commitment 18", "Chapter 2") of ``text`` (a page) that a passage
    starting at offset ``at`` belongs to: the last numbered heading line before ``at``, or one
    that opens the passage after no more than a page number or running header (``reach``
    characters without a full stop). None when the page shows no such heading before it."""
    found = None
    for start in heading_lines(text, at + reach):
        if start > at and "." in text[at:start]:
            break
        found = _PART_LABEL.match(text, start)
        if start > at:
            break
    return " ".join(found.group(0).split()) if found else None


_PART_LABEL = re.compile(r"\w+[ \t]+\d{1,3}[a-z]?\b")


def chunk_heading(p: Provenance) -> str:
    """The short context put in front of every chunk for the encoder (and the keyword index); a
    record of a tracker also gets the records it sits under, which say what its few words are about."""
    if p.kind == "commitment":
        parts = [p.country, p.commitment_id]
    else:
        parts = [p.title, p.section.split(" > ")[-1] if p.section else None, p.metadata.get(PART_OF_KEY)]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return " — ".join(seen)
