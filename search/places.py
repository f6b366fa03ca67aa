"""The last stage: ranked candidates become places a reader is sent to. Near-duplicates collapse
into one place ("also in"), a place's neighbouring chunk is joined to it when the answer runs
across the cut (the first passage of the next page too, when a page's last sentence runs on to it), and a
report page's passage is labelled with the numbered part it sits in."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.headings import PART_HEADING_REACH, numbered_part
from indexer.records import NOTES_SECTION, Provenance
from indexer.store import IndexReader, StoredChunk

from .answer import best_sentence
from .hit import Hit

__all__ = ["Prepared", "read_ahead", "places", "collapse", "part_of"]

_WORDS = re.compile(r"\w+")
#: Passages read ahead from the top of each ranking while the question is encoded.
_PREPARED_PER_RANKING = 15
#: Below this many word triples a passage is too short to call a copy of another by its share of
#: triples: a running title's few words would make it a copy of every page that prints them.
_FEWEST_TRIPLES = 8


@dataclass
class Prepared:
    """Per question: chunks read, and their word triples and best sentences computed, ahead of need."""

    chunks: dict[int, StoredChunk] = field(default_factory=dict)
    shingles: dict[int, frozenset[int]] = field(default_factory=dict)
    highlights: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Place:
    """A result being assembled: its best chunk, the neighbouring chunk joined to it, and
    where else the same passage appears."""

    chunk: StoredChunk
    score: float
    join_score: float  # its fused score: a neighbour is joined by comparing fused scores
    also_in: list[Provenance] = field(default_factory=list)
    also_in_chunks: list[StoredChunk] = field(default_factory=list)  # one a place in also_in, for its part
    joined: StoredChunk | None = None
    #: another part of the file that the same citation names (a post's summary and its body), shown too
    alike: StoredChunk | None = None

    def also(self, chunk: StoredChunk) -> bool:
        """List ``chunk``'s place under "also in", unless it is this place's or already listed; True when listed."""
        if chunk.provenance == self.chunk.provenance or chunk.provenance in self.also_in:
            return False
        self.also_in.append(chunk.provenance)
        self.also_in_chunks.append(chunk)
        return True

    def show(self, chunk: StoredChunk) -> None:
        """Show ``chunk`` (the same record in another language) here, the one shown until now first under
        "also in"."""
        self.also_in.insert(0, self.chunk.provenance)
        self.also_in_chunks.insert(0, self.chunk)
        self.chunk = chunk

    def join(self, chunk: StoredChunk, join_score: float, ratio: float) -> bool:
        """Take ``chunk`` as the joined neighbour if there is none yet, it follows or precedes this
        place's chunk (on its page, or across a page break), and its fused score is at least ``ratio``
        of this place's; True when taken."""
        if self.joined is None and (_next_to(chunk, self.chunk) or _across_pages(chunk, self.chunk)) \
                and join_score >= ratio * self.join_score:
            self.joined = chunk
            return True
        return False


def read_ahead(reader: IndexReader, vector_soon: Future, question: str, *rankings: Iterable[int]) -> Prepared:
    """Read the passages the rankings put first, their word triples and their best sentences,
    while the question is still being encoded on the other core: most of them are among the
    candidates the results are drawn from, and this thread would otherwise wait. Stops as soon
    as the vector is ready, so it never delays the question."""
    prepared = Prepared()
    if vector_soon.done():
        return prepared
    wanted: dict[int, None] = {}
    for ranking in rankings:  # each is best first
        wanted.update(dict.fromkeys(list(ranking)[:_PREPARED_PER_RANKING]))
    prepared.chunks.update(reader.chunks_by_id(wanted))
    for cid in wanted:
        chunk = prepared.chunks.get(cid)
        # Hand the GIL over between passages: the encoding thread needs it for a moment after
        # ONNX Runtime returns, and would otherwise wait up to Python's 5 ms switch interval
        # (measured: without this, the read-ahead delayed the vector by 2-3 ms).
        time.sleep(0)
        if vector_soon.done():
            break
        if chunk is not None:
            prepared.shingles[cid] = _shingles(chunk.text)
            prepared.highlights[cid] = best_sentence(chunk.text, question, chunk.language)
    return prepared


