"""Chunking with the real tokenizer: every passage fits the model window, offsets locate it
exactly in its Document, nothing is lost, consecutive passages overlap, sentences stay whole."""

from __future__ import annotations

import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.chunking import Chunker, split_sentences
from indexer.headings import chunk_heading, numbered_part
from indexer.records import Document, Provenance

HARD_LIMIT = 254  # 256-token window minus [CLS] and [SEP]


@pytest.fixture(scope="module")
def tokenizer(encoder):
    return encoder.tokenizer


@pytest.fixture(scope="module")
def chunker(tokenizer):
    return Chunker(tokenizer, max_tokens=256, chunk_tokens=160, overlap_tokens=32)


def pieces(tokenizer, text: str) -> int:
    return len(tokenizer.encode(text, add_special_tokens=False).ids)


def doc(text: str, **provenance) -> Document:
    fields = {"source": "notes.txt", "kind": "text", "title": "Notes"} | provenance
    return Document(Provenance(**fields), text)


def assert_well_formed(chunks, document, tokenizer, limit=HARD_LIMIT):
    assert chunks, "a document with text must give at least one chunk"
    for i, c in enumerate(chunks):
        assert c.ordinal == i
        assert c.provenance == document.provenance
        assert c.text == document.text[c.char_start:c.char_end]
        assert c.text and c.text == c.text.strip()
        n = pieces(tokenizer, c.embedding_text)
        assert n <= limit, f"chunk {i} has {n} word pieces > {limit}: {c.embedding_text[:120]!r}"
        assert c.token_count == n
        # The ids handed to the encoder are exactly the model's own tokenisation of the text it
        # would be given (chunking cuts them from the whole document's ids when it can).
        assert list(c.token_ids) == tokenizer.encode(c.embedding_text, add_special_tokens=True).ids
        assert c.embedding_text.endswith(c.text)
    starts = [c.char_start for c in chunks]
    ends = [c.char_end for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), "chunks out of order or repeated"
    assert ends == sorted(ends)


def assert_covers_non_space(chunks, text):
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.char_start:c.char_end] = b"\x01" * (c.char_end - c.char_start)
    lost = [(i, text[i]) for i in range(len(text)) if not covered[i] and not text[i].isspace()]
    assert not lost, f"characters in no chunk: {lost[:10]}"


def _random_words(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 11))) for _ in range(n)]


# -- the model window ---------------------------------------------------------------------

LONG_WEIRD = {
    "5000 words, no punctuation": lambda: " ".join(_random_words(5000)),
    "300-character word": lambda: "The court said " + "x" * 300 + " and then " + "legal " * 50 + "aid.",
    "300-character random word": lambda: " ".join(
        "".join(random.Random(i).choice(string.ascii_letters + string.digits) for _ in range(300)) for i in range(12)),
    "many short lines": lambda: "\n".join(f"line {i} of the register" for i in range(3000)),
    "a list of items": lambda: "Measures:\n" + "\n".join(f"- item {i} opens an office" for i in range(800)),
    "digits and symbols": lambda: " ".join(f"{i:08d}/{i * 7 % 97}%§" for i in range(3000)),
    "no spaces at all (CJK)": lambda: "司法公开是指法院依法公开审判活动和裁判文书的制度安排" * 120,
    "one huge token-dense sentence": lambda: "-".join(_random_words(2000)) + ".",
}


@pytest.mark.parametrize("name", list(LONG_WEIRD))
def test_every_chunk_fits_the_model_window(chunker, tokenizer, name):
    text = LONG_WEIRD[name]()
    document = doc(text)
    chunks = chunker.chunk(document)
    assert_well_formed(chunks, document, tokenizer)
    assert_covers_non_space(chunks, text)
    if pieces(tokenizer, text) > 2 * HARD_LIMIT:
        assert len(chunks) >= pieces(tokenizer, text) // HARD_LIMIT


def test_chunks_respect_the_configured_chunk_size(tokenizer):
    small = Chunker(tokenizer, max_tokens=256, chunk_tokens=64, overlap_tokens=8)
    text = " ".join(f"Sentence {i} says the district court opened office {i}." for i in range(300))
    chunks = small.chunk(doc(text))
    assert all(c.token_count <= 64 for c in chunks), max(c.token_count for c in chunks)
    assert len(chunks) > 40


def test_long_heading_without_spaces_still_fits_the_window(chunker, tokenizer):
    heading = "司法公开是指法院依法公开审判活动和裁判文书的制度安排" * 12  # ~310 word pieces, one "word"
    document = doc("The court publishes its judgments online. " * 40, kind="guide", title="Guide",
                   section=f"Open courts > {heading}", source="guide.md")
    chunks = chunker.chunk(document)
    assert_well_formed(chunks, document, tokenizer)


