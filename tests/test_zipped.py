"""The package runs from a zip (a wheel shipped to Spark executors with --py-files)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import trustsignals
from trustsignals.ruleset import default_rules_dir


def test_when_imported_from_a_zip_then_rules_are_found_and_analysis_works(tmp_path: Path) -> None:
    package = Path(trustsignals.__file__).parent
    rules = default_rules_dir()
    archive = tmp_path / "trustsignals.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in package.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and f.parent.name != "rules":
                if rules in f.parents:
                    continue
                zf.write(f, Path("trustsignals") / f.relative_to(package))
        for f in rules.rglob("*"):
            if f.is_file():
                zf.write(f, Path("trustsignals") / "rules" / f.relative_to(rules))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import trustsignals; assert trustsignals.__file__.startswith(sys.argv[1]), trustsignals.__file__;"
        "r = trustsignals.Analyzer(languages=['en']).analyze("
        "{'id': 'z', 'turns': [{'role': 'agent', 'text': 'Sorry for the delay.'}]});"
        "print([f.signal for f in r.findings])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(archive)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "apology" in proc.stdout
