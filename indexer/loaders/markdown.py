"""Markdown guide chapters, one Document per section; front matter read as data (see frontmatter.py)."""

from __future__ import annotations

from collections.abc import Mapping

import dataclasses
import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from ..records import Document, Provenance, section_path
from .frontmatter import OGP_ID, FrontMatter, field_label, read_front_matter
from .text import read_text_file, strip_inline_markdown, title_from_filename

__all__ = ["load_markdown", "split_front_matter"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Block structure only: headings and fences are all the split needs, and inline parsing costs
# seconds on a 100 KB line of '<![' or '[' (tests/test_bad_input.py); 1 ms without it.
_PARSER = MarkdownIt("commonmark").disable("inline")


def split_front_matter(text: str, warnings: list[str]) -> tuple[dict, str]:
    """Return (front matter as a dict, body). Broken YAML is dropped with a warning, never indexed."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    body = text[match.end():]
    try:
        data = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        warnings.append(f"front matter is not valid YAML ({first}); ignored it")
        return {}, body
    except Exception as exc:  # noqa: BLE001 - e.g. "date: 2001-13-45" (ValueError), very deep nesting
        warnings.append(f"front matter has a value that cannot be read ({type(exc).__name__}: {exc}); ignored it")
        return {}, body
    if not isinstance(data, dict):
        warnings.append("front matter is not a key: value block; ignored it")
        return {}, body
    return data, body


def load_markdown(path: Path, source: str, field_roles: Mapping[str, str] | None = None,
                  ) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    meta, body = split_front_matter(read_text_file(path, source, warnings), warnings)
    facts = read_front_matter(meta, field_roles)
    sections = _sections(body)
    first_h1 = next((heads[0] for heads, _ in sections if heads), None)
    title = facts.title or first_h1 or title_from_filename(path)
    # A page whose front matter names an OGP commitment id (a tracker's commitment or milestone page)
    # is that commitment's record: the type filter and the comparable-commitments view find it.
    kind = "commitment" if facts.commitment_id and OGP_ID.fullmatch(facts.commitment_id) else "guide"
    base = Provenance(
        source=source,
        kind=kind,
        title=title,
        url=facts.url,
        language=facts.language,
        country=facts.country,
        year=facts.year,
        commitment_id=facts.commitment_id,
        metadata=facts.metadata,
    )
    documents = []
    if facts.is_record:
        documents.append(Document(base, _record_text(title, facts)))
    if facts.summary:
        # A post's front-matter summary is real content; index it as the opening passage.
        documents.append(Document(base, facts.summary))
    for label, value in facts.passages:
        documents.append(Document(
            dataclasses.replace(base, section=label, metadata={**facts.metadata, "field": label}), value))
    for headings, lines in sections:
        text = strip_inline_markdown("\n".join(lines)).strip()
        if not text:
            continue
        # A section under the title heading alone keeps it as its path; the citation leaves it out.
        path_parts = section_path(headings, title) if len(headings) > 1 else headings
        section = " > ".join(path_parts) or None
        heading_line = headings[-1] if headings else ""
        full = f"{heading_line}\n\n{text}" if heading_line and heading_line != title else text
        documents.append(Document(dataclasses.replace(base, section=section), full))
    if not documents and meta:
        # Front matter and no body (a catalogue entry listing its files): the record itself.
        documents.append(Document(base, _record_text(title, facts, every_fact=True)))
    if not any(d.provenance.section or d.text != facts.summary for d in documents):
        # Only headings (a title page or a scroll of call-outs): index the headings themselves.
        headings_only = "\n".join(dict.fromkeys(h for heads, _ in sections for h in heads))
        if headings_only.strip():
            documents.append(Document(base, headings_only))
    return documents, warnings


def _record_text(title: str, facts: FrontMatter, every_fact: bool = False) -> str:
    """The record's own passage: its title, then its id and filed facts ('Status: Complete');
    with ``every_fact``, every short field and listed item too."""
    lines = [title]
    ids = " ".join(x for x in (facts.commitment_id, facts.metadata.get("record id")) if x)
    if ids:
        lines.append(f"Commitment {ids}")
    for key in ("theme", "lead agency", "status", "date"):
        if key in facts.metadata:
            lines.append(f"{key[:1].upper()}{key[1:]}: {facts.metadata[key]}")
    if every_fact:
        shown = {"theme", "lead agency", "status", "date", "record id"}
        lines += [f"{field_label(k)}: {v}" for k, v in facts.metadata.items() if k not in shown]
        lines += facts.listed
    return "\n".join(lines)


def _sections(body: str) -> list[tuple[list[str], list[str]]]:
    """Split Markdown into (heading path, body lines) pairs, headings as markdown-it-py finds them.

    A CommonMark parser finds what a line pattern missed: setext headings, headings in list
    items ("- ### Commitment title", each a commitment of nap-5.md: 46 sections where the pattern
    found 10) and '#' lines inside code blocks, which are not headings. Code fences are kept
    without their fence lines.
    """
    text = body.replace("\r\n", "\n").replace("\r", "\n")  # markdown-it's own line numbering
    lines = text.split("\n")
    tokens = _PARSER.parse(text)
    headings: dict[int, tuple[int, str, int]] = {}  # first line -> (level, text, line after it)
    fence_lines: set[int] = set()
    for at, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            heading = strip_inline_markdown(tokens[at + 1].content).strip()
            headings[token.map[0]] = (int(token.tag[1:]), heading, token.map[1])
        elif token.type == "fence" and token.map:
            start, end = token.map
            fence_lines.add(start)
            if end - 1 > start and lines[end - 1].strip().startswith(token.markup):
                fence_lines.add(end - 1)
    sections: list[tuple[list[str], list[str]]] = [([], [])]
    stack: list[tuple[int, str]] = []
    line_no = 0
    while line_no < len(lines):
        if line_no in headings:
            level, heading, after = headings[line_no]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            sections.append(([h for _, h in stack], []))
            line_no = after
            continue
        if line_no not in fence_lines:
            sections[-1][1].append(lines[line_no])
        line_no += 1
    return sections
