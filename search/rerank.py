"""The third stage: reorder the best fused candidates with a linear model over a few signals of each passage.

Reciprocal rank fusion sees only ranks. The model also weighs how close the passage's vector is
to the question's, how strong its keyword match is, how much of the question (rare words counting
more) its text and its document's title hold, how closely its words match the question's one by one
(each word piece against the passage's nearest, by the model's word-piece table: "judiciary" is near
"courts" where the keyword side sees two unrelated words), and whether the question names its country or year.
A passage's type and form count only through what the question asks for: a commitment record
when the question asks for commitments or countries or names a member or a year, a near-empty
passage or one made of fragments (a list of names, a signature block, a table of contents, a
page's notes) unless the question asks for people or contents. No type has a fixed prior: a prior
learned from the training questions' mix would encode that mix, not the question in hand.

Its weights are data, ``search/ranker.json``, written by ``benchmarks/train_ranker.py`` (pairwise
logistic regression on the team's gold questions and on pseudo-questions drawn from the corpora,
``benchmarks/pseudo_questions.py``), with the evidence they were fitted on. The file records the
settings the signals were computed with; weights fitted under other settings are refused, not
silently used.
"""

from __future__ import annotations

import heapq
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.analysis import ANALYZER_VERSION, keyword_terms
from indexer.chunking import ENDS_IN_PAGE_NUMBER
from indexer.errors import SettingsError
from indexer.records import NOTES_SECTION
from indexer.settings import Settings
from indexer.store import IndexReader, StoredChunk
from indexer.wordpieces import WordPieces

from .candidates import Bridges, Candidates, bridge_text, bridge_vector, cosines
from .query import Query

__all__ = ["Signals", "FEATURES", "RANKER_FILE", "RankerModel", "load_ranker", "assumed_settings", "signals_of",
           "model_score", "rerank", "reorder_head", "leaders_of", "with_leaders"]

RANKER_FILE = Path(__file__).with_name("ranker.json")
#: The settings the signals depend on; weights are refused under other values.
# Turning question translation off (or Apertium missing) leaves every signal as fitted, the
# `translated` one at 0, so only the weight of the translations' rankings is assumed.
ASSUMED = ("dense_weight", "keyword_weight", "rrf_k", "metadata_weight", "rerank_depth", "rerank_leaders",
           "translation_weight", "bridge_language", "across_weight")
RETRAIN = ("python benchmarks/train_ranker.py --index INDEX --corpus real=../shared/corpus-real "
           "--corpus justice=../shared/corpus-justice "
           "--train benchmarks/questions/corpus-real-extra.jsonl@real --train benchmarks/questions/corpus-real-third.jsonl@real "
           "--train ../shared/eval/dev-justice.jsonl@justice --heldout ../shared/eval/dev.jsonl@real "
           "--heldout benchmarks/questions/corpus-justice-blind.jsonl@justice --write "
           "(INDEX: one index of both corpora)")


@dataclass(frozen=True)
class Signals:
    """What the model knows about one candidate passage for one question."""

    fusion: float  # the fused score, in units of a first place in one ranking (1 / (rrf_k + 1))
    cosine: float  # cosine similarity of the passage's vector and the question's
    keyword: float  # BM25 score over the question's best BM25 score (0 when no question word is in it)
    named: float  # how many of the country and year the question names the passage's document has (0-2)
    question_words: float  # share of the question's words (idf-weighted) the passage's keyword text holds
    title_words: float  # share of the question's words (idf-weighted) its document's title holds
    # 1 when the passage is measured against a machine translation of the question (it is in another
    # language than the one asked in), else 0: the shares above are then the translation's
    translated: float = 0.0
    # 1 for a commitment record when the question asks for commitments or countries, else 0
    commitment_asked: float = 0.0
    # 1 for a commitment record when the question names a member or a year, else 0
    commitment_placed: float = 0.0
    # how near-empty the passage is (1 - its words / THIN_WORDS, at least 0), unless the question asks
    # for people or contents
    thin: float = 0.0
    # the share of the passage's lines that are fragments (a few words, or ending in a page number),
    # 1 for a page's notes, unless the question asks for people or contents
    fragments: float = 0.0
    # 1 when ``cosine`` is measured against the passage's machine rendering in the question's language
    # (a passage in another language, indexer/bridge.py), else 0
    bridge: float = 0.0
    # how closely the passage's words match the question's (in the language it is measured in, and
    # by its rendering when ``bridge`` is 1): the mean over the question's word pieces of the cosine
    # of the passage's closest word piece, by the model's word-piece table (indexer/wordpieces.py);
    # 0 in an index built without the table
    word_match: float = 0.0

    def vector(self) -> tuple[float, ...]:
        # Not dataclasses.astuple: it deep-copies every field, and this runs for each candidate.
        return tuple(getattr(self, name) for name in FEATURES)


