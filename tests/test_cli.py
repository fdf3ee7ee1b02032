"""The command line: formats, exit codes, error records, rules commands, schema."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trustsignals.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (slow: use for what needs a process)."""
    return subprocess.run(
        [sys.executable, "-m", "trustsignals", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI's main() in this process, with stdin and captured output."""

    def call(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(
                sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
            )
        code = main(list(args))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return call


def test_when_analyze_samples_jsonl_then_one_report_a_line_in_input_order(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = cli("analyze", "--format", "jsonl", str(SAMPLES / "en"))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["transcript_id"] for r in lines] == [
        "call",
        "en-sample-chat-1",
        "en-sample-chat-2",
        "en-sample-email-1",
    ]
    for r in lines:
        assert r["language"] == "en" and r["schema_version"]
        assert all("signal" in f and "turn" in f for f in r["findings"])


def test_when_stdin_then_read_and_analyzed() -> None:
    rec = {"id": "s1", "turns": [{"role": "agent", "text": "Sorry for the delay."}]}
    proc = run("analyze", "-", stdin=json.dumps(rec) + "\n")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"][0]["signal"] == "apology"


def test_when_some_records_fail_then_exit_1_error_records_in_stream_and_stderr(cli) -> None:  # type: ignore[no-untyped-def]
    data = (
        '{"id": "a", "turns": [{"role": "agent", "text": "hi"}]}\n'
        '{"id": "b", "turns": [{"role": "elf", "text": "x"}]}\n'
    )
    proc = cli("analyze", "-", stdin=data)
    assert proc.returncode == 1
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert out[0]["transcript_id"] == "a" and out[1]["error"]["code"] == "TS101" and out[1]["index"] == 1
    assert "record 1" in proc.stderr and "TS101" in proc.stderr


def test_when_strict_then_stop_at_first_error(cli) -> None:  # type: ignore[no-untyped-def]
    data = (
        '{"id": "b", "turns": [{"role": "elf", "text": "x"}]}\n'
        '{"id": "a", "turns": [{"role": "agent", "text": "hi"}]}\n'
    )
    proc = cli("analyze", "--strict", "-", stdin=data)
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) == 1


def test_when_rules_folder_broken_then_exit_2_with_precise_message(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "apology.yaml").write_text(
        "signal: apology\nrules:\n  - id: MY_RULE\n    phrases: ['sorry']\n    confidence: 7\n"
        "    examples: {match: ['[sorry]'], no_match: ['hi']}\n",
        encoding="utf-8",
    )
    proc = cli("analyze", "--rules", str(tmp_path), "-", stdin='{"id": "a", "turns": []}')
    assert proc.returncode == 2
    assert "MY_RULE" in proc.stderr and "confidence" in proc.stderr and "TS200" in proc.stderr


def test_when_table_format_then_human_readable(cli) -> None:  # type: ignore[no-untyped-def]
    proc = cli("analyze", "--format", "table", str(SAMPLES / "en" / "call.txt"))
    assert proc.returncode == 0 and "trust score=" in proc.stdout and "apology" in proc.stdout


def test_when_csv_format_then_one_row_per_finding(cli) -> None:  # type: ignore[no-untyped-def]
    proc = cli("analyze", "--format", "csv", str(SAMPLES / "en" / "call.txt"))
    rows = proc.stdout.strip().splitlines()
    assert rows[0].startswith("transcript_id,language,score,turn,role,signal")
    assert len(rows) > 5


def test_when_fail_on_crossed_then_exit_3(cli) -> None:  # type: ignore[no-untyped-def]
    proc = cli("analyze", "--fail-on", "blame_shifting>=1", str(SAMPLES / "en" / "chat.jsonl"))
    assert proc.returncode == 3
    assert "en-sample-chat-2" in proc.stderr


def test_when_rules_list_validate_test_then_ok(cli) -> None:  # type: ignore[no-untyped-def]
    assert "EN_APOLOGY_SORRY" in cli("rules", "list", "--language", "en").stdout
    assert cli("rules", "validate").returncode == 0
    proc = cli("rules", "test", "--language", "en")
    assert proc.returncode == 0 and " 0 failed" in proc.stdout


def test_when_schema_then_json_schema_with_version(cli) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(cli("schema").stdout)
    assert schema["x-schema-version"] and "findings" in schema["properties"]


@pytest.mark.parametrize("module", [True, False])
def test_when_run_from_another_directory_then_packaged_rules_found(tmp_path: Path, module: bool) -> None:
    if module:
        proc = run("analyze", str(SAMPLES / "en" / "call.txt"), cwd=tmp_path)
    else:
        exe = Path(sys.executable).parent / "trustsignals"
        if not exe.exists():
            pytest.skip("console script not installed in this environment")
        proc = subprocess.run(
            [str(exe), "analyze", str(SAMPLES / "en" / "call.txt")],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"]