def places(reader: IndexReader, question: str, ranked: list[tuple[int, float]], k: int, ratio: float,
           prepared: Prepared, join_scores: dict[int, float], versions: Mapping[str, str] | None = None,
           matched: Mapping[int, str] | None = None, asked_in: str | None = None,
           show_in: str | None = None) -> list[Hit]:
    """The ``k`` best places of ``ranked`` as hits, reading candidate chunks a slice at a time (most
    questions need only the first few dozen); ``join_scores``: the scores neighbours are joined by
    (the fused ones); ``ratio``: the join_adjacent setting; ``versions``: the question in other
    languages (language -> text), the one in a passage's language picking its best sentence;
    ``matched``: chunk id -> the language of the version that found it, ``asked_in`` for the others;
    ``show_in``: the language a bilingual record is shown in (None: the one found)."""
    chunks = prepared.chunks
    # Measured on corpus-real: ten places take 15-30 candidates, so a slice of 3k covers most
    # questions in one read.
    step = max(3 * k, 30)
    kept: list[_Place] = []
    seen = 0  # candidates the collapse has gone through
    for first in range(0, len(ranked), step):
        seen = first + step
        chunks.update(reader.chunks_by_id(cid for cid, _ in ranked[first:seen] if cid not in chunks))
        kept = collapse(ranked[:seen], chunks, k, prepared.shingles, join_scores, ratio, show_in)
        if len(kept) >= k:
            break
    # A neighbour strong enough to be joined may come after the candidates gone through: when
    # one could still join a place, collapse them all, so a passage is the same whatever k is.
    if len(kept) >= k:
        floor = ratio * min(place.join_score for place in kept)
        later = [cid for cid, _ in ranked[seen:] if join_scores[cid] >= floor]
        if later:
            chunks.update(reader.chunks_by_id(cid for cid in later if cid not in chunks))
            kept = collapse(ranked, chunks, k, prepared.shingles, join_scores, ratio, show_in)
    _record_copies(reader, kept, chunks, show_in)
    return [_hit(reader, question, rank, place, prepared.highlights, versions or {}, matched, asked_in)
            for rank, place in enumerate(kept, start=1)]


def _record_copies(reader: IndexReader, kept: list[_Place], chunks: dict[int, StoredChunk],
                   show_in: str | None) -> None:
    """Each place that is one record of a bilingual file is shown in ``show_in`` (the question's
    language) when the file gives the record in it: the question's words found both copies, the ranker
    may put either first, and a reader wants the one in the language asked. Its copies in the file's
    other languages are listed under "also in", whether or not the ranking brought them (a Spanish
    question on Canada's English and French tracker gets one of the two, and the other belongs beside it)."""
    sectioned = [place for place in kept if place.chunk.provenance.section and place.joined is None]
    if not sectioned:
        return
    twins = reader.twins_in_other_languages([place.chunk.id for place in sectioned])
    if not twins:
        return
    chunks.update(reader.chunks_by_id(t for found in twins.values() for t in found if t not in chunks))
    for place in sectioned:
        copies = [chunks[t] for t in twins.get(place.chunk.id, ()) if t in chunks]
        shown = None
        if show_in and place.chunk.language != show_in:
            shown = next((copy for copy in copies if copy.language == show_in), None)
            if shown is not None:
                place.show(shown)
        for copy in copies:
            if copy is not shown:
                place.also(copy)


