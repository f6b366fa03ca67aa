"""Score a retriever against a gold set (the format of ../shared/eval/dev.jsonl).

Each line: ``{"id", "q", "gold": [key, ...], "all": optional bool}``. A result is
relevant when it matches any gold key: ``{"id": "MK0164"}`` (the commitment id is in the
result's metadata or text), ``{"file", "pages"}`` (source path contains the file and the
1-based page is listed), ``{"file", "snippet"}`` (source contains the file and the text
contains the snippet, ignoring case and spacing), or ``{"file"}`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import IndexerError

__all__ = ["GoldQuestion", "EvalReport", "load_gold", "matches", "evaluate"]


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    q: str
    gold: tuple[dict, ...]
    all: bool = False


@dataclass
class EvalReport:
    questions: int = 0
    mrr10: float = 0.0
    success: dict[int, float] = field(default_factory=dict)
    coverage10: float = 0.0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (id, question, top-3 citations)
    first_relevant_rank: dict[str, int | None] = field(default_factory=dict)

    def table(self) -> str:
        rows = [
            f"questions       {self.questions}",
            f"MRR@10          {self.mrr10:.3f}",
            *(f"Success@{k:<7} {v:.3f}" for k, v in sorted(self.success.items())),
            f"Coverage@10     {self.coverage10:.3f}",
        ]
        if self.misses:
            rows.append(f"\nnot in the top 10 ({len(self.misses)}):")
            for qid, q, top in self.misses:
                rows.append(f"  {qid}: {q}")
                rows.extend(f"      got: {c}" for c in top)
        return "\n".join(rows)


def load_gold(path: Path | str) -> list[GoldQuestion]:
    out = []
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise IndexerError(f"Cannot read the gold file {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out.append(GoldQuestion(str(item.get("id", number)), item["q"], tuple(item["gold"]), bool(item.get("all"))))
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexerError(f"{path}, line {number}: not a gold question ({exc}).") from None
    return out


def _squash(text: str) -> str:
    return "".join(str(text).lower().split())


def matches(result: dict, key: dict) -> bool:
    """Does one result (a Hit.to_dict()-shaped dict) satisfy one gold key?"""
    if "id" in key:
        wanted = str(key["id"]).upper()
        return (result.get("commitment_id") or "").upper() == wanted or wanted in (result.get("text") or "").upper()
    if str(key.get("file", "")) not in (result.get("source") or ""):
        return False
    if "pages" in key:
        return any(page in key["pages"] for page in result.get("pages") or [result.get("page")])
    if "snippet" in key:
        return _squash(key["snippet"]) in _squash(result.get("text") or "")
    return True


def evaluate(questions: Sequence[GoldQuestion], ask: Callable[[str], list[dict]],
             ks: Sequence[int] = (1, 3, 5, 10)) -> EvalReport:
    """Run every question through ``ask`` (question -> ranked result dicts) and score it."""
    report = EvalReport(questions=len(questions))
    reciprocal, coverage = 0.0, 0.0
    hits_at = {k: 0 for k in ks}
    for question in questions:
        results = ask(question.q)[:10]
        first = next((i for i, r in enumerate(results, 1) if any(matches(r, g) for g in question.gold)), None)
        report.first_relevant_rank[question.id] = first
        if first:
            reciprocal += 1.0 / first
            for k in ks:
                hits_at[k] += first <= k
        else:
            report.misses.append((question.id, question.q, [r.get("citation") or r.get("source") for r in results[:3]]))
        found = sum(1 for g in question.gold if any(matches(r, g) for r in results))
        coverage += found / len(question.gold) if question.all else float(found > 0)
    n = max(len(questions), 1)
    report.mrr10 = reciprocal / n
    report.success = {k: v / n for k, v in hits_at.items()}
    report.coverage10 = coverage / n
    return report
