"""Every input form, role aliases, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustsignals import Analyzer, ErrorRecord, InputError, Report, RoleError, Transcript, Turn
from trustsignals.loaders import Limits, TranscriptBuilder, iter_path, sniff_format

TURNS = [{"role": "agent", "text": "Sorry for the delay."}, {"role": "customer", "text": "thanks"}]


def test_when_transcript_object_then_analyzed(analyzer: Analyzer) -> None:
    t = Transcript(id="a", turns=(Turn(role="agent", text="Sorry for the delay."),))
    assert analyzer.analyze(t).transcript_id == "a"


def test_when_dict_json_and_text_then_same_findings(analyzer: Analyzer) -> None:
    as_dict = analyzer.analyze({"id": "a", "turns": TURNS})
    as_json = analyzer.analyze(json.dumps({"id": "a", "turns": TURNS}))
    as_text = analyzer.analyze("Agent: Sorry for the delay.\nCustomer: thanks\n")
    sig = [(f.turn, f.signal, f.start, f.end) for f in as_dict.findings]
    assert sig == [(f.turn, f.signal, f.start, f.end) for f in as_json.findings]
    assert sig == [(f.turn, f.signal, f.start, f.end) for f in as_text.findings]


def test_when_csv_then_grouped_by_conversation_in_first_seen_order(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    p = tmp_path / "turns.csv"
    p.write_text(
        "conversation_id,role,text\nb,Agent,Sorry for the delay.\na,client,thanks\nb,customer,ok\n",
        encoding="utf-8",
    )
    results = list(analyzer.analyze_many([p]))
    assert [r.transcript_id for r in results if isinstance(r, Report)] == ["b", "a"]
    assert [len(r.turn_roles) for r in results if isinstance(r, Report)] == [2, 1]


def test_when_dataframe_then_one_report_per_conversation(analyzer: Analyzer) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "conversation_id": ["x", "x", "y"],
            "role": ["agent", "customer", "agent"],
            "text": ["Sorry for the delay.", "thanks", "How can I help?"],
        }
    )
    reports = list(analyzer.analyze_many(df))
    assert [r.transcript_id for r in reports] == ["x", "y"]


@pytest.mark.parametrize(
    ("alias", "role"),
    [
        ("Rep", "agent"),
        ("OPERATOR", "agent"),
        ("Advisor", "agent"),
        ("chatbot", "bot"),
        ("Client", "customer"),
        ("user", "customer"),
        ("System", "system"),
    ],
)
def test_when_role_alias_then_normalised(alias: str, role: str) -> None:
    b = TranscriptBuilder()
    t = b.from_dict({"id": "a", "turns": [{"role": alias, "text": "hi"}]}, source="s", default_id="a")
    assert t.turns[0].role == role


def test_when_unknown_role_then_role_error_names_record_and_field(analyzer: Analyzer) -> None:
    with pytest.raises(RoleError) as err:
        analyzer.analyze({"id": "c7", "turns": [{"role": "wizard", "text": "hi"}]})
    assert "c7" in str(err.value) and "turn 0" in str(err.value) and err.value.field == "role"
    assert err.value.code == "TS101"


def test_when_role_map_given_then_unknown_role_accepted() -> None:
    a = Analyzer(role_map={"wizard": "agent"})
    assert a.analyze(
        {"id": "c", "turns": [{"role": "Wizard", "text": "Sorry for the delay."}]}
    ).turn_roles == ("agent",)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"id": "x"}, "turns"),
        ({"id": "x", "turns": "nope"}, "turns"),
        ({"id": "x", "turns": [{"role": "agent"}]}, "text"),
        ({"id": "x", "turns": [{"role": "agent", "text": 5}]}, "text"),
        ({"id": "x", "turns": [{"text": "hi"}]}, "role"),
        ({"id": "x", "turns": [], "metadata": [1]}, "metadata"),
    ],
)
def test_when_record_malformed_then_input_error_names_field(
    analyzer: Analyzer, record: dict, field: str
) -> None:
    with pytest.raises(InputError) as err:
        analyzer.analyze(record)
    assert err.value.field == field and "x" in str(err.value)


def test_when_jsonl_has_bad_lines_then_each_gets_an_error_record_in_place(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    p = tmp_path / "batch.jsonl"
    p.write_bytes(
        b'{"id": "ok1", "turns": [{"role": "agent", "text": "hi"}]}\n'
        b"{not json}\n"
        b'{"id": "bad-utf8", "turns": [{"role": "agent", "text": "\xff\xfe"}]}\n'
        b'{"id": "ok2", "turns": [{"role": "agent", "text": "Sorry for the delay."}]}\n'
    )
    results = list(analyzer.analyze_many([p]))
    assert [type(r).__name__ for r in results] == ["Report", "ErrorRecord", "ErrorRecord", "Report"]
    bad = results[1]
    assert isinstance(bad, ErrorRecord) and bad.index == 1 and bad.source.endswith("batch.jsonl:2")
    assert results[2].error["code"] == "TS103"  # type: ignore[union-attr]


def test_when_limits_exceeded_then_limit_error() -> None:
    a = Analyzer(limits=Limits(max_turn_chars=10, max_turns=2))
    out = list(
        a.analyze_many(
            [
                {"id": "long", "turns": [{"role": "agent", "text": "x" * 11}]},
                {"id": "many", "turns": [{"role": "agent", "text": "x"}] * 3},
            ]
        )
    )
    assert [r.error["code"] for r in out] == ["TS102", "TS102"]  # type: ignore[union-attr]


def test_when_sniffing_stdin_then_format_found() -> None:
    assert sniff_format(b'{"id": 1, "turns": []}\n{"id": 2, "turns": []}\n') == "jsonl"
    assert sniff_format(b'[{"id": 1}]') == "json"
    assert sniff_format(b"conversation_id,role,text\n1,agent,hi\n") == "csv"
    assert sniff_format(b"Agent: hi\nCustomer: hello\n") == "txt"


def test_when_file_missing_then_error_record(tmp_path: Path) -> None:
    recs = list(iter_path(tmp_path / "nope.jsonl", builder=TranscriptBuilder()))
    assert len(recs) == 1 and recs[0].error is not None and "cannot read" in str(recs[0].error)


def test_when_text_has_no_prefix_then_clear_error(analyzer: Analyzer) -> None:
    with pytest.raises(InputError, match="speaker prefix"):
        analyzer.analyze("hello there\nAgent: hi")