FEATURES = tuple(f.name for f in fields(Signals))


def assumed_settings(settings: Settings) -> dict[str, float | int]:
    """The settings (and analyser version) the ranker's signals depend on, as ranker.json records them."""
    return {**{name: getattr(settings, name) for name in ASSUMED}, "analyzer": ANALYZER_VERSION}


@dataclass(frozen=True)
class RankerModel:
    """ranker.json: the weights and what they were fitted on."""

    weights: dict[str, float]
    settings: dict[str, float | int]  # assumed_settings() at training time
    training: dict[str, str]  # question file -> sha256 of its content
    index_chunks: int  # passages in the index the training questions were asked of
    # how they were fitted: L2 penalty, pseudo-question weight, the pseudo-questions' recipe and count
    evidence: dict = field(default_factory=dict)

    def check(self, settings: Settings, source: Path = RANKER_FILE) -> None:
        """SettingsError when ``settings`` differ from those the weights were fitted under."""
        current = assumed_settings(settings)
        # Over every setting the signals depend on: weights fitted before a setting existed are refused too.
        differ = [f"{name} = {value} (fitted with {self.settings.get(name, 'none recorded')})"
                  for name, value in current.items() if self.settings.get(name) != value]
        if differ:
            raise SettingsError(
                f"The learned ranker's weights ({source}) do not fit these settings: {'; '.join(differ)}. "
                f"Retrain them with `{RETRAIN}`, or turn the ranker off with rerank_depth = 0.")

    def write(self, path: Path = RANKER_FILE) -> None:
        data = {"weights": self.weights, "settings": self.settings, "training": self.training,
                "index_chunks": self.index_chunks, "evidence": self.evidence}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def load_ranker(path: Path = RANKER_FILE) -> RankerModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = RankerModel(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise SettingsError(f"The learned ranker's weights {path} are unreadable ({exc}): retrain them with "
                            f"`{RETRAIN}`, or turn the ranker off with rerank_depth = 0.") from None
    if set(model.weights) != set(FEATURES):
        raise SettingsError(f"The learned ranker's weights {path} name {sorted(model.weights)}, not the signals "
                            f"{list(FEATURES)}: retrain them with `{RETRAIN}`.")
    return model


@lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    """A title's keyword terms, English stems (as the ranker was trained); a report's pages and a
    guide's sections share one title, so each is analysed once."""
    return frozenset(keyword_terms(title, "en"))


def signals_of(reader: IndexReader, query: Query, vector: np.ndarray, candidates: list[tuple[int, float]],
               found: Candidates, named: Mapping[int, int], chunks: dict[int, StoredChunk],
               settings: Settings, vectors: Mapping[str, np.ndarray] | None = None,
               bridges: Bridges | None = None, word_pieces: WordPieces | None = None) -> list[Signals]:
    """The ranker's signals for each of the fused ``candidates`` (``chunks``: passages already
    read; those read here are added to it; ``named``: chunk id -> country/year matches).

    A passage is measured against the question in its own language when the question was
    translated into it (``query.versions``; ``vectors``: their vectors), else against the question
    as asked: a Spanish passage holds the Spanish version's words, not the English question's."""
    ids = [cid for cid, _ in candidates]
    chunks.update(reader.chunks_by_id(c for c in ids if c not in chunks))
    versions = {v.language: v for v in query.versions}
    vectors = vectors or {}

    def version_of(cid: int) -> str | None:
        language = found.matched.get(cid) or (chunks[cid].language if cid in chunks else None)
        return language if language in versions else None

    groups: dict[str | None, list[int]] = {}
    for cid in ids:
        groups.setdefault(version_of(cid), []).append(cid)
    rankings = {r.language: r for r in found.translated}
    cosine: dict[int, float] = {}
    keyword: dict[int, float] = {}
    shares: dict[int, tuple[float, float]] = {}
    # The one keyword ranking also holds a passage's match through its rendering's words (with_renderings),
    # which a translation's own ranking does not see: a passage keeps the better of the two.
    merged_top = max(found.keyword.values(), default=0.0) or 1.0
    for language, members in groups.items():
        ranking = rankings.get(language) if language else None
        dense, scores = (ranking.dense, ranking.keyword) if ranking else (found.dense, found.keyword)
        top = max(scores.values(), default=0.0) or 1.0
        cosine.update({c: dense[c] for c in members if c in dense})
        cosine.update(cosines(reader, vectors.get(language, vector) if language else vector,
                              [c for c in members if c not in dense]))
        keyword.update({c: max(scores.get(c, 0.0) / top, found.keyword.get(c, 0.0) / merged_top)
                        for c in members})
        shares.update(_word_shares(reader, versions[language].terms if language else query.terms, members, chunks))
    # A passage with a rendering in the question's language is measured by the rendering's vector.
    bridge: dict[int, float] = {}
    wanted = bridge_vector(query, vector, vectors, bridges) if bridges is not None else None
    if wanted is not None:
        bridge = {c: found.bridged[c] for c in ids if c in found.bridged}
        bridge.update(bridges.cosines(wanted, [c for c in ids if c not in bridge]))
        cosine.update(bridge)
    word_match: dict[int, float] = {}
    if word_pieces is not None:
        # A passage whose cosine is its rendering's is matched word for word in the rendering too,
        # against the question in the rendering's language: the language the model's pieces mean most in.
        in_rendering = bridge_text(query, bridges) if bridge else None
        rendered = reader.renderings(bridges.language, bridge) if in_rendering else {}
        held = reader.chunk_pieces(c for c in ids if c not in rendered)  # the build records every passage's
        for language, members in groups.items():
            present = [c for c in members if c in held]
            asked = versions[language].text if language else query.text
            word_match.update(zip(present, word_pieces.match(asked, [held[c] for c in present])))
        if rendered:
            word_match.update(zip(rendered, word_pieces.match(in_rendering, word_pieces.pieces(list(rendered.values())))))
    unit = settings.rrf_k + 1
    asks_commitments = "commitments" in query.asks_for
    placed = query.names_place_or_time
    form_matters = not query.asks_for & {"people", "contents"}
    signals = []
    for cid, fused_score in candidates:
        chunk = chunks.get(cid)
        p = chunk.provenance if chunk is not None else None
        question_words, title_words = shares.get(cid, (0.0, 0.0))
        language = version_of(cid)
        record = p is not None and p.kind == "commitment"
        thin, fragments = passage_form(chunk) if form_matters and chunk is not None else (0.0, 0.0)
        signals.append(Signals(
            fusion=fused_score * unit,
            cosine=cosine.get(cid, 0.0),
            keyword=keyword.get(cid, 0.0),
            named=float(named.get(cid, 0)) if p is not None else 0.0,
            question_words=question_words,
            title_words=title_words,
            translated=float(language is not None),
            commitment_asked=float(record and asks_commitments),
            commitment_placed=float(record and placed),
            thin=thin,
            fragments=fragments,
            bridge=float(cid in bridge),
            word_match=word_match.get(cid, 0.0),
        ))
    return signals


#: A passage with fewer words than this is partly "thin" (a meeting's title alone, a caption).
THIN_WORDS = 30
_WORD = re.compile(r"[^\W\d_]{2,}")



def passage_form(chunk: StoredChunk) -> tuple[float, float]:
    """(thin, fragments) of a passage: how near-empty it is, and the share of its lines that are
    fragments: three words or fewer (names, a signature block, headers) or ending in a page number
    (a table of contents). A page's notes count as fragments whole."""
    return _form(chunk.text, chunk.provenance.section == NOTES_SECTION)


# The same passages come back as candidates question after question; their form is a property of
# the text alone, so it is worked out once for each recent one.
@lru_cache(maxsize=2048)
def _form(text: str, notes: bool) -> tuple[float, float]:
    lines = [line for line in text.split("\n") if line.strip()]
    counts = [len(_WORD.findall(line)) for line in lines]  # no word runs across a line break
    thin = max(0.0, 1.0 - sum(counts) / THIN_WORDS)
    if notes:
        return thin, 1.0
    if len(lines) < 3:
        return thin, 0.0
    short = sum(1 for line, count in zip(lines, counts) if count <= 3 or ENDS_IN_PAGE_NUMBER.search(line))
    return thin, short / len(lines)


def _word_shares(reader: IndexReader, terms: Sequence[str], ids: list[int], chunks: Mapping[int, StoredChunk],
                 ) -> dict[int, tuple[float, float]]:
    """chunk id -> (share of the question's words its keyword text holds, share its title holds).

    How much of the question a text holds, rarer words counting more: a smoothed idf, so a word no
    passage holds weighs most and a common one still a little. The keyword text is the passage's
    heading, section, id, country and text."""
    words = set(terms)
    held = reader.held_terms(sorted(words), ids)
    idf = {w: math.log(1 + held.passages / (1 + held.frequency.get(w, 0))) for w in words}
    total = sum(idf.values()) or 1.0

    def share(found_terms) -> float:
        return sum(weight for w, weight in idf.items() if w in found_terms) / total

    return {cid: (share(held.held.get(cid, ())), share(_title_terms(chunks[cid].provenance.title)) if cid in chunks
                  else 0.0) for cid in ids}


def model_score(signals: Signals, weights: Mapping[str, float]) -> float:
    return sum(weights[name] * value for name, value in zip(FEATURES, signals.vector()))


def rerank(candidates: Sequence[tuple[int, Signals]], weights: Mapping[str, float]) -> list[tuple[int, float]]:
    """(chunk id, model score) of ``candidates``, best first; ties keep the given order."""
    scored = [(chunk_id, model_score(signals, weights), at) for at, (chunk_id, signals) in enumerate(candidates)]
    scored.sort(key=lambda item: (-item[1], item[2]))
    return [(chunk_id, score) for chunk_id, score, _ in scored]


def leaders_of(rankings: Sequence[Mapping[int, float]], leaders: int) -> list[int]:
    """The best ``leaders`` passages of each of ``rankings``, each once, ranking by ranking."""
    return list(dict.fromkeys(cid for ranking in rankings for cid in heapq.nlargest(leaders, ranking, key=ranking.get)))


def with_leaders(fused: list[tuple[int, float]], depth: int, leaders: Sequence[int],
                 ) -> tuple[list[tuple[int, float]], int]:
    """(``fused`` with those of ``leaders`` (leaders_of: each ranking's best) that lie below its first
    ``depth`` moved up to just below them, the head's new depth). Fusion favours passages that several
    rankings hold: one that a single ranking puts first (a Spanish page an English question's Spanish
    translation matches best by its words, and the model, reading it through a rough rendering, does not)
    can land a hundred places down, where the ranker would never see it."""
    head = {cid for cid, _ in fused[:depth]}
    joined = [cid for cid in leaders if cid not in head]
    if not joined:
        return fused, depth
    scores, moved = dict(fused), set(joined)
    rest = [(cid, score) for cid, score in fused[depth:] if cid not in moved]
    return fused[:depth] + [(cid, scores[cid]) for cid in joined] + rest, depth + len(joined)


def reorder_head(fused: list[tuple[int, float]], depth: int, exact: Sequence[int], score_signals,
                 weights: Mapping[str, float]) -> list[tuple[int, float]]:
    """``fused`` with its first ``depth`` candidates in the model's order (and score); passages of a
    commitment the question names by id stay first, whatever the weights, and the rest follow below,
    in their fused order. ``score_signals(candidates)``: the Signals of each (candidate, fused score)."""
    exact = set(exact)
    head, tail = fused[:depth], fused[depth:]
    named = [(cid, score) for cid, score in head if cid in exact]
    others = [(cid, score) for cid, score in head if cid not in exact]
    if not others:
        return fused
    ordered = rerank(list(zip((cid for cid, _ in others), score_signals(others))), weights)
    top, floor = ordered[0][1], ordered[-1][1]
    # Scores stay in descending order: named ids above the ranked ones, the rest below them.
    above = [(cid, top + len(named) - at) for at, (cid, _) in enumerate(named)]
    below = [(cid, floor - (tail[0][1] - score) - 1e-9) for cid, score in tail]
    return above + ordered + below
