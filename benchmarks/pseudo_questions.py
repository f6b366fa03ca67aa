"""Pseudo-questions drawn from an index's own passages, for training the ranker on far more (and more
varied) evidence than the hand-written gold sets hold.

The procedure (``PSEUDO_VERSION``), reproducible from the index and a seed:

  * the index's documents (a PDF page, a guide, a web page, a commitment record) with at least two
    passages are grouped by corpus, language and kind (commitment or not);
  * from each group up to ``per_group`` documents are drawn at random (each group by its own
    generator, seeded by the seed and the group, over its documents in file, page and section order,
    so a group's draw depends on its own documents only); from each, one passage at random, and
    from that passage one sentence of ``MIN_WORDS``-``MAX_WORDS`` words;
  * the sentence is the question; the document's other passages are the answers, and the passage
    the sentence came from is taken out of the candidates: the question's own words are then not
    in the target, so matching it takes what a real question takes (the topic, the document's
    vocabulary, its type), not a copy of the words;
  * this is done ``DRAWS`` times, with seeds ``seed``, ``seed + 1``, ...: one draw is a small sample, and
    rankers trained on single draws differed on the held-out sets by as much as the changes they were
    meant to judge (docs/retrieval.md), so the ranker learns from all the draws together, weighing as one;
  * where Apertium is installed, every other question of an English, Spanish or French document is
    also asked machine-translated (English <-> Spanish, French -> Spanish), so the ranker also
    learns from questions asked in another language than their answer's, as users ask them.

Run alone it prints a sample:

    python benchmarks/pseudo_questions.py --index idx --corpus real=../shared/corpus-real \\
        --corpus justice=../shared/corpus-justice
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.chunking import split_sentences  # noqa: E402
from indexer.store import IndexReader, StoredChunk  # noqa: E402

#: Bump when the procedure changes: ranker.json records the version its weights were trained with.
PSEUDO_VERSION = 3
#: The language a question is translated into, from its document's (Apertium's pairs).
CROSSED = {"en": "es", "es": "en", "fr": "es"}
MIN_WORDS, MAX_WORDS = 8, 30
PER_GROUP = 100
SEED = 0
DRAWS = 8


@dataclass(frozen=True)
class PseudoQuestion:
    q: str
    corpus: str  # the name of the corpus folder that holds its document
    language: str  # its document's
    kind: str  # "commitment" or "other"
    document_id: int  # its answers: this document's passages ...
    excluded: int  # ... but the passage the question was taken from
    asked_in: str = ""  # the language it is asked in, when machine-translated from ``language``


def recipe(per_group: int = PER_GROUP, seed: int = SEED, draws: int = DRAWS) -> dict:
    """What ranker.json records of the pseudo-questions its weights were trained with."""
    return {"version": PSEUDO_VERSION, "per_group": per_group, "seed": seed, "draws": draws,
            "words": [MIN_WORDS, MAX_WORDS], "crossed": CROSSED}


def corpus_of(source: str, corpora: Mapping[str, Path]) -> str | None:
    """The name of the corpus folder holding ``source`` (a path relative to the indexed corpus)."""
    return next((name for name, folder in corpora.items() if (folder / source).exists()), None)


def pseudo_question_draws(reader: IndexReader, corpora: Mapping[str, Path], per_group: int = PER_GROUP,
                          seed: int = SEED, draws: int = DRAWS, translator=None) -> list[PseudoQuestion]:
    """``draws`` draws of pseudo-questions (seeds ``seed`` to ``seed + draws - 1``), one after another;
    the index is read and its documents grouped once for all of them."""
    grouped = _grouped(reader, corpora)
    return [question for at in range(draws) for question in _draw(grouped, per_group, seed + at, translator)]


def pseudo_questions(reader: IndexReader, corpora: Mapping[str, Path], per_group: int = PER_GROUP,
                     seed: int = SEED, translator=None) -> list[PseudoQuestion]:
    """One draw of pseudo-questions of the index's documents held in ``corpora`` (name -> folder);
    ``translator``: a search.translate.Translator for the crossed ones, or None for none."""
    return _draw(_grouped(reader, corpora), per_group, seed, translator)


@dataclass(frozen=True)
class _Grouped:
    """The index's passages, its documents' passage ids, and the documents worth asking about by
    (corpus, language, kind), each group in file, page and section order."""

    chunks: Mapping[int, StoredChunk]
    documents: Mapping[int, list[int]]
    groups: Mapping[tuple[str, str, str], list[int]]


def _grouped(reader: IndexReader, corpora: Mapping[str, Path]) -> _Grouped:
    chunks = reader.chunks_by_id(range(reader.manifest.chunks))
    documents: dict[int, list[int]] = {}
    for cid in sorted(chunks):
        documents.setdefault(chunks[cid].document_id, []).append(cid)
    groups: dict[tuple[str, str, str], list[int]] = {}
    where: dict[str, str | None] = {}
    for document_id, members in documents.items():
        if len(members) < 2:
            continue
        first = chunks[members[0]]
        source = first.provenance.source
        if source not in where:
            where[source] = corpus_of(source, corpora)
        if where[source] is None:
            continue
        kind = "commitment" if first.provenance.kind == "commitment" else "other"
        groups.setdefault((where[source], first.language, kind), []).append(document_id)
    # In the order of where documents are (file, page, section) rather than of their ids: a build
    # that numbers documents in another order then draws the same ones.
    for members in groups.values():
        members.sort(key=lambda d: _place_key(chunks[documents[d][0]].provenance))
    return _Grouped(chunks, documents, groups)


def _draw(grouped: _Grouped, per_group: int, seed: int, translator) -> list[PseudoQuestion]:
    chunks, documents, groups = grouped.chunks, grouped.documents, grouped.groups
    out = []
    for key in sorted(groups):
        corpus, language, kind = key
        # Each group draws with its own generator: a change to one group's files then leaves every
        # other group's draw as it was (with one generator for all, adding a tracker's context
        # redrew the other corpus's questions).
        rng = random.Random(f"{seed}/{corpus}/{language}/{kind}")
        members = groups[key]
        for document_id in rng.sample(members, min(per_group, len(members))):
            excluded = rng.choice(documents[document_id])
            text = chunks[excluded].text
            sentences = [" ".join(text[s:e].split()) for s, e, _ in split_sentences(text)]
            sentences = [s for s in sentences if MIN_WORDS <= len(s.split()) <= MAX_WORDS]
            if not sentences:
                continue
            question = PseudoQuestion(rng.choice(sentences), corpus, language, kind, document_id, excluded)
            out.append(question)
            if rng.random() < 0.5 and language in CROSSED and translator is not None:
                target = CROSSED[language]
                try:
                    text = translator.translate(question.q, language, target)
                except Exception:  # noqa: BLE001 - a pair not installed: that question stays monolingual
                    continue
                out.append(PseudoQuestion(text, corpus, language, kind, document_id, excluded, target))
    return out


def _place_key(provenance) -> tuple:
    """Where a document is: its file, page, section, commitment and language."""
    return (provenance.source, provenance.page or 0, provenance.section or "", provenance.commitment_id or "",
            provenance.language or "")


def open_translator():
    """Apertium's Translator, or None (with a message) when it is not installed."""
    from search.translate import Translator

    if not Translator.available():
        print("Apertium is not installed: the pseudo-questions stay in their documents' languages "
              "(sudo apt-get install apertium apertium-eng-spa apertium-fr-es)", file=sys.stderr)
        return None
    return Translator()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--per-group", type=int, default=PER_GROUP)
    parser.add_argument("--show", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="CI check: the starter corpus's index, a few seconds")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.corpus, args.per_group = data.index, [f"starter={data.corpus}"], 5
    elif not args.index or not args.corpus:
        parser.error("give --index and at least one --corpus NAME=DIR")
    corpora = {name: Path(folder) for name, folder in (c.split("=", 1) for c in args.corpus)}
    reader = IndexReader(args.index)
    translator = open_translator()
    try:
        questions = pseudo_questions(reader, corpora, args.per_group, translator=translator)
    finally:
        reader.close()
        if translator is not None:
            translator.close()
    counts: dict[tuple, int] = {}
    for q in questions:
        key = (q.corpus, q.language + (f'->{q.asked_in}' if q.asked_in else ''), q.kind)
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(questions)} pseudo-questions ({recipe(args.per_group, draws=1)})")
    for key, n in sorted(counts.items()):
        print(f"  {' / '.join(key)}: {n}")
    for q in questions[:: max(1, len(questions) // max(1, args.show))][: args.show]:
        print(asdict(q))


if __name__ == "__main__":
    main()