def _hit(reader: IndexReader, question: str, rank: int, place: _Place, highlights: dict[int, tuple[int, int]],
         versions: Mapping[str, str], matched: Mapping[int, str] | None, asked_in: str | None) -> Hit:
    chunk, joined = place.chunk, place.joined
    text, start, end = chunk.text, chunk.char_start, chunk.char_end
    highlight = highlights.get(chunk.id)
    if chunk.language in versions:  # the best sentence for the question in the passage's own language
        question, highlight = versions[chunk.language], None
    runs_on = None
    if joined is not None and joined.document_id != chunk.document_id:
        # A page's last passage and the next page's first, cited from where the passage starts.
        chunk, runs_on = (chunk, joined) if _runs_on(chunk, joined) else (joined, chunk)
        text, start, end = f"{chunk.text}\n{runs_on.text}", chunk.char_start, chunk.char_end
        highlight = None
    elif joined is not None:  # one passage from the first chunk's start to the second's end
        start, end = min(start, joined.char_start), max(end, joined.char_end)
        text = reader.document_span(chunk.document_id, start, end)
        highlight = None
    if place.alike is not None:
        # Two parts of a file that one citation names: both, in the file's order; the citation and the
        # source view are the better one's.
        text = f"{place.alike.text}\n\n{text}" if place.alike.id < chunk.id else f"{text}\n\n{place.alike.text}"
        highlight = None
    return Hit(
        rank=rank, score=place.score, chunk_id=chunk.id, document_id=chunk.document_id,
        provenance=chunk.provenance, text=text, char_start=start, char_end=end, language=chunk.language,
        runs_on=runs_on.provenance if runs_on is not None else None,
        runs_on_chunk_id=runs_on.id if runs_on is not None else None,
        highlight=highlight or best_sentence(text, question, chunk.language), also_in=tuple(place.also_in),
        part=part_of(reader, chunk, start),
        also_in_parts=tuple(part_of(reader, other, other.char_start) for other in place.also_in_chunks),
        matched_language=(matched or {}).get(chunk.id, asked_in), asked_as=question,
        part_with_chunk_id=place.alike.id if place.alike is not None else None)


def part_of(reader: IndexReader, chunk: StoredChunk, start: int) -> str | None:
    """The numbered part of a report page ("Commitment 18") whose heading the page shows above
    the passage starting at ``start``; None otherwise.

    Pages only: a page is short, so its heading is found there or not at all (carrying one over
    from earlier pages would label an annex with the last commitment before it)."""
    if chunk.provenance.page is None:
        return None
    # Only the page up to the passage (and the few characters a heading may sit below it).
    return numbered_part(reader.document_span(chunk.document_id, 0, start + PART_HEADING_REACH), start)


def collapse(ranked: list[tuple[int, float]], chunks: dict[int, StoredChunk], k: int,
             shingles: dict[int, frozenset[int]], join_scores: dict[int, float], ratio: float,
             asked_in: str | None = None) -> list[_Place]:
    """Keep the best of near-duplicate passages, the others listed under "also in", for at
    most ``k`` places, best first. The same record or section of a bilingual file in another language
    is such a copy too; the place shows the one in ``asked_in`` (the question's language) when both
    are among the candidates it goes through.

    A place's second chunk is joined to its first when the two are next to each other and
    the second scores nearly as well (``ratio``): the answer often runs across the cut, and a
    reader shown only the first half would miss it (measured on corpus-real: the coalition's new
    co-lead and the hackathon licence sat in the second chunk).
    """
    kept: list[_Place] = []

    def words_of(cid: int) -> frozenset[int]:
        # Word triples only when a comparison needs them: a chunk that shares its page with a
        # passage already kept (the common duplicate) is settled without them.
        words = shingles.get(cid)
        if words is None:
            words = shingles[cid] = _shingles(chunks[cid].text)
        return words

    floor = None
    for cid, score in ranked:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        join_score = join_scores[cid]
        if len(kept) >= k:  # all places found: only a neighbour to join may follow
            floor = floor if floor is not None else ratio * min(place.join_score for place in kept)
            if join_score >= floor:
                for place in kept:
                    if place.join(chunk, join_score, ratio):
                        break
            continue
        twin_of = next((other for other in kept if _twins(chunk, other.chunk)), None)
        if twin_of is not None:
            if chunk.language == asked_in != twin_of.chunk.language and twin_of.joined is None:
                twin_of.show(chunk)
            else:
                twin_of.also(chunk)
            continue
        # The first passage of a page may finish what the last one of the page before began: that comes
        # before its own page's other places, so a passage reads the same whatever k is.
        if any(_across_pages(chunk, place.chunk) and place.join(chunk, join_score, ratio) for place in kept):
            continue
        if any(place.alike is not None and _same_place(chunk, place.alike) for place in kept):
            continue  # a passage of the part a place shows beside its own
        duplicate_of = next((other for other in kept if _same_place(chunk, other.chunk)
                             or _copy(chunk, other.chunk, words_of)), None)
        if duplicate_of is None:
            alike = next((place for place in kept if _cited_alike(chunk, place.chunk)), None)
            if alike is None:
                kept.append(_Place(chunk, score, join_score))
            elif alike.alike is None:
                alike.alike = chunk  # one card for one citation, showing both parts
        elif not duplicate_of.also(chunk):
            duplicate_of.join(chunk, join_score, ratio)
    return kept