def test_long_title_with_spaces_is_trimmed_to_fit(chunker, tokenizer):
    title = " ".join(_random_words(200, seed=3))
    document = doc("The court publishes its judgments online. " * 40, title=title)
    chunks = chunker.chunk(document)
    assert_well_formed(chunks, document, tokenizer)
    heading = chunks[0].embedding_text[: -len(chunks[0].text)].strip()
    assert heading and title.startswith(heading)  # the start of the title is kept
    assert pieces(tokenizer, heading) < 160


# -- offsets, order, coverage -----------------------------------------------------------------


def _report_text(n: int = 120) -> str:
    paragraphs = []
    for p in range(n // 6):
        sentences = [f"In district {p * 6 + s} the legal aid office handled {100 + p * 6 + s} cases last year."
                     for s in range(6)]
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def test_every_sentence_is_in_some_chunk_and_chunks_are_located_exactly(chunker, tokenizer):
    text = _report_text()
    document = doc(text, kind="report", title="Legal Aid Report", page=4, page_label="iv", source="r.pdf")
    chunks = chunker.chunk(document)
    assert_well_formed(chunks, document, tokenizer)
    assert_covers_non_space(chunks, text)
    for start, end, _ in split_sentences(text):
        sentence = text[start:end]
        assert any(c.char_start <= start and end <= c.char_end for c in chunks), f"lost: {sentence}"
    assert all(c.provenance.page == 4 and c.provenance.page_label == "iv" for c in chunks)
    assert all(c.embedding_text.startswith("Legal Aid Report\n") for c in chunks)


def test_consecutive_chunks_of_a_long_paragraph_overlap(chunker):
    text = " ".join(f"Sentence {i} reports that court {i} cut its backlog." for i in range(200))  # one paragraph
    chunks = chunker.chunk(doc(text))
    assert len(chunks) >= 5
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end, f"no overlap between chunk {a.ordinal} and {b.ordinal}"
        assert b.char_start > a.char_start
        shared = text[b.char_start:a.char_end]
        assert re.match(r"Sentence \d+ ", shared), f"overlap is not whole sentences: {shared!r}"


def test_short_sentences_are_never_cut(chunker):
    text = _report_text()
    chunks = chunker.chunk(doc(text))
    sentence_starts = {s for s, _, _ in split_sentences(text)}
    sentence_ends = {e for _, e, _ in split_sentences(text)}
    for c in chunks:
        assert c.char_start in sentence_starts, f"chunk {c.ordinal} starts mid-sentence: {c.text[:40]!r}"
        assert c.char_end in sentence_ends, f"chunk {c.ordinal} ends mid-sentence: {c.text[-40:]!r}"
        assert c.text.startswith("In district") and c.text.endswith("last year.")


def test_chunks_never_cross_documents(chunker, tokenizer):
    pages = [doc(f"Page {n} marker PAGE{n}. " + _report_text(30), kind="report", title="R", page=n, source="r.pdf")
             for n in (1, 2, 3)]
    for page in pages:
        chunks = chunker.chunk(page)
        assert_well_formed(chunks, page, tokenizer)
        others = {f"PAGE{n}" for n in (1, 2, 3)} - {f"PAGE{page.provenance.page}"}
        for c in chunks:
            assert c.provenance.page == page.provenance.page
            assert not any(o in c.text for o in others)


def test_commitment_heading_is_country_and_id(chunker):
    p = Provenance(source="c.csv", kind="commitment", title="Free legal aid", commitment_id="MK0164",
                   country="North Macedonia")
    assert chunk_heading(p) == "North Macedonia — MK0164"
    (chunk,) = chunker.chunk(Document(p, "Free legal aid\n\nExpand legal aid."))
    assert chunk.embedding_text == "North Macedonia — MK0164\nFree legal aid\n\nExpand legal aid."


def test_guide_heading_is_title_and_last_section(chunker):
    p = Provenance(source="g.md", kind="guide", title="Justice for Women", section="Barriers > Protection orders")
    assert chunk_heading(p) == "Justice for Women — Protection orders"


def test_language_comes_from_provenance_or_detector(tokenizer):
    detected = Chunker(tokenizer, detect_language=lambda text: "xx")
    plain = detected.chunk(doc("Courts publish judgments."))
    declared = detected.chunk(doc("Los tribunales publican sentencias.", language="es"))
    assert [c.language for c in plain] == ["xx"]
    assert [c.language for c in declared] == ["es"]


def test_whitespace_only_document_gives_no_chunks(chunker):
    assert chunker.chunk(doc("  \n\n \t ")) == []


def test_a_chunk_after_a_control_character_counts_its_own_word_pieces(tokenizer):
    # "\x1f" is whitespace to Python but not to the tokenizer ("0\x1ftil" is one word to it): the
    # chunk's ids must come from the chunk itself, not a slice of the whole text's.
    small = Chunker(tokenizer, max_tokens=64, chunk_tokens=40, overlap_tokens=8)
    chunks = small.chunk(doc("!" * 33 + ":0\x1ftil!!"))
    assert [c.text for c in chunks][-1] == "til!!"
    for c in chunks:
        assert len(c.token_ids) - 2 == c.token_count == len(tokenizer.encode_batch(
            [c.embedding_text], add_special_tokens=False)[0].ids)
        assert list(c.token_ids) == tokenizer.encode_batch([c.embedding_text])[0].ids


def test_split_sentences_spans():
    text = "First one. Second one!  Third?\n\n- item a\n- item b\nLast line 2.5 percent. End"
    spans = split_sentences(text)
    assert [text[s:e] for s, e, _ in spans] == [
        "First one.", "Second one!", "Third?", "- item a", "- item b\nLast line 2.5 percent.", "End"]
    assert [p for _, _, p in spans] == [True, False, False, True, False, False]


def test_a_heading_line_is_a_sentence_of_its_own_but_wrapped_lines_are_not():
    text = ("Funding legal aid sustainably\n"
            "Legal aid budgets are often among the first to be cut when public finances are under\n"
            "pressure, and a stable allocation protects the service. The\n"
            "Ministry of Justice publishes its figures every year in a report to the\n"
            "Parliament. Quality standards\nare needed as well.\n"
            "Short line\nNext.")
    assert [text[s:e] for s, e, _ in split_sentences(text)] == [
        "Funding legal aid sustainably",  # short, no full stop, a longer capitalised line follows
        "Legal aid budgets are often among the first to be cut when public finances are under\n"
        "pressure, and a stable allocation protects the service.",
        "The\nMinistry of Justice publishes its figures every year in a report to the\nParliament.",  # mid-line start
        "Quality standards\nare needed as well.",  # the next line goes on in lower case
        "Short line\nNext.",  # the next line is no longer than the heading would be
    ]


def test_a_title_above_a_section_heading_is_cut_off_too():
    text = ("Open Justice: A Guidance Note on Transparent Courts\nPublishing court judgments\n"
            "Judgments are the most important public record that a court produces. They show how.\n"
            "A\nB\nC\nD\nThe long line of real prose that follows four short lines here.")
    assert [text[s:e] for s, e, _ in split_sentences(text)] == [
        "Open Justice: A Guidance Note on Transparent Courts", "Publishing court judgments",
        "Judgments are the most important public record that a court produces.", "They show how.",
        "A\nB\nC\nD\nThe long line of real prose that follows four short lines here.",  # more than three: not headings
    ]


def test_split_sentences_keeps_closing_quotes_and_brackets():
    text = "He said \u201cstop.\u201d Then \u2018go!\u2019 (Done.) End"
    assert [text[s:e] for s, e, _ in split_sentences(text)] == [
        "He said \u201cstop.\u201d", "Then \u2018go!\u2019", "(Done.)", "End"]


def test_chunks_keep_closing_quotes(chunker):
    text = " ".join(f"Witness {i} said \u201cthe court in district {i} was closed.\u201d" for i in range(150))
    chunks = chunker.chunk(doc(text))
    assert len(chunks) > 3
    assert all(c.text.endswith("\u201d") for c in chunks), [c.text[-20:] for c in chunks if not c.text.endswith("\u201d")][:3]
    assert_covers_non_space(chunks, text)


# -- property: arbitrary text ---------------------------------------------------------------

_words = st.one_of(
    st.text(min_size=1, max_size=14),
    st.sampled_from(["the", "court", "legal", "aid.", "Yes!", "\n", "\n\n", "- item", "1.", "é", "司法公开",
                     "x" * 120, "\u200b", "\t", "MK0164", "(see p. 4)", "“quoted.”"]),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(words=st.lists(_words, min_size=1, max_size=400), title=st.text(min_size=1, max_size=40))
def test_property_offsets_and_limits_hold_on_arbitrary_text(tokenizer, words, title):
    text = " ".join(words)
    chunker = Chunker(tokenizer, max_tokens=64, chunk_tokens=40, overlap_tokens=8)  # small: many boundaries
    document = Document(Provenance(source="p.txt", kind="text", title=title), text)
    chunks = chunker.chunk(document)
    if not text.strip():
        assert chunks == []
        return
    assert_well_formed(chunks, document, tokenizer, limit=62)
    assert_covers_non_space(chunks, text)


def test_characters_the_tokenizer_drops_stay_inside_a_chunk(tokenizer):
    # Found by hypothesis in CI: a control character before an over-long "sentence" was in no chunk,
    # because the long-sentence split started at the first token rather than at the sentence.
    text = "\x1b0 0:0 0:0: 0:0::0:0 0 0 0 0 0 0 0 0:0: 0:0::0:0 \x07" * 4
    small = Chunker(tokenizer, max_tokens=256, chunk_tokens=40, overlap_tokens=8)
    document = Document(Provenance(source="c.txt", kind="text", title="0000000000"), text)
    chunks = small.chunk(document)
    assert len(chunks) > 1
    assert all(c.text == text[c.char_start:c.char_end] for c in chunks)
    assert_covers_non_space(chunks, text)


# -- numbered sections (the commitments of an action plan) ------------------------------------

def _commitment(number: int, topic: str, sentences: int) -> str:
    body = " ".join(f"The {topic} work item {i} is reviewed by the ministry and reported each quarter."
                    for i in range(sentences))
    return f"Commitment {number}\n{body}\nTimescales\nThe {topic} work finishes by the end of 2015."


def test_a_numbered_commitment_starts_a_new_chunk_without_carrying_the_last_one(chunker, tokenizer):
    # A summary plan prints commitments back to back with single line breaks: no blank line, so
    # no paragraph end, and the heading line runs on into the commitment's first sentence.
    text = "\n".join([_commitment(17, "science dialogue", 4), _commitment(18, "draft legislation", 4)])
    document = doc(text, kind="report", page=22)
    chunks = chunker.chunk(document)
    assert_well_formed(chunks, document, tokenizer)
    assert_covers_non_space(chunks, text)
    assert [c.text.split("\n", 1)[0] for c in chunks] == ["Commitment 17", "Commitment 18"]
    assert "science" not in chunks[1].text and "legislation" not in chunks[0].text


def test_a_page_number_before_the_commitment_heading_stays_with_it(chunker):
    # Under a quarter of a chunk before the heading (a page number): it is not cut off alone.
    text = "42\n\nCommitment 18\n\n" + " ".join(f"Sentence {i} about publishing bills in draft." for i in range(5))
    chunks = chunker.chunk(doc(text, kind="report", page=42))
    assert len(chunks) == 1 and chunks[0].text.startswith("42\n\nCommitment 18")


def test_only_capitalised_short_heading_lines_open_a_section(chunker):
    # "section 4 of the Act" wrapped onto a new line mid-sentence, and a long line that merely
    # begins with "Commitment 3", are text, not headings: chunks are cut as before.
    filler = " ".join(f"The tribunal heard case {i} and published its decision online." for i in range(8))
    wrapped = f"{filler} The duty comes from\nsection 4 of the Act on open courts. {filler}"
    long_line = f"{filler}\nCommitment 3 " + "was discussed at length by the panel and " * 4 + f"agreed. {filler}"
    for text in (wrapped, long_line):
        plain = doc(text.replace("\nsection", " section").replace("\nCommitment", " Commitment"))
        assert [(c.char_start, c.char_end) for c in chunker.chunk(doc(text))] == \
            [(c.char_start, c.char_end) for c in chunker.chunk(plain)]


def test_numbered_part_names_the_heading_a_passage_sits_under():
    page = ("42\n\nCommitment 18\n\nThe UK government will publish draft laws. It will ask for comment.\n\n"
            "Commitment 19: Open data\nDepartments will publish data under section 4 of the\nAct.")
    assert numbered_part(page, 0) == "Commitment 18"  # the page number above the heading is skipped
    assert numbered_part(page, page.index("It will ask")) == "Commitment 18"
    assert numbered_part(page, page.index("Commitment 19")) == "Commitment 19"
    assert numbered_part(page, page.index("Departments")) == "Commitment 19"  # "section 4 of the" is no heading
    # a passage that starts in the prose before a heading is not labelled with the next one
    assert numbered_part("The tail of the last commitment. \nCommitment 4\nNew text.", 0) is None
    assert numbered_part("Running header of the plan 2013 to 2015 22\nCompromiso 3\nTexto.", 0) == "Compromiso 3"
    assert numbered_part("No heading on this page at all.", 10) is None


def test_abbreviations_do_not_end_a_sentence():
    """'e.g.', 'No. 7', 'art. 12', 'Sr.', 'U.S.' and 'p. 4' are not sentence ends, in English, Spanish
    and French; a full stop before a capitalised word still is."""
    text = ("Courts publish data, e.g. case backlogs. See Law No. 7 of 2019. Según el art. 12 de la ley, "
            "el Sr. Pérez firmó. The U.S. Department acted. Voir p. 4 du rapport. Done.")
    assert [text[a:b] for a, b, _ in split_sentences(text)] == [
        "Courts publish data, e.g. case backlogs.", "See Law No. 7 of 2019.",
        "Según el art. 12 de la ley, el Sr. Pérez firmó.", "The U.S. Department acted.",
        "Voir p. 4 du rapport.", "Done."]
