"""``python -m indexer``: build or check the index. Parses flags, calls the library, prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import build_index
from .errors import IndexerError
from .settings import Settings, load_settings
from .store import IndexReader

EXAMPLES = """examples:
  python -m indexer build                              index ./corpus into ./index
  python -m indexer build --corpus ../shared/corpus-real --index real-index
  python -m indexer build --model /models/my-sbert      use another sentence-transformers model
  python -m indexer check --index real-index           verify an index and say how to repair it

exit status: 0 success; 1 some files could not be read (the rest were indexed; with
--strict nothing is written); 2 the build or check itself failed.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m indexer",
        description="Index justice-policy documents (PDF, Markdown, HTML, text, OGP commitments CSV) for search.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="index new and changed files; drop deleted ones",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check = sub.add_parser("check", help="verify an index folder")
    for p in (build, check):
        p.add_argument("--index", type=Path, help="index folder (default: index)")
        p.add_argument("--config", type=Path, help="TOML settings file (default: ./justice-search.toml if present)")
    build.add_argument("--corpus", type=Path, help="folder of documents (default: corpus)")
    build.add_argument("--model", help="sentence-transformers model name or path")
    build.add_argument("--batch-size", type=int, help="passages per encoder batch")
    build.add_argument("--strict", action="store_true", help="any unreadable file fails the build")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(
            args.config,
            index_dir=args.index,
            corpus_dir=getattr(args, "corpus", None),
            model=getattr(args, "model", None),
            batch_size=getattr(args, "batch_size", None),
        )
        if args.command == "check":
            return _check(settings)
        report = build_index(settings, progress=not args.quiet, strict=args.strict)
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if report.failed:
        print(f"\n{len(report.failed)} file(s) could not be read; everything else was indexed. "
              "Fix or remove them and run the build again.")
        return 1
    print(f"\nReady. Ask a question: python -m search \"your question\" --index {settings.index_dir}")
    return 0


def _check(settings: Settings) -> int:
    reader = IndexReader(settings.index_dir)
    m = reader.manifest
    failures = reader.failures()
    print(f"Index {settings.index_dir} is consistent: generation {m.generation}, {m.files} files, "
          f"{m.documents} documents, {m.chunks} chunks (FAISS and SQLite agree), model {m.model} ({m.dimension} d), "
          f"built {m.built_at}.")
    for source, (_, reason) in sorted(failures.items()):
        print(f"  not indexed: {source}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
