"""The second stage: one ranking from the retrievers' by reciprocal rank fusion, commitments the
question names by id first, and a bonus for passages whose country or year the question names."""

from __future__ import annotations

from collections.abc import Mapping

from indexer.settings import Settings

from .candidates import Candidates

__all__ = ["fuse", "named_bonus"]


def fuse(found: Candidates, settings: Settings) -> list[tuple[int, float]]:
    """(chunk id, fused score), best first: each ranking adds weight / (rrf_k + rank) to its
    passages; chunks of a commitment named by id come first, in the order named."""
    scores: dict[int, float] = {}
    k = settings.rrf_k
    rankings = [(settings.dense_weight, found.dense), (settings.keyword_weight, found.keyword)]
    # A translation's dense ranking counts less than the question's own: the packaged model is
    # English-only, so most of these vectors are of text it reads poorly. Its keyword ranking is
    # already in found.keyword, each passage by the version in its language (with_versions).
    share = settings.translation_weight
    for version in found.translated:
        rankings.append((share * settings.dense_weight, version.dense))
    # A question asked in another language than the model's is measured in the model's language too,
    # for the passages in other languages than its own (candidates.with_bridges).
    rankings.append((settings.across_weight * settings.dense_weight, found.across))
    for weight, ranking in rankings:
        for rank, cid in enumerate(sorted(ranking, key=ranking.get, reverse=True)):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank + 1)
    for rank, cid in enumerate(found.exact):
        scores[cid] = scores.get(cid, 0.0) + 2.0 + 1.0 / (rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def named_bonus(fused: list[tuple[int, float]], named: Mapping[int, int], settings: Settings,
                ) -> list[tuple[int, float]]:
    """Favour passages whose country or year the question names ("... in Chile 2018"); ``named``:
    chunk id -> how many of the two its document has.

    The bonus is a fraction of a first-place fusion score per matching field, so it reorders close
    candidates without letting an off-topic passage jump the queue."""
    if not settings.metadata_weight or not any(named.values()):
        return fused
    unit = settings.metadata_weight / (settings.rrf_k + 1)
    return sorted(((cid, score + unit * named.get(cid, 0)) for cid, score in fused),
                  key=lambda item: (-item[1], item[0]))
