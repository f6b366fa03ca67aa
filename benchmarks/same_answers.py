"""Do two versions of the search give the same answers? Record every hit of some gold sets, then compare.

A refactor that should change nothing is checked by recording the hits of the code before it and
comparing the code after it against that record, on the same index folder:

    python benchmarks/same_answers.py record --index real-index --out before.json \
        --gold ../shared/eval/dev.jsonl benchmarks/questions/corpus-real-extra.jsonl
    # ... change the code ...
    python benchmarks/same_answers.py compare --index real-index --against before.json \
        --gold ../shared/eval/dev.jsonl benchmarks/questions/corpus-real-extra.jsonl

Each question is asked as it is (k = 10 and k = 3) and with a few filters (reports only,
commitments only, Spanish only, years 2015-2020), so the filtered paths are compared too. A hit is
compared whole: rank, text, offsets, citation, "also in", best sentence, every field of its JSON,
and its score to six decimals. Exit status 0 when every answer is the same, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from indexer.settings import load_settings  # noqa: E402
from search import Searcher  # noqa: E402
from search.evaluate import load_gold  # noqa: E402
from search.filters import Filters  # noqa: E402

#: The filtered variants every question is also asked with (name -> filters).
VARIANTS = {
    "k10": (10, Filters()),
    "k3": (3, Filters()),
    "reports": (5, Filters(kind=("report",))),
    "commitments": (5, Filters(kind=("commitment",))),
    "spanish": (5, Filters(language=("es",))),
    "2015-2020": (5, Filters(year_from=2015, year_to=2020)),
}


def answers(index: Path, gold_files: list[Path]) -> dict[str, list[dict]]:
    """(gold file stem / question id / variant) -> the hits' JSON, in rank order."""
    settings = load_settings(None, index_dir=index)
    searcher = Searcher(index, settings)
    out: dict[str, list[dict]] = {}
    try:
        for gold in gold_files:
            for question in load_gold(gold):
                for name, (k, filters) in VARIANTS.items():
                    hits = searcher.search(question.q, k, filters)
                    out[f"{gold.stem}/{question.id}/{name}"] = [h.to_dict() for h in hits]
    finally:
        searcher.close()
    return out


def differences(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    """One line per answer that differs (a missing question counts as different)."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None or new is None:
            lines.append(f"{key}: only in the {'record' if new is None else 'new run'}")
            continue
        if len(old) != len(new):
            lines.append(f"{key}: {len(old)} hits before, {len(new)} after")
            continue
        for a, b in zip(old, new):
            fields = sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
            if fields:
                lines.append(f"{key}: rank {a.get('rank')} differs in {', '.join(fields)} "
                             f"({a.get('citation')!r} -> {b.get('citation')!r})")
                break
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("record", "compare"), nargs="?")
    parser.add_argument("--index", type=Path, help="the index folder both runs read (required)")
    parser.add_argument("--gold", type=Path, nargs="+", help="gold sets whose questions are asked (required)")
    parser.add_argument("--out", type=Path, help="record: where to write the answers (JSON)")
    parser.add_argument("--against", type=Path, help="compare: the recorded answers")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: record the starter corpus's answers, then compare the same code with them")
    args = parser.parse_args(argv)
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        record = ["record", "--index", str(data.index), "--gold", str(data.gold), "--out", str(data.work / "a.json")]
        if main(record):
            return 1
        return main(["compare", "--index", str(data.index), "--gold", str(data.gold),
                     "--against", str(data.work / "a.json")])
    if not (args.action and args.index and args.gold):
        parser.error("give record or compare, --index and --gold")
    now = answers(args.index, args.gold)
    if args.action == "record":
        if not args.out:
            parser.error("record needs --out")
        args.out.write_text(json.dumps(now, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"recorded {len(now)} answers to {args.out}")
        return 0
    if not args.against:
        parser.error("compare needs --against")
    before = json.loads(args.against.read_text(encoding="utf-8"))
    lines = differences(before, now)
    for line in lines[:50]:
        print(line)
    print(f"{len(before) - len(lines)} of {len(before)} answers identical; {len(lines)} differ")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
