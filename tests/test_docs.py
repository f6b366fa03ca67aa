"""The documentation says what the code does: every setting is on docs/settings.md as the code
defines it, and the README stays a front door (short, with the two commands)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_settings_page_is_what_the_code_defines():
    printed = subprocess.run([sys.executable, str(REPO / "scripts" / "settings_doc.py")], capture_output=True,
                             text=True, check=True).stdout
    assert (REPO / "docs" / "settings.md").read_text(encoding="utf-8") == printed, (
        "docs/settings.md is out of date: run python scripts/settings_doc.py > docs/settings.md")


def test_readme_is_a_front_door():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 260
    assert "bash scripts/start.sh" in readme and "bash scripts/test.sh" in readme
    for page in ("docs/architecture.md", "docs/settings.md", "docs/api.md", "docs/multilingual.md"):
        assert page in readme and (REPO / page).is_file(), page
