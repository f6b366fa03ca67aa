"""``python -m search.eval --gold FILE [--index DIR]``: MRR@10, Success@1/5/10, Coverage@10, misses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from indexer.errors import IndexerError
from indexer.settings import load_settings

from .evaluate import evaluate, load_gold
from .retrieve import Searcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m search.eval",
        description="Score the search on a gold set of questions.",
        epilog="example:\n  python -m search.eval --gold ../shared/eval/dev.jsonl --index real-index",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--gold", type=Path, required=True, help="JSON Lines gold file")
    parser.add_argument("--index", type=Path, help="index folder (default: index)")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config, index_dir=args.index)
        searcher = Searcher(settings.index_dir, settings)
        report = evaluate(load_gold(args.gold), lambda q: [h.to_dict() for h in searcher.search(q, 10)])
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
