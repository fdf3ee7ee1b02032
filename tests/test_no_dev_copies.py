"""No rule, sample or test repeats the development set's wording (an optional check).

The development set (``../shared/eval/dev`` next to the checkout, or the folder named by
``TRUSTSIGNALS_DEV_SET``) is for measuring only: a rule example, comment, sample or test that
repeats a run of six words from it makes the development score say less about conversations
nobody has seen. Where the development set is not on the machine, the check is skipped.

Allowed: runs of words that also occur in the seed articles or the specification (rules quote
them on purpose), and the stock formulas listed in ``tests/data/stock_phrases.txt`` (what every
agent says, and what a rule's phrase list must hold).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WINDOW = 6
_WORD = re.compile(r"\w+")


def _windows(text: str) -> set[str]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    return {" ".join(words[i : i + WINDOW]) for i in range(len(words) - WINDOW + 1)}


def _dev_folder() -> Path | None:
    named = os.environ.get("TRUSTSIGNALS_DEV_SET")
    folder = Path(named) if named else SHARED / "eval" / "dev"
    return folder if folder.is_dir() and any(folder.glob("*.jsonl")) else None


def _project_files() -> list[Path]:
    files = sorted((ROOT / "rules").rglob("*.yaml"))
    files += sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())
    files += sorted(p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name)
    files += sorted((ROOT / "benchmarks" / "probes").glob("*.jsonl"))
    return files


def test_no_project_file_repeats_six_words_of_the_development_set() -> None:
    folder = _dev_folder()
    if folder is None:
        pytest.skip("development set not found (../shared/eval/dev or TRUSTSIGNALS_DEV_SET)")
    dev: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for turn in json.loads(line).get("turns", []):
                    dev |= _windows(str(turn.get("text", "")))
    allowed: set[str] = set()
    for phrase in (ROOT / "tests" / "data" / "stock_phrases.txt").read_text(encoding="utf-8").splitlines():
        if phrase.strip() and not phrase.startswith("#"):
            allowed |= _windows(phrase)
    for source in [SHARED / "SIGNALS.md", *sorted((SHARED / "seeds").glob("*"))]:
        if source.is_file():
            allowed |= _windows(source.read_text(encoding="utf-8", errors="replace"))
    found: list[str] = []
    for path in _project_files():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        alone = [_windows(line) for line in lines]
        for n, line in enumerate(lines, 1):
            # a sentence may go on over the next line (comments, wrapped samples); what the next
            # line holds alone is reported there
            after = lines[n] if n < len(lines) else ""
            after_alone = alone[n] if n < len(lines) else set()
            shared = (alone[n - 1] | (_windows(f"{line} {after}") - after_alone)) & dev
            shared -= allowed
            if shared:
                found.append(f"{path.relative_to(ROOT)}:{n}: {sorted(shared)[0]!r}")
    assert not found, "development-set wording in the project:\n" + "\n".join(found[:40])


def test_windows_are_words_in_order_case_and_punctuation_free() -> None:
    assert _windows("Is there ANYTHING else, I can help with?") == {
        "is there anything else i can",
        "there anything else i can help",
        "anything else i can help with",
    }
    assert _windows("too short to count") == set()
