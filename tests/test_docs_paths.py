"""The docs name files that exist: every path in backticks in README.md,
bench/README.md and docs/*.md, and every path that starts a line of a code
block there (README's map of the tree), is a file or folder of the repository.

A path is written from the repository's root (`loket/files/api.py`,
`templates/emails/`) or, for the product's code, from `loket/`
(`files/lookups.py`). Not checked: `docs/decisions/` and `docs/performance.md`,
which record what the code was on their date, and paths with a placeholder
(`<app>/views.py`) or a wildcard.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "bench" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
RECORDS = {ROOT / "docs" / "performance.md"}
FROM_ROOT = {"bench", "config", "docs", "locale", "loket", "scripts", "static"}
FROM_ROOT |= {"templates", "tests"}
APPS = {path.name for path in (ROOT / "loket").iterdir() if path.is_dir()}
_A_PATH = r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]*)+"
# One path and nothing else between the backticks.
IN_BACKTICKS = re.compile(f"`({_A_PATH})`")
# A path at the start of a line, in a code block.
LEADING = re.compile(f"^({_A_PATH})(?:\\s|$)")


def _in_code_blocks(text: str) -> list[str]:
    found = []
    for number, block in enumerate(text.split("```")):
        if number % 2:  # inside a fence
            for line in block.splitlines():
                match = LEADING.match(line)
                if match:
                    found.append(match.group(1))
    return found


def _paths(doc: Path) -> list[str]:
    text = doc.read_text()
    named = []
    for found in [*IN_BACKTICKS.findall(text), *_in_code_blocks(text)]:
        first = found.split("/")[0]
        if first in FROM_ROOT:
            named.append(found)
        elif first in APPS:
            named.append(f"loket/{found}")
    return named


@pytest.mark.parametrize(
    "doc", [doc for doc in DOCS if doc not in RECORDS], ids=lambda doc: doc.name
)
def test_every_path_the_doc_names_exists(doc: Path) -> None:
    missing = [path for path in _paths(doc) if not (ROOT / path).exists()]
    assert missing == []


def test_paths_are_found() -> None:
    architecture = _paths(ROOT / "docs" / "architecture.md")
    assert "loket/files/lookups.py" in architecture  # written `files/lookups.py`
    assert "tests/test_layering.py" in architecture
    assert "loket/portal/" in _paths(ROOT / "README.md")  # the map of the tree
