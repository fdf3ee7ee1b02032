"""Hostile input, exact offsets, determinism, no lost records, no network: property and corpus tests."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsignals import Analyzer, ErrorRecord, Report
from trustsignals.loaders import TranscriptBuilder, iter_bytes

NASTY = [
    "",
    "   \n\t ",
    "\x00\x01\x02 sorry for the delay \x7f",
    "so\u200brry for the de\u200blay",  # zero-width space inside words
    "Sorry for the delay 😡😡 👍🏽 🇬🇷",
    "Sorry\u0301 for the de\u0301lay",  # combining accents
    "\ufeffSorry for the delay",  # BOM
    "مرحبا، آسف على التأخير. Sorry for the delay.",  # right-to-left text
    "SORRY FOR THE DELAY!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    "Συγγνώμη για την καθυστέρηση. Sorry for the delay.",
    "a" * 50_000,
    "sorry " * 5_000,
    "\r\n\r\n" * 100 + "Sorry for the delay",
    "I'm so sorry\u2019s for the \ud7ff delay",
    "(((((((((((((((((((((((((((((((((((",
    "http://example.invalid/" + "a/" * 500,
    "\u200b",  # a turn whose only token folds to nothing (found by the fuzz campaign)
    "SO",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_when_text_is_hostile_then_report_with_exact_offsets(analyzer: Analyzer, text: str) -> None:
    report = analyzer.analyze(
        {"id": "n", "turns": [{"role": "agent", "text": text}, {"role": "customer", "text": text}]}
    )
    for f in report.findings:
        assert text[f.start : f.end] == f.text


def check_offsets(report: Report, turns: list[str]) -> None:
    for f in report.findings:
        assert turns[f.turn][f.start : f.end] == f.text


turn_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "sorry",
                "for",
                "the",
                "delay",
                "Thank",
                "you",
                "!",
                "?",
                "not",
                "our",
                "fault",
                "I'll",
                "call",
                "you",
                "συγγνώμη",
                "przepraszam",
                "desculpe",
                "excuses",
                "\u200b",
                "é",
                "\n",
                "😡",
                ",",
                "If",
                "guarantee",
                "never",
                "again",
            ]
        ),
        max_size=40,
    ).map(" ".join),
)
turn = st.fixed_dictionaries(
    {"role": st.sampled_from(["agent", "bot", "customer", "system"]), "text": turn_text}
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(turn, max_size=8))
def test_property_any_turns_give_a_report_with_exact_offsets(turns: list[dict[str, str]]) -> None:
    report = _ANALYZER.analyze({"id": "p", "turns": turns})
    assert len(report.turn_languages) == len(turns)
    check_offsets(report, [t["text"] for t in turns])
    assert [f.turn for f in report.findings] == sorted(f.turn for f in report.findings)
    assert 0 <= report.score.value <= 100


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_property_any_bytes_as_jsonl_csv_or_text_never_lose_a_record(data: bytes) -> None:
    for fmt in ("jsonl", "csv", "txt", "json"):
        records = list(iter_bytes(data, source="fuzz", fmt=fmt, builder=TranscriptBuilder()))
        if fmt == "jsonl":
            lines = [line for line in data.split(b"\n") if line.strip()]
            assert len(records) == len(lines)
        results = [_ANALYZER.result(r) for r in records]
        assert all(isinstance(r, (Report, ErrorRecord)) for r in results)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.dictionaries(
                st.sampled_from(["id", "turns", "role", "text", "language", "metadata"]),
                st.one_of(
                    st.none(),
                    st.integers(),
                    st.text(max_size=20),
                    st.lists(
                        st.dictionaries(
                            st.sampled_from(["role", "text", "speaker", "timestamp"]),
                            st.one_of(st.none(), st.integers(), st.text(max_size=30)),
                            max_size=4,
                        ),
                        max_size=3,
                    ),
                ),
                max_size=5,
            ),
        ),
        max_size=6,
    )
)
def test_property_any_records_give_one_result_each_in_order(items: list[object]) -> None:
    results = list(_ANALYZER.analyze_many(items))
    assert len(results) == len(items)
    for i, r in enumerate(results):
        if isinstance(r, ErrorRecord):
            assert r.index == i and r.error["code"].startswith("TS")


def test_when_same_input_twice_in_new_analyzers_then_byte_identical(tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parents[1] / "samples"
    files = sorted(p for p in samples.rglob("*") if p.suffix in (".jsonl", ".json", ".txt"))
    first = [r.to_json() for r in Analyzer().analyze_many(files)]
    second = [r.to_json() for r in Analyzer().analyze_many(files)]
    assert first == second and len(first) >= 4


def test_when_analyzing_then_no_network_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    a = Analyzer()
    report = a.analyze(
        {
            "id": "x",
            "turns": [
                {"role": "agent", "text": "Sorry for the delay, I'll call you."},
                {"role": "customer", "text": "Das ist das dritte Mal, danke."},
            ],
        }
    )
    assert report.findings


def test_when_yaml_has_python_tags_then_rejected_safely(tmp_path: Path) -> None:
    from trustsignals import RuleError

    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "apology.yaml").write_text(
        "!!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match="invalid YAML"):
        Analyzer(rules=[tmp_path])


def test_when_catastrophic_text_for_regexes_then_linear_time(analyzer: Analyzer) -> None:
    # whole-turn regexes run on RE2: a long adversarial turn finishes (no timing asserted here; the
    # fuzz campaign and the benchmark measure time)
    text = ("you " * 20_000) + "must have typed"
    report = analyzer.analyze({"id": "x", "language": "en", "turns": [{"role": "agent", "text": text}]})
    assert any(f.signal == "blame_shifting" for f in report.findings)


def test_when_error_record_then_json_has_code_source_and_index() -> None:
    out = list(_ANALYZER.analyze_many([{"id": "x", "turns": [{"role": "agent"}]}]))
    data = json.loads(out[0].to_json())
    assert data["error"]["code"] == "TS100" and data["index"] == 0 and data["transcript_id"] == "x"
    assert data["error"]["field"] == "text"


_ANALYZER = Analyzer()
