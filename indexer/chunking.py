"""Cut Documents into passages that fit the embedding model's window, on sentence boundaries.

Sizes are measured in the model's own word pieces, so nothing is ever cut off by the
model: a chunk's heading plus text is at most ``max_tokens - 2`` pieces (the model adds
[CLS] and [SEP]). Chunks prefer paragraph ends, then sentence ends, and repeat a little
of the previous chunk (``overlap_tokens``) so a fact split across the boundary is found.
A chunk never spans two Documents, so never two pages or two commitments.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol

from .headings import chunk_heading, heading_lines
from .records import Chunk, Document, Provenance

__all__ = ["CHUNKER_VERSION", "ENDS_IN_PAGE_NUMBER", "Tokenizer", "Chunker", "split_sentences", "heading_shaped",
           "document_language", "with_languages"]


#: Changes whenever the same files and settings would give other chunks (chunking here, or how a
#: loader cuts a file into Documents); an index chunked by another version is rebuilt in full, so
#: an incremental build still equals a fresh one. 1: sentence and paragraph boundaries;
#: 2: numbered commitments and chapters start a chunk; 3: plain text files split at heading lines;
#: 4: PDF running headers and footers dropped; a heading line is a sentence of its own;
#: 5: so are up to three stacked heading lines (a title above a section heading);
#: 6: Markdown front matter read as records and field passages;
#: 7: one section-path rule (a first heading dropped only when it is the title), PDF running lines
#:    kept as page metadata, footnotes and tables apart;
#: 8: a PDF page laid out one word per line read as running text;
#: 9: a tracker's record is headed by the records its dotted id sits under;
#: 10: a record's member spelt the export's way, its title on one line (a PDF's from its file name as its
#:     pages print the words), and a close call on a passage's language settled by its file;
#: 11: a PDF whose metadata title is its authoring tool's ("PowerPoint Presentation") titled from its file name,
#:     Markdown without HTML comments or embedded frames' placeholders ("Cargando…"), and a passage too
#:     short to tell, or short and given to a regional neighbour language, in its file's language, and a
#:     PDF's word broken at a line's end written whole where the document prints it whole; placeholder
#:     text (lorem ipsum) left out;
#: 12: Markdown's escapes read as the marks they keep ("\#Guatemala" -> "#Guatemala"), its hard line breaks'
#:     backslashes dropped; a YAML or JSON record cited by its parents' names ("nap6 > milestones > C04.4"),
#:     not the file's keys for its lists; invisible characters left out; a PDF titled from its file name
#:     with its acronyms spelt out as its first pages spell them ("Resultados IJA (Indice de Justicia Abierta)").
#: 13: a Markdown page whose front matter names an OGP commitment id typed "commitment", not "guide".
CHUNKER_VERSION = 13


class Tokenizer(Protocol):
    """The part of a ``tokenizers.Tokenizer`` the chunker uses."""

    def encode_batch(self, inputs, add_special_tokens: bool = True): ...


# A sentence ends at . ! ? (plus closing quotes/brackets) before whitespace, or at a line
# that starts a list item; paragraphs end at blank lines.
_SENTENCE_END = re.compile(r"(?<=[.!?。])([\"'”’»)\]]*)\s+|\n(?=[ \t]*(?:[-•*–▪]|\d{1,2}[.)])\s)")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*")
#: Language is detected once a document (a page, a section, a commitment: one language in
#: practice), from its first characters, and every chunk of it records that language. py3langid
#: on every whole chunk took 2.3 s of CPU on corpus-real, a third of the build's own work beside
#: the encoder; once a document on this many characters, 0.5 s.
_LANGUAGE_SAMPLE_CHARS = 1000


def document_language(document: Document, detect_language: Callable[[str], str]) -> str:
    """The language every chunk of ``document`` records: its source's own, else the one detected
    in its first characters."""
    return document.provenance.language or detect_language(document.text[:_LANGUAGE_SAMPLE_CHARS])


def with_languages(units: list[tuple[Document, list[Chunk]]],
                   detect_languages: Callable[[list[str]], list[str]]) -> list[tuple[Document, list[Chunk]]]:
    """``units`` (one file's documents and their chunks) with each chunk's language set: its
    document's declared one, else the one ``detect_languages`` (indexer.analysis) gives the
    document's first characters, the file's documents detected together so that a close call goes
    to the file's language. The build chunks without detection, which the encoder does not need,
    and settles languages here as it stores the chunks."""
    undeclared = [i for i, (document, chunks) in enumerate(units) if chunks and not document.provenance.language]
    detected = dict(zip(undeclared, detect_languages([units[i][0].text[:_LANGUAGE_SAMPLE_CHARS] for i in undeclared])))
    out = []
    for i, (document, chunks) in enumerate(units):
        language = (document.provenance.language or detected[i]) if chunks else "und"
        out.append((document, [c if c.language == language else replace(c, language=language) for c in chunks]))
    return out


def _splits_words(ch: str) -> bool:
    """Whether the tokenizer splits words at ``ch``. BERT's tokenizers split at spaces, tabs, line
    ends and Unicode space separators only; a control character such as \\x1f, which Python's
    isspace() accepts, is dropped and joins its neighbours into one word."""
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _embedding_text(heading: str, body: str) -> str:
    """What the encoder sees: the short heading (title, section), a line break, the passage."""
    return f"{heading}\n{body}" if heading else body


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int
    starts_paragraph: bool
    starts_section: bool = False


#: Words that end with a full stop without ending the sentence, in English, Spanish and French
#: (lower case, without the stop). "etc." is left out: it ends sentences as often as not.
_ABBREVIATIONS = frozenset(
    "e.g i.e cf vs viz approx no nos nº núm num art arts p pp pág págs ch cap fig figs vol vols ed eds "
    "mr mrs ms dr dra drs sr sra srta sres st prof lic ing mme mlle inc ltd co corp jr dept gov av avda "
    "ibid op cit al u.s u.k ee.uu d.c".split())
_WORD_BEFORE_STOP = re.compile(r"([\w.º]+)\.$")


def _abbreviation_before(text: str, match: re.Match) -> bool:
    """Whether the full stop ``match`` follows ends an abbreviation rather than a sentence: a known
    one ("e.g.", "art.", "Sr."), or any stop followed by a lower-case word or a number ("No. 7",
    "p. 4"), which a new sentence does not start with."""
    stop = match.start()
    if match.group(1) is None or stop == 0 or text[stop - 1] != ".":
        return False
    following = text[match.end():match.end() + 1]
    if following.islower() or following.isdigit():
        return True
    word = _WORD_BEFORE_STOP.search(text, max(0, stop - 12), stop)
    return word is not None and word.group(1).lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, starts_paragraph) of each sentence, whitespace excluded, in order."""
    spans: list[tuple[int, int, bool]] = []
    para_start = 0
    for para_match in [*_PARAGRAPH_END.finditer(text), None]:
        para_end = para_match.start() if para_match else len(text)
        first = True
        cursor = para_start
        for match in [*_SENTENCE_END.finditer(text, para_start, para_end), None]:
            if match is not None and _abbreviation_before(text, match):
                continue
            # A closing quote or bracket after the full stop belongs to the sentence it closes.
            end = (match.end(1) if match.group(1) is not None else match.start()) if match else para_end
            start = cursor
            while start < end and text[start].isspace():
                start += 1
            stop = end
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            for piece_start, piece_end in _without_heading_line(text, start, stop):
                spans.append((piece_start, piece_end, first))
                first = False
            cursor = match.end() if match else para_end
        para_start = para_match.end() if para_match else len(text)
    return spans


#: A heading line is short: at most this many words.
_HEADING_WORDS = 10
_LINE_END_PUNCTUATION = tuple(".!?:;,")
#: ... and shorter than this share of the line after it.
_HEADING_SHARE_OF_NEXT_LINE = 0.7
#: A document title above a section heading: at most this many heading lines in a row.
_MOST_HEADING_LINES = 3


#: A table of contents' line ends in its page number, often after dot leaders.
ENDS_IN_PAGE_NUMBER = re.compile(r"(\.{3,}|…|\s)\s*\d{1,4}\s*$")


def heading_shaped(sentence: str) -> bool:
    """A few words without closing punctuation: how a heading or a title reads, not a sentence."""
    return len(sentence.split()) <= _HEADING_WORDS and not sentence.rstrip().endswith(_LINE_END_PUNCTUATION)


def _without_heading_line(text: str, start: int, stop: int) -> list[tuple[int, int]]:
    """``text[start:stop]`` (one sentence) as pieces, with the heading lines that open it cut off.

    PDF text and plain text often put a heading on its own line with no blank line after it
    ("Funding legal aid sustainably\nLegal aid budgets are..."), sometimes under the document's
    title; as one sentence the headings would be quoted as part of the answer. Headings here are
    up to ``_MOST_HEADING_LINES`` whole lines (the first starts a line) of a few words without
    closing punctuation, starting with a capital or digit, followed by a line that starts with a
    capital and is clearly longer than the last of them: a line wrapped mid-sentence goes on in
    lower case, or is about as long as the next line of its paragraph."""
    if stop <= start:
        return []
    if not (start == 0 or text[start - 1] == "\n"):
        return [(start, stop)]
    lines: list[tuple[int, int]] = []  # the heading-shaped lines from ``start``
    at = start
    while len(lines) <= _MOST_HEADING_LINES:
        newline = text.find("\n", at, stop)
        if newline < 0:
            break
        line = text[at:newline].rstrip()
        if not (line and heading_shaped(line) and (line[0].isupper() or line[0].isdigit())):
            break
        lines.append((at, at + len(line)))
        at = newline + 1
        while at < stop and text[at].isspace():
            at += 1
    # ``at`` now starts the first line that is not heading-shaped (or a heading-shaped one too many).
    if not lines or len(lines) > _MOST_HEADING_LINES:
        return [(start, stop)]
    next_end = text.find("\n", at, stop)
    next_line = text[at:stop if next_end < 0 else next_end].rstrip()
    last = lines[-1]
    if not (next_line[:1].isupper() and last[1] - last[0] < _HEADING_SHARE_OF_NEXT_LINE * len(next_line)):
        return [(start, stop)]
    return [*lines, (at, stop)] if stop > at else lines


def _section_starts(text: str) -> set[int]:
    return set(heading_lines(text))


def _split_at_sections(text: str, spans: list[tuple[int, int, bool]], starts: set[int]) -> list[tuple[int, int, bool]]:
    """``spans`` (split_sentences's) with any sentence that runs on from a section's heading line
    into its first words ("Commitment 18 The UK government will...", where the text has no
    blank line) cut at that line's start (one of ``starts``), which then starts a paragraph."""
    if not starts:
        return spans
    ordered = sorted(starts)
    out: list[tuple[int, int, bool]] = []
    for start, end, para in spans:
        # Only the headings inside this span (bisect: linear overall, however many headings).
        first = bisect_right(ordered, start)
        for at in ordered[first:bisect_left(ordered, end, lo=first)]:
            stop = at
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            if stop > start:
                out.append((start, stop, para))
            start, para = at, True
        out.append((start, end, para or start in starts))
    return out


class Chunker:
    """Token-budgeted, sentence-aware chunking with the model's tokenizer."""

    def __init__(self, tokenizer: Tokenizer, max_tokens: int = 256, chunk_tokens: int = 160,
                 overlap_tokens: int = 32, detect_language=None) -> None:
        self.tokenizer = tokenizer
        self.hard_limit = max_tokens - 2  # room for [CLS] and [SEP]
        self.chunk_tokens = min(chunk_tokens, self.hard_limit)
        self.overlap_tokens = overlap_tokens
        self.detect_language = detect_language or (lambda text: "und")

    def chunk(self, document: Document) -> list[Chunk]:
        """All chunks of one document, in order, each within the model's window."""
        text = document.text
        heading = chunk_heading(document.provenance)
        head = self._heading_encoding(heading)
        if head is not None and len(head.ids) > self.chunk_tokens // 4:
            # A very long title must not crowd out the passage: keep its first word pieces only
            # (cut by the tokenizer's offsets, so a title without spaces is cut too).
            heading = heading[: head.offsets[self.chunk_tokens // 4 - 1][1]].rstrip()
            head = self._heading_encoding(heading)
        head_ids = head.ids if head is not None else []
        budget = max(16, self.chunk_tokens - len(head_ids) - 1)

        sections = _section_starts(text)
        raw = _split_at_sections(text, split_sentences(text), sections)
        # One tokenisation of the whole text: its offsets give every sentence's size, and slices of
        # its ids are the chunks' ids (see _ids_by_slicing).
        whole = self.tokenizer.encode_batch([text], add_special_tokens=False)[0] if raw else None
        token_starts = [start for start, _ in whole.offsets] if whole is not None else []
        counts = [bisect_left(token_starts, end) - bisect_left(token_starts, start) for start, end, _ in raw]
        spans: list[_Span] = []
        for (start, end, para), tokens in zip(raw, counts):
            if tokens <= budget:
                spans.append(_Span(start, end, tokens, para, start in sections))
            else:
                pieces_of_sentence = self._split_long(text, start, end, budget, para)
                if start in sections:
                    pieces_of_sentence[0] = replace(pieces_of_sentence[0], starts_section=True)
                spans.extend(pieces_of_sentence)

        # Every chunk's heading + text is tokenised once, with the model's special tokens, in one
        # call per document: the count checks the window and the ids go to the encoder as they are.
        groups = self._pack(spans, budget)
        bodies = [(group[0].start, group[-1].end) for group in groups]
        encoded: list[list[int] | None] = [None] * len(bodies)
        if self._ids_by_slicing and whole is not None:
            for at, (s, e) in enumerate(bodies):
                # Only a chunk with whitespace at both edges: one cut inside a word (an over-long
                # "sentence" with no spaces) starts with a word piece the word alone would not have.
                if (s == 0 or _splits_words(text[s - 1])) and (e == len(text) or _splits_words(text[e])):
                    encoded[at] = self._sliced_ids(head_ids, whole.ids, token_starts, s, e)
        missing = [at for at, ids in enumerate(encoded) if ids is None]
        for at, ids in zip(missing, self._encode_for_model(
                [_embedding_text(heading, text[bodies[at][0]:bodies[at][1]]) for at in missing])):
            encoded[at] = ids
        pieces: list[tuple[int, int, list[int]]] = []
        for (start, end), ids in zip(bodies, encoded):
            token_count = len(ids) - self._special_tokens
            if token_count <= self.hard_limit:
                pieces.append((start, end, ids))
                continue
            # The joined text tokenised differently from its sentences: cut it again.
            parts = self._split_long(text, start, end, budget - (token_count - self.hard_limit) - 8, False)
            again = self._encode_for_model([_embedding_text(heading, text[p.start:p.end]) for p in parts])
            pieces.extend((p.start, p.end, ids) for p, ids in zip(parts, again))
        language = document_language(document, self.detect_language) if pieces else "und"
        chunks: list[Chunk] = []
        for s, e, ids in pieces:
            body = text[s:e]
            chunks.append(
                Chunk(
                    provenance=document.provenance,
                    text=body,
                    char_start=s,
                    char_end=e,
                    ordinal=len(chunks),
                    language=language,
                    token_count=len(ids) - self._special_tokens,
                    embedding_text=_embedding_text(heading, body),
                    token_ids=tuple(ids),
                )
            )
        return chunks

    @cached_property
    def _special_tokens(self) -> int:
        """How many special tokens ([CLS], [SEP]) the model's tokenizer adds to one text."""
        return len(self.tokenizer.encode_batch([""], add_special_tokens=True)[0].ids)

    @cached_property
    def _special_ids(self) -> tuple[list[int], list[int]]:
        """The special tokens the tokenizer puts before and after one text ([CLS] and [SEP] for BERT)."""
        plain, marked = (e.ids for e in self.tokenizer.encode_batch(["justice"], add_special_tokens=False)
                         + self.tokenizer.encode_batch(["justice"], add_special_tokens=True))
        for at in range(len(marked) - len(plain) + 1):
            if marked[at:at + len(plain)] == plain:
                return marked[:at], marked[at + len(plain):]
        return [], []

    def _heading_encoding(self, heading: str):
        """The heading's tokenisation (ids and offsets), None for no heading."""
        return self.tokenizer.encode_batch([heading], add_special_tokens=False)[0] if heading else None

    def _sliced_ids(self, head_ids: list[int], text_ids: list[int], token_starts: list[int],
                    start: int, end: int) -> list[int]:
        """The model's ids for the heading, a line break and ``text[start:end]``, from the heading's
        ids and the whole text's (``token_starts``: each token's first character)."""
        before, after = self._special_ids
        body = text_ids[bisect_left(token_starts, start):bisect_left(token_starts, end)]
        return [*before, *head_ids, *body, *after]

    @cached_property
    def _ids_by_slicing(self) -> bool:
        """Whether a chunk's ids can be cut from the whole text's ids rather than tokenising the
        chunk again (which cost 1.5 s of the 3.3 s of tokenising on corpus-real).

        True for tokenizers that split at whitespace and give "\n" no token of its own, as
        WordPiece (BERT, MiniLM) does: a chunk starts and ends at whitespace, so no word piece
        crosses its edges, and heading, line break and passage tokenise as the heading's ids then
        the passage's. Checked once per tokenizer on a sample that has what can break it (a
        sentence cut mid-text, punctuation, an accent, a number); a byte-level BPE tokenizer, for
        one, gives the first word of a passage another id alone than after a space, fails the
        check and keeps tokenising each chunk.
        """
        text = "Courts publish rulings. Légal-aid (2019) reaches 1,200 people; appeals follow."
        cut = text.index("Légal")
        heading = "Access to justice — Legal aid"
        whole = self.tokenizer.encode_batch([text], add_special_tokens=False)[0]
        starts = [start for start, _ in whole.offsets]
        sliced = self._sliced_ids(self._heading_encoding(heading).ids, whole.ids, starts, cut, len(text))
        return sliced == self._encode_for_model([_embedding_text(heading, text[cut:])])[0]

    def _encode_for_model(self, texts: list[str]) -> list[list[int]]:
        """Token ids as the model takes them (special tokens included), one list per text."""
        return [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=True)] if texts else []

    def _pack(self, spans: list[_Span], budget: int) -> list[list[_Span]]:
        groups: list[list[_Span]] = []
        current: list[_Span] = []
        used = 0
        # Tokens from each span to the end of its paragraph, computed once (linear).
        to_paragraph_end = [0] * len(spans)
        running = 0
        for index in range(len(spans) - 1, -1, -1):
            running += spans[index].tokens
            to_paragraph_end[index] = running
            if spans[index].starts_paragraph:
                running = 0
        for index, span in enumerate(spans):
            if current and span.starts_section and used >= budget // 4:
                # A new commitment or chapter: close the chunk, carrying nothing over. (Below a
                # quarter of the budget, what came before is a page number or a part heading,
                # which belongs with it.)
                groups.append(current)
                current, used = [], 0
            if current and span.starts_paragraph and used >= budget // 2:
                # A paragraph starts and the chunk is already substantial: end it here if
                # the whole paragraph would not fit anyway.
                if used + to_paragraph_end[index] > budget:
                    groups.append(current)
                    current, used = [], 0
            if current and used + span.tokens > budget:
                groups.append(current)
                tail: list[_Span] = []
                tail_tokens = 0
                for previous in reversed(current):
                    if tail_tokens + previous.tokens > self.overlap_tokens:
                        break
                    tail.insert(0, previous)
                    tail_tokens += previous.tokens
                if tail_tokens + span.tokens > budget:
                    tail, tail_tokens = [], 0
                current, used = tail, tail_tokens
            current.append(span)
            used += span.tokens
        if current:
            groups.append(current)
        return groups

    def _split_long(self, text: str, start: int, end: int, budget: int, para: bool) -> list[_Span]:
        """Cut an over-long sentence at word boundaries into pieces of at most ``budget`` tokens."""
        budget = max(8, budget)
        encoding = self.tokenizer.encode_batch([text[start:end]], add_special_tokens=False)[0]
        offsets = encoding.offsets
        pieces: list[_Span] = []
        first_token = 0
        while first_token < len(offsets):
            last_token = min(first_token + budget, len(offsets))
            if last_token < len(offsets):
                # Back off to the start of a word so no word is split across chunks.
                cut = last_token
                while cut > first_token + 1 and offsets[cut][0] == offsets[cut - 1][1]:
                    cut -= 1
                if cut > first_token + 1:
                    last_token = cut
            # Pieces tile the sentence: characters the tokenizer drops (control characters)
            # still belong to a piece, so every character stays in some chunk.
            s = pieces[-1].end if pieces else start
            while s < end and text[s].isspace():
                s += 1
            e = end if last_token == len(offsets) else start + offsets[last_token - 1][1]
            pieces.append(_Span(s, e, last_token - first_token, para and not pieces))
            first_token = last_token
        if not pieces:  # nothing the tokenizer keeps: one empty-of-tokens piece, still located
            pieces.append(_Span(start, end, 0, para))
        return pieces
