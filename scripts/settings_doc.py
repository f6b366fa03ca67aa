"""Print docs/settings.md from the Settings dataclass, so the page never drifts from the code:

    python scripts/settings_doc.py > docs/settings.md
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.settings import Settings  # noqa: E402


def main() -> None:
    print("# Settings\n")
    print("Every setting, its default and what it does. Settings come from these defaults, then")
    print("`justice-search.toml` in the working folder (or `--config FILE`), then command-line flags;")
    print("an unknown key is an error. This page is printed by `python scripts/settings_doc.py`.\n")
    print("| setting | default | what it does |")
    print("|---|---|---|")
    for f in fields(Settings):
        default = f.default
        shown = f'"{default}"' if isinstance(default, str) else str(default)
        print(f"| `{f.name}` | `{shown}` | {f.metadata['help'].replace('|', '/')} |")


if __name__ == "__main__":
    main()
