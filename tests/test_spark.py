"""trustsignals.spark on a local Spark session gives exactly what Analyzer.analyze_many gives.

Runs by default (CI has Java); skipped, with the reason, only when pyspark or Java is missing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trustsignals import Analyzer, ErrorRecord, Report

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SEED = 20240601
N_CONVERSATIONS = 240


def _java_problem() -> str | None:
    java = None
    if os.environ.get("JAVA_HOME"):
        java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin"))
    java = java or shutil.which("java")
    if java is None:
        return "Java is not installed (Spark needs a JVM: set JAVA_HOME or put java on PATH)"
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java does not run: {exc}"
    return None


def _skip_reason() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"pyspark/pyarrow not installed ({exc.name}): pip install 'trustsignals[spark]'"
    return _java_problem()


_REASON = _skip_reason()
if _REASON:
    pytest.skip(_REASON, allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

from trustsignals.spark import (  # noqa: E402
    analyze_spark,
    analyze_spark_reports,
    conversations_schema,
    findings_schema,
)


def _conversations(analyzer: Analyzer) -> list[dict[str, Any]]:
    """A few hundred conversations: the samples of every language, copied and shuffled, some
    with timestamps and speakers, and a few that cannot be analysed."""
    files = sorted(p for p in SAMPLES.glob("*/*") if p.is_file() and not p.name.startswith((".", "README")))
    base = []
    for rec in analyzer.records(files):
        assert rec.transcript is not None, rec.error
        base.append((Path(rec.source).parent.name, rec.transcript.model_dump(mode="json", exclude_none=True)))
    assert base, "no samples found"
    rng = random.Random(SEED)
    out: list[dict[str, Any]] = []
    for i in range(N_CONVERSATIONS):
        lang, conv = base[i % len(base)]
        turns = [dict(t) for t in conv["turns"]]
        if i % 3 == 0:  # timestamps move the ledger's reference time
            for k, turn in enumerate(turns):
                turn["timestamp"] = f"2024-03-{1 + i % 28:02d}T09:{k % 60:02d}:00"
        if i % 5 == 0:
            for turn in turns:
                turn.setdefault("speaker", f"{turn['role']}-{i % 7}")
        out.append({"id": f"{lang}/{conv['id']}/{i}", "turns": turns})
    rng.shuffle(out)
    out += [
        {
            "id": "zz/bad-role",
            "turns": [{"role": "customer", "text": "Hello?"}, {"role": "wizard", "text": "Hi"}],
        },
        {"id": "zz/no-text", "turns": [{"role": "agent", "text": None}]},
        {"id": "zz/long-turn", "turns": [{"role": "agent", "text": "x" * 200_001}]},
    ]
    return out


def _turn_rows(conversations: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = []
    for conv in conversations:
        for k, turn in enumerate(conv["turns"]):
            rows.append(
                (
                    conv["id"],
                    k,
                    turn.get("role"),
                    turn.get("text"),
                    turn.get("speaker"),
                    turn.get("timestamp"),
                )
            )
    random.Random(SEED).shuffle(rows)  # order_col must put them back
    return rows


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("trustsignals-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(analyzer: Analyzer) -> tuple[list[dict[str, Any]], dict[str, Report | ErrorRecord]]:
    conversations = _conversations(analyzer)
    local = {
        conv["id"]: result
        for conv, result in zip(conversations, analyzer.analyze_many(conversations), strict=True)
    }
    return conversations, local


@pytest.fixture(scope="module")
def turns_df(spark: SparkSession, data: tuple[list[dict[str, Any]], Any]) -> Any:
    schema = "conversation_id string, turn int, role string, text string, speaker string, timestamp string"
    return spark.createDataFrame(_turn_rows(data[0]), schema)


def test_reports_equal_analyze_many_byte_for_byte(turns_df: Any, data: Any) -> None:
    _, local = data
    rows = analyze_spark_reports(turns_df, order_col="turn", with_report_json=True).collect()
    assert sorted(r.conversation_id for r in rows) == sorted(local)
    for row in rows:
        expected = local[row.conversation_id]
        if isinstance(expected, Report):
            assert row.error_code is None, row.error_message
            assert row.report_json == expected.to_json()
        else:
            assert row.error_code == expected.error["code"]
            assert row.report_json is None and row.findings == []


@pytest.fixture(scope="module")
def outputs(turns_df: Any) -> tuple[list[Any], list[Any]]:
    findings_df, conversations_df = analyze_spark(turns_df, order_col="turn", persist=True)
    assert findings_df.schema == findings_schema()
    assert conversations_df.schema == conversations_schema()
    conversations = sorted(conversations_df.collect(), key=lambda r: r.conversation_id)
    findings = sorted(findings_df.collect(), key=lambda r: (r.conversation_id, r.finding_index))
    return findings, conversations


def test_findings_and_scores_equal_analyze_many(outputs: Any, data: Any) -> None:
    _, local = data
    findings, conversations = outputs

    assert [r.conversation_id for r in conversations] == sorted(local)
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for row in findings:
        d = row.asDict(recursive=True)
        by_conversation.setdefault(d.pop("conversation_id"), []).append(d)
    n_reports = 0
    for row in conversations:
        expected = local[row.conversation_id]
        got = by_conversation.get(row.conversation_id, [])
        if isinstance(expected, ErrorRecord):
            assert row.error_code == expected.error["code"]
            assert row.error_message == expected.error["message"]
            assert row.score is None and got == []
            continue
        n_reports += 1
        assert row.error_code is None
        assert [g.pop("finding_index") for g in got] == list(range(len(expected.findings)))
        assert got == [_finding(f.model_dump(mode="json")) for f in expected.findings]
        assert row.score == expected.score.value
        assert row.score_baseline == expected.score.baseline
        assert row.score_explanation == expected.score.explanation
        assert [c.asDict() for c in row.score_contributions] == [
            c.model_dump() for c in expected.score.contributions
        ]
        assert row.language == expected.language
        assert row.turn_languages == list(expected.turn_languages)
        assert row.turn_roles == list(expected.turn_roles)
        assert row.n_turns == len(expected.turn_roles)
        assert row.n_findings == len(expected.findings)
        assert row.counts == expected.counts
        assert row.blame_targets == expected.blame_targets
        assert row.warnings == list(expected.warnings)
        assert json.loads(row.ledger_json) == [e.model_dump(mode="json") for e in expected.ledger]
    assert n_reports == len(local) - 3
    assert len(findings) == sum(len(r.findings) for r in local.values() if isinstance(r, Report)) > 0


def _finding(d: dict[str, Any]) -> dict[str, Any]:
    d["context"] = list(d["context"])
    return {k: d[k] for k in findings_schema().fieldNames() if k in d}


def test_errors_become_rows(outputs: Any) -> None:
    errors = {r.conversation_id: r for r in outputs[1] if r.error_code is not None}
    assert set(errors) == {"zz/bad-role", "zz/no-text", "zz/long-turn"}
    assert errors["zz/bad-role"].error_code == "TS101"
    assert errors["zz/bad-role"].error_field == "role"
    assert "turn 1" in errors["zz/bad-role"].error_source
    assert errors["zz/no-text"].error_code == "TS100"
    assert errors["zz/long-turn"].error_code == "TS102"


def test_row_order_without_order_column(spark: SparkSession, analyzer: Analyzer) -> None:
    # no order column: turns keep the DataFrame's row order; other column names; integer ids
    conversation = {
        "id": "7",
        "turns": [
            {"role": "customer", "text": "My parcel never arrived and nobody answers."},
            {"role": "agent", "text": "I'm so sorry, that's our mistake. I'll refund you today."},
            {"role": "customer", "text": "Thank you, I appreciate it."},
        ],
    }
    rows = [(7, t["role"], t["text"]) for t in conversation["turns"]]
    df = spark.createDataFrame(rows, "chat bigint, who string, body string").coalesce(1)
    findings_df, conversations_df = analyze_spark(df, id_col="chat", role_col="who", text_col="body")
    expected = analyzer.analyze(conversation)
    (row,) = conversations_df.collect()
    assert row.conversation_id == "7" and row.error_code is None
    assert row.score == expected.score.value
    got = [r.asDict(recursive=True) for r in findings_df.orderBy("finding_index").collect()]
    assert [(g["turn"], g["signal"], g["start"]) for g in got] == [
        (f.turn, f.signal, f.start) for f in expected.findings
    ]


def test_bad_arguments_fail_on_the_driver(turns_df: Any) -> None:
    from trustsignals import ConfigError

    with pytest.raises(ConfigError, match="no column"):
        analyze_spark(turns_df, id_col="nope")
    with pytest.raises(ConfigError, match="unknown analyzer settings"):
        analyze_spark(turns_df, analyzer_config={"colour": "blue"})