# A passage's word triples, each kept as its hash: comparing sets of ints is quicker than sets of
# string tuples and holds a fraction of the memory. Hashes are only compared within one process.
# The same passages are candidates for question after question, so recent ones are kept.
@lru_cache(maxsize=1024)
def _shingles(text: str) -> frozenset[int]:
    words = _WORDS.findall(text.lower())
    if len(words) < 3:
        return frozenset((hash(tuple(words)),))
    return frozenset(map(hash, zip(words, words[1:], words[2:])))


def _similar(a: frozenset[int], b: frozenset[int], threshold: float = 0.6) -> bool:
    """True when most of the smaller passage's word triples appear in the other (a passage of a few
    words only when the two are the same words)."""
    if not a or not b:
        return False
    if min(len(a), len(b)) < _FEWEST_TRIPLES:
        return a == b
    return len(a & b) / min(len(a), len(b)) >= threshold


def _copy(a: StoredChunk, b: StoredChunk, words_of) -> bool:
    """``a`` says what ``b`` says, in another place: most of their word triples are shared. Two records
    or sections of one file are never copies, however alike (a tracker's "C04.4.1: Number of ..." and
    "C04.4.2: Number of ..." are two indicators)."""
    pa, pb = a.provenance, b.provenance
    if pa.source == pb.source and pa.section != pb.section:
        return False
    return _similar(words_of(a.id), words_of(b.id))


def _next_to(a: StoredChunk, b: StoredChunk) -> bool:
    """Two chunks of one place that overlap or follow each other in its text."""
    return _same_place(a, b) and a.char_start <= b.char_end + 2 and b.char_start <= a.char_end + 2


#: A passage that ends like this ends its sentence: a page break after it is no cut in the text.
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*\s*$")


def _runs_on(a: StoredChunk, b: StoredChunk) -> bool:
    """``b`` goes on with the sentence ``a`` leaves unfinished at the foot of its page: ``a`` is the
    last passage of its page and ``b`` the first of the next (chunk ids follow a file's text; a page's
    notes are not its text). A page that ends its sentence is left as a place of its own."""
    pa, pb = a.provenance, b.provenance
    return (b.id == a.id + 1 and b.document_id != a.document_id and b.char_start == 0 and pa.page is not None
            and pb.page == pa.page + 1 and pa.source == pb.source
            and NOTES_SECTION not in (pa.section, pb.section) and not _SENTENCE_END.search(a.text))


def _across_pages(a: StoredChunk, b: StoredChunk) -> bool:
    return _runs_on(a, b) or _runs_on(b, a)


def _twins(a: StoredChunk, b: StoredChunk) -> bool:
    """One record or section of a bilingual file in two languages (Canada's tracker gives each in
    English and French): same file, section and page, different documents and languages."""
    pa, pb = a.provenance, b.provenance
    return (a.document_id != b.document_id and a.language != b.language and bool(pa.section)
            and pa.section == pb.section and pa.page == pb.page and pa.source == pb.source)


def _cited_alike(a: StoredChunk, b: StoredChunk) -> bool:
    """Two parts of one file that a citation cannot tell apart (a post's summary from its front matter
    and its body: same file, no section, no page): a second card would repeat the first's citation
    and send the reader to the same place, so the first card shows both."""
    pa, pb = a.provenance, b.provenance
    return (a.document_id != b.document_id and pa.source == pb.source and pa.section == pb.section
            and pa.page == pb.page and pa.commitment_id == pb.commitment_id and a.language == b.language)


def _same_place(a: StoredChunk, b: StoredChunk) -> bool:
    """Two chunks of one page, section or commitment: a reader is sent to the same place."""
    return a.document_id == b.document_id
