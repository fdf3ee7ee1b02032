"""Notebook and batch views, data frames, the timeline, the summary, and the CLI that uses them."""

from __future__ import annotations

import builtins
import csv
import html
import io
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

from trustsignals import Analyzer, ErrorRecord, Report
from trustsignals.cli import main
from trustsignals.views import (
    batch_html,
    conversations_dataframe,
    findings_dataframe,
    highlight,
    plot_timeline,
    report_html,
    summarize,
    timeline_data,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

EN = {
    "id": "en-1",
    "turns": [
        {"role": "customer", "text": "My parcel <b>never</b> came. This is the third time I'm calling."},
        {"role": "agent", "text": "That's the courier's fault, not ours. Calm down please."},
        {
            "role": "agent",
            "text": "Sorry for the delay, that was our mistake. I'll call you back before 5 pm today.",
        },
        {"role": "customer", "text": "You said you would call me back before 5 and nobody called."},
        {"role": "customer", "text": "Thanks, you've been very helpful."},
    ],
}
EL = {
    "id": "el-1",
    "turns": [
        {"role": "agent", "text": "Λυπάμαι πολύ για την καθυστέρηση. Θα σας καλέσω αύριο το πρωί."},
        {"role": "customer", "text": "Μου είπατε ότι θα με καλέσετε και δεν με πήρε κανείς."},
    ],
}


@pytest.fixture(scope="module")
def reports(analyzer: Analyzer) -> list[Report]:
    out = [analyzer.analyze(EN)]
    if "el" in analyzer.languages:
        out.append(analyzer.analyze(EL))
    return out


def visible_text(fragment: str) -> str:
    """The text a reader sees in highlighted HTML, without the signal tags."""
    no_tags = re.sub(r"<sup[^>]*>.*?</sup>", "", fragment)
    return html.unescape(re.sub(r"<[^>]+>", "", no_tags))


# -- report_html -----------------------------------------------------------------------------------
def test_when_report_has_its_transcript_then_turns_are_highlighted_by_polarity(reports: list[Report]) -> None:
    report = reports[0]
    page = report_html(report)
    polarities = {f.polarity for f in report.findings}
    assert {"builds", "erodes", "customer_negative", "customer_positive"} <= polarities
    for polarity in polarities:
        assert f'<mark class="ts-{polarity}"' in page
    for f in report.findings:
        assert _e_attr(f.rule_id) in page and f.signal in page
    assert "builds trust (agent)" in page and "erodes trust (agent)" in page  # the legend
    assert f">{report.score.value:g}<" in page
    assert html.escape(report.score.explanation) in page
    assert "Commitment ledger" in page and "ts-status-broken" in page


def _e_attr(value: str) -> str:
    return html.escape(value, quote=True)


def test_when_turn_text_has_html_then_it_is_escaped(reports: list[Report]) -> None:
    page = report_html(reports[0])
    assert "<b>never</b>" not in page
    assert "&lt;b&gt;never&lt;/b&gt;" in page


def test_when_hovering_a_finding_then_title_names_rule_and_explanation(reports: list[Report]) -> None:
    report = reports[0]
    f = next(f for f in report.findings if f.signal == "blame_shifting")
    titles = [html.unescape(t) for t in re.findall(r'<mark [^>]*title="([^"]*)"', report_html(report))]
    assert any(f.rule_id in t and f.explanation in t and "third_party" in t for t in titles)


def test_when_findings_overlap_then_highlighted_text_is_still_the_turn_text(reports: list[Report]) -> None:
    for report in reports:
        t = report._transcript
        assert t is not None
        for i, turn in enumerate(t.turns):
            fs = [f for f in report.findings if f.turn == i]
            assert visible_text(highlight(turn.text, fs)) == turn.text
    text = "I'm sorry for the delay & sorry to hear <that>."
    a = (
        reports[0]
        .findings[0]
        .model_copy(update={"start": 4, "end": 23, "signal": "apology", "polarity": "builds"})
    )
    b = a.model_copy(update={"start": 10, "end": 44, "signal": "empathy"})
    c = a.model_copy(update={"start": 0, "end": 3, "signal": "dismissive", "polarity": "erodes"})
    fragment = highlight(text, [a, b, c])
    assert visible_text(fragment) == text
    assert fragment.count("<sup") == 3 and fragment.count('<mark class="ts-erodes"') == 1


def test_when_report_comes_from_json_then_findings_shown_as_table(reports: list[Report]) -> None:
    loaded = Report.model_validate_json(reports[0].to_json())
    assert loaded._transcript is None
    page = report_html(loaded)
    assert 'class="ts-table ts-findings"' in page and '<table class="ts-turns">' not in page
    assert page.count("<tr><td>") >= len(loaded.findings)
    with_text = report_html(loaded, transcript=reports[0]._transcript)
    assert '<table class="ts-turns">' in with_text


def test_when_jupyter_displays_a_report_then_repr_html_is_the_highlighted_view(reports: list[Report]) -> None:
    assert reports[0]._repr_html_() == report_html(reports[0])


def test_when_report_is_serialised_then_transcript_stays_private(reports: list[Report]) -> None:
    report = reports[0]
    assert "third time I'm calling" not in report.to_json()
    assert "_transcript" not in report.model_dump()
    assert pickle.loads(pickle.dumps(report))._transcript == report._transcript  # worker processes


def test_when_rendered_twice_then_identical(reports: list[Report]) -> None:
    assert report_html(reports[0]) == report_html(reports[0])
    assert batch_html(reports) == batch_html(reports)


# -- batch_html ----------------------------------------------------------------------------------
def test_when_batch_then_one_standalone_page_with_index_and_every_conversation(reports: list[Report]) -> None:
    err = ErrorRecord(error={"code": "TS100", "message": "bad record"}, index=7, source="x.jsonl")
    page = batch_html(reports, errors=[err])
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched
    assert "<link" not in page and "@import" not in page
    index = page.split('<table class="ts-table ts-index">')[1].split("</table>")[0]
    assert index.count("<tr data-target=") == len(reports)
    for i, r in enumerate(reports):
        assert f'id="conv-{i}"' in page and f'href="#conv-{i}"' in page
        assert html.escape(r.transcript_id) in index
    assert page.count('<section class="ts-conv"') == len(reports)
    assert "bad record" in page and "TS100" in page
    assert page.count("<script>") == 1


def test_when_batch_has_no_transcripts_then_mapping_supplies_them(reports: list[Report]) -> None:
    loaded = [Report.model_validate_json(r.to_json()) for r in reports]
    assert '<table class="ts-turns">' not in batch_html(loaded)
    page = batch_html(loaded, transcripts={r.transcript_id: r._transcript for r in reports if r._transcript})
    assert page.count('<table class="ts-turns">') == len(reports)


# -- data frames ---------------------------------------------------------------------------------
def test_when_findings_dataframe_then_one_row_per_finding_in_each_language(reports: list[Report]) -> None:
    pytest.importorskip("pandas")
    err = ErrorRecord(error={"code": "TS100", "message": "x"}, index=0)
    df = findings_dataframe([*reports, err])
    assert len(df) == sum(len(r.findings) for r in reports)
    for col in (
        "transcript_id",
        "language",
        "turn",
        "role",
        "signal",
        "polarity",
        "target",
        "text",
        "rule_id",
        "confidence",
    ):
        assert col in df.columns
    blame = df[df.signal == "blame_shifting"]
    assert list(blame.target) == [
        f.target for r in reports for f in r.findings if f.signal == "blame_shifting"
    ]
    assert set(df.language) == {f.language for r in reports for f in r.findings}
    assert len(findings_dataframe(reports[0])) == len(reports[0].findings)


def test_when_conversations_dataframe_then_one_row_per_conversation_with_counts(
    reports: list[Report],
) -> None:
    pytest.importorskip("pandas")
    df = conversations_dataframe(reports)
    assert list(df.transcript_id) == [r.transcript_id for r in reports]
    for row, r in zip(df.to_dict("records"), reports, strict=True):
        assert row["score"] == r.score.value and row["language"] == r.language
        for signal, roles in r.counts.items():
            assert row[signal] == sum(roles.values())
        assert row["blame_third_party"] == r.blame_targets.get("third_party", 0)
        assert row["promises_broken"] == sum(e.status == "broken" for e in r.ledger)
    assert df.iloc[0]["promises_broken"] == 1
    empty = conversations_dataframe([])
    assert len(empty) == 0 and "commitment" in empty.columns


def test_when_pandas_is_missing_then_error_says_which_extra_to_install(
    reports: list[Report], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("pandas", "matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr("importlib.import_module", lambda name, *a: fake_import(name))
    with pytest.raises(ImportError, match=r"pip install trustsignals\[notebook\]"):
        findings_dataframe(reports)
    with pytest.raises(ImportError, match=r"pip install trustsignals\[notebook\]"):
        plot_timeline(reports[0])


# -- timeline ----------------------------------------------------------------------------------
def test_when_timeline_data_then_running_score_ends_at_the_report_score(analyzer: Analyzer) -> None:
    results = list(analyzer.analyze_many(sorted((SAMPLES / "en").iterdir())))
    results.append(analyzer.analyze(EN))
    for report in results:
        assert isinstance(report, Report)
        rows = timeline_data(report)
        assert len(rows) == len(report.turn_roles)
        assert rows[-1]["score"] == pytest.approx(report.score.value, abs=0.05)
        assert sum(
            r["builds"] + r["erodes"] + r["customer_positive"] + r["customer_negative"] for r in rows
        ) == len(report.findings)


def test_when_plot_timeline_then_builds_above_erodes_below_and_score_line(reports: list[Report]) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = reports[0]
    fig, ax = plt.subplots()
    returned = plot_timeline(report, ax=ax)
    assert returned is ax
    heights = [p.get_height() for p in ax.patches]
    assert any(h > 0 for h in heights) and any(h < 0 for h in heights)
    assert sum(abs(h) for h in heights) == len(report.findings)
    [line] = [
        ln for other in fig.axes if other is not ax for ln in other.get_lines() if ln.get_marker() == "o"
    ]
    assert line.get_ydata()[-1] == pytest.approx(report.score.value, abs=0.05)
    plt.close(fig)
    own = plot_timeline(report)  # makes its own figure
    assert own.get_title().startswith(report.transcript_id)
    plt.close("all")


# -- summarize -----------------------------------------------------------------------------------
def test_when_summarize_then_counts_by_signal_role_and_language(reports: list[Report]) -> None:
    err = ErrorRecord(error={"code": "TS100", "message": "x"}, index=3)
    s = summarize([*reports, err])
    assert s["conversations"] == len(reports) and s["errors"] == 1
    assert s["mean_score"] == round(sum(r.score.value for r in reports) / len(reports), 1)
    assert s["languages"] == {lang: sum(r.language == lang for r in reports) for lang in s["languages"]}
    assert sum(row["findings"] for row in s["signals"]) == sum(len(r.findings) for r in reports)
    rows = {(row["signal"], row["role"]): row for row in s["signals"]}
    assert rows[("customer_distrust", "customer")]["conversations"] == sum(
        1 for r in reports if r.counts.get("customer_distrust", {}).get("customer")
    )
    assert s["blame_targets"] == {"third_party": 1}
    assert s["promises"].get("broken") == sum(e.status == "broken" for r in reports for e in r.ledger)
    assert summarize([])["mean_score"] is None


# -- the CLI -------------------------------------------------------------------------------------
@pytest.fixture
def english_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its own Analyzer: load only the English rules the samples need (faster)."""
    monkeypatch.setenv("TRUSTSIGNALS_LANGUAGES", "en")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.usefixtures("english_only")
def test_when_cli_format_html_then_page_holds_every_sample_highlighted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "batch.html"
    code, _, err = run_cli(capsys, "analyze", str(SAMPLES / "en"), "--format", "html", "-o", str(out))
    assert code == 0, err
    page = out.read_text("utf-8")
    for conv_id in ("call", "en-sample-chat-1", "en-sample-chat-2", "en-sample-email-1"):
        assert f">{conv_id}</a>" in page
    assert page.count('<table class="ts-turns">') == 4  # the transcripts came along
    assert 'class="ts-table ts-findings"' not in page


@pytest.mark.usefixtures("english_only")
def test_when_cli_format_csv_then_blame_target_column_is_filled(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "analyze", str(SAMPLES / "en" / "chat.jsonl"), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    blame = [r for r in rows if r["signal"] == "blame_shifting"]
    assert blame and all(r["target"] == "third_party" for r in blame)
    assert all(r["target"] == "" for r in rows if r["signal"] != "blame_shifting")


@pytest.mark.usefixtures("english_only")
def test_when_cli_summary_json_then_it_is_summarize_of_the_batch(
    capsys: pytest.CaptureFixture[str], analyzer: Analyzer
) -> None:
    code, out, err = run_cli(capsys, "summary", str(SAMPLES / "en"), "--format", "json")
    assert code == 0, err
    expected = summarize(analyzer.analyze_many(sorted((SAMPLES / "en").iterdir())))
    assert json.loads(out) == json.loads(json.dumps(expected))
    code, out, _ = run_cli(capsys, "summary", str(SAMPLES / "en"))
    assert code == 0 and "customer_distrust" in out and "mean trust score" in out


@pytest.mark.parametrize(
    ("condition", "expected"),
    [("score<10", 3), ("score<0", 0), ("blame_shifting>=1", 3), ("blame_shifting>=2", 0)],
)
@pytest.mark.usefixtures("english_only")
def test_when_fail_on_condition_then_exit_3_only_when_crossed(
    capsys: pytest.CaptureFixture[str], condition: str, expected: int
) -> None:
    code, out, err = run_cli(capsys, "analyze", str(SAMPLES / "en" / "chat.jsonl"), "--fail-on", condition)
    assert code == expected, err
    assert len(out.splitlines()) == 2  # the reports are still written
    assert ("meets --fail-on" in err) == (expected == 3)


def test_when_conversation_has_no_timestamps_then_ledger_says_deadlines_use_the_fixed_reference(
    analyzer: Analyzer,
) -> None:
    turns = [{"role": "agent", "text": "I'll email you the label by Friday."}]
    plain = report_html(analyzer.analyze({"id": "a", "turns": turns}))
    assert "no timestamps" in plain and "2000-01-03 09:00" in plain
    stamped = report_html(
        analyzer.analyze({"id": "b", "turns": [{**turns[0], "timestamp": "2024-03-05T10:30:00"}]})
    )
    assert "Commitment ledger" in stamped and "no timestamps" not in stamped
