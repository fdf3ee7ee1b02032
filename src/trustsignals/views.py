"""Views for analysts: notebook HTML, data frames, a timeline plot, batch summaries and pages.

- :func:`report_html`: one conversation with its findings highlighted by polarity (builds green,
  erodes red, customer signals blue / orange), rule and explanation on hover, the trust score
  and its explanation, and the commitment ledger. ``Report._repr_html_`` uses it, so a report
  shows itself in Jupyter.
- :func:`batch_html`: one standalone page (inline CSS and JS, no network) for a batch: an index of
  conversations with their scores, then each conversation highlighted. ``trustsignals analyze
  --format html`` writes it.
- :func:`findings_dataframe`, :func:`conversations_dataframe` (pandas) and :func:`plot_timeline`
  (matplotlib): pandas and matplotlib are optional (``pip install trustsignals[notebook]``) and
  imported only when these are called.
- :func:`summarize`: the aggregate behind ``trustsignals summary``.

All output is deterministic: no clock, stable ordering.
"""

from __future__ import annotations

import html
import importlib
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .ledger import DEFAULT_REFERENCE
from .models import ErrorRecord, Finding, LedgerEntry, Report, Transcript

if TYPE_CHECKING:
    from matplotlib.axes import Axes

POLARITIES: tuple[str, ...] = ("builds", "erodes", "customer_positive", "customer_negative")
POLARITY_LABELS: dict[str, str] = {
    "builds": "builds trust (agent)",
    "erodes": "erodes trust (agent)",
    "customer_positive": "customer signal, positive",
    "customer_negative": "customer signal, negative",
}
POLARITY_COLORS: dict[str, tuple[str, str]] = {  # (background, border / text)
    "builds": ("#d3f5dc", "#1a7f37"),
    "erodes": ("#ffd8d5", "#cf222e"),
    "customer_positive": ("#d8e9ff", "#0969da"),
    "customer_negative": ("#ffe3c4", "#bc4c00"),
}
STATUS_COLORS: dict[str, str] = {
    "open": "#57606a",
    "fulfilled": "#1a7f37",
    "doubted": "#bc4c00",
    "broken": "#cf222e",
}
LEDGER_STATUSES: tuple[str, ...] = ("open", "fulfilled", "doubted", "broken")
BLAME_TARGETS: tuple[str, ...] = ("customer", "colleague", "third_party", "system", "unspecified")
NOTEBOOK_HINT = "pip install trustsignals[notebook]"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Result = Report | ErrorRecord


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this view needs {module.split('.')[0]}: {NOTEBOOK_HINT}") from exc


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# -- CSS and JS --------------------------------------------------------------------------------
def _css() -> str:
    marks = "\n".join(
        f".ts-root mark.ts-{p}{{background:{bg};border-bottom:2px solid {fg};}}\n"
        f".ts-root .ts-swatch.ts-{p}{{background:{bg};border:1px solid {fg};}}\n"
        f".ts-root sup.ts-{p}{{color:{fg};}}"
        for p, (bg, fg) in POLARITY_COLORS.items()
    )
    statuses = "\n".join(f".ts-root .ts-status-{s}{{background:{c};}}" for s, c in STATUS_COLORS.items())
    return f"""
.ts-root{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:14px;
  color:#1f2328;line-height:1.45;max-width:1100px;}}
.ts-root h2,.ts-root h3{{margin:0.6em 0 0.3em;}}
.ts-root .ts-head{{display:flex;flex-wrap:wrap;align-items:baseline;gap:0.4em 1.2em;}}
.ts-root .ts-id{{font-weight:600;font-size:1.1em;}}
.ts-root .ts-meta{{color:#57606a;}}
.ts-root .ts-score{{display:inline-block;min-width:3.2em;text-align:center;padding:0.1em 0.5em;
  border-radius:1em;color:#fff;font-weight:600;}}
.ts-root .ts-score-high{{background:#1a7f37;}} .ts-root .ts-score-mid{{background:#9a6700;}}
.ts-root .ts-score-low{{background:#cf222e;}}
.ts-root .ts-explanation{{color:#57606a;font-size:0.92em;margin:0.2em 0 0.6em;}}
.ts-root .ts-legend{{display:flex;flex-wrap:wrap;gap:0.3em 1em;margin:0.4em 0;font-size:0.9em;}}
.ts-root .ts-swatch{{display:inline-block;width:1em;height:1em;vertical-align:-0.15em;margin-right:0.3em;
  border-radius:2px;}}
.ts-root .ts-turns{{border-collapse:collapse;width:100%;}}
.ts-root .ts-turns td{{border-top:1px solid #d0d7de;padding:0.35em 0.5em;vertical-align:top;}}
.ts-root .ts-turn-n{{color:#57606a;width:2.5em;text-align:right;}}
.ts-root .ts-role{{width:6em;font-weight:600;}}
.ts-root .ts-role-customer{{color:#0550ae;}} .ts-root .ts-role-system{{color:#8c959f;font-weight:400;}}
.ts-root .ts-text{{white-space:pre-wrap;}}
.ts-root .ts-lang{{color:#8c959f;font-size:0.8em;width:2.5em;}}
.ts-root mark{{color:inherit;padding:0 1px;border-radius:2px;cursor:help;}}
.ts-root sup.ts-tag{{font-size:0.7em;font-weight:600;margin-left:1px;}}
{marks}
.ts-root table.ts-table{{border-collapse:collapse;margin:0.3em 0 0.8em;font-size:0.92em;}}
.ts-root table.ts-table th,.ts-root table.ts-table td{{border:1px solid #d0d7de;padding:0.2em 0.5em;
  text-align:left;vertical-align:top;}}
.ts-root table.ts-table th{{background:#f6f8fa;}}
.ts-root .ts-badge{{display:inline-block;padding:0 0.5em;border-radius:1em;color:#fff;font-size:0.85em;}}
{statuses}
.ts-root .ts-links{{margin:0;padding-left:1.1em;}}
.ts-root code{{white-space:nowrap;}}
.ts-root .ts-warning{{color:#9a6700;}}
.ts-root .ts-bar{{display:inline-block;height:0.7em;background:#8c959f;vertical-align:middle;
  border-radius:2px;}}
.ts-root section.ts-conv{{border-top:3px solid #d0d7de;margin-top:1.5em;padding-top:0.3em;}}
.ts-root .ts-index tr.ts-hidden,.ts-root section.ts-hidden{{display:none;}}
.ts-root .ts-index th{{cursor:pointer;user-select:none;}}
.ts-root .ts-controls{{margin:0.6em 0;display:flex;gap:1em;align-items:center;flex-wrap:wrap;}}
.ts-root .ts-controls input[type=search]{{padding:0.25em 0.5em;min-width:18em;}}
"""


_JS = """
(function () {
  "use strict";
  var root = document.querySelector(".ts-batch");
  if (!root) { return; }
  var rows = Array.prototype.slice.call(root.querySelectorAll(".ts-index tbody tr"));
  var search = root.querySelector("#ts-filter");
  var onlyLow = root.querySelector("#ts-low");
  function apply() {
    var q = search ? search.value.toLowerCase() : "";
    var low = onlyLow ? onlyLow.checked : false;
    rows.forEach(function (row) {
      var text = (row.getAttribute("data-search") || "").toLowerCase();
      var score = parseFloat(row.getAttribute("data-score") || "0");
      var show = text.indexOf(q) >= 0 && (!low || score < 50);
      row.classList.toggle("ts-hidden", !show);
      var section = document.getElementById(row.getAttribute("data-target"));
      if (section) { section.classList.toggle("ts-hidden", !show); }
    });
  }
  if (search) { search.addEventListener("input", apply); }
  if (onlyLow) { onlyLow.addEventListener("change", apply); }
  var headers = Array.prototype.slice.call(root.querySelectorAll(".ts-index th"));
  headers.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "number";
      var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
      th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
      var body = root.querySelector(".ts-index tbody");
      rows.sort(function (a, b) {
        var x = a.children[col].getAttribute("data-value") || a.children[col].textContent;
        var y = b.children[col].getAttribute("data-value") || b.children[col].textContent;
        if (numeric) { return dir * (parseFloat(x) - parseFloat(y)); }
        return dir * x.localeCompare(y);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""


# -- one conversation --------------------------------------------------------------------------
def _score_class(value: float) -> str:
    return "ts-score-high" if value >= 65 else "ts-score-mid" if value >= 40 else "ts-score-low"


def _finding_title(f: Finding) -> str:
    target = f" -> {f.target}" if f.target else ""
    head = f"{f.signal}{target} ({f.polarity}) · rule {f.rule_id} · confidence {f.confidence:g}"
    return f"{head}\n{f.explanation}"


def _legend() -> str:
    items = "".join(
        f'<span><span class="ts-swatch ts-{p}"></span>{_e(label)}</span>'
        for p, label in POLARITY_LABELS.items()
    )
    return f'<div class="ts-legend">{items}</div>'


def highlight(text: str, findings: Sequence[Finding]) -> str:
    """The turn's text as HTML, each finding's span in a ``<mark>`` coloured by its polarity.

    Overlapping findings split the text into segments; a segment takes the colour of the
    shortest finding that covers it and lists all of them in its hover title. Each finding's
    end carries a small tag with its signal.
    """
    spans = [f for f in findings if 0 <= f.start < f.end <= len(text)]
    cuts = sorted({0, len(text), *(f.start for f in spans), *(f.end for f in spans)})
    ends: dict[int, list[Finding]] = {}
    for f in spans:
        ends.setdefault(f.end, []).append(f)
    out: list[str] = []
    for a, b in itertools.pairwise(cuts):
        covering = [f for f in spans if f.start <= a and b <= f.end]
        piece = _e(text[a:b])
        if covering:
            main = min(covering, key=lambda f: (f.end - f.start, POLARITIES.index(f.polarity), f.signal))
            title = "\n\n".join(_finding_title(f) for f in covering)
            signals = " ".join(sorted({f.signal for f in covering}))
            out.append(
                f'<mark class="ts-{main.polarity}" data-signal="{_e(signals)}" title="{_e(title)}">'
                f"{piece}</mark>"
            )
        else:
            out.append(piece)
        for f in sorted(ends.get(b, ()), key=lambda f: (f.start, f.signal)):
            out.append(f'<sup class="ts-tag ts-{f.polarity}">{_e(f.signal)}</sup>')
    return "".join(out)


def _transcript_of(report: Report, transcript: Transcript | None) -> Transcript | None:
    t = transcript if transcript is not None else report._transcript
    if t is None or len(t.turns) != len(report.turn_roles):
        return None
    return t


def _turns_html(report: Report, t: Transcript) -> str:
    by_turn: dict[int, list[Finding]] = {}
    for f in report.findings:
        by_turn.setdefault(f.turn, []).append(f)
    rows = []
    for i, turn in enumerate(t.turns):
        lang = report.turn_languages[i] if i < len(report.turn_languages) else ""
        speaker = f" ({turn.speaker})" if turn.speaker and turn.speaker.lower() != turn.role else ""
        rows.append(
            f'<tr data-turn="{i}"><td class="ts-turn-n">{i}</td>'
            f'<td class="ts-role ts-role-{_e(turn.role)}">{_e(turn.role)}{_e(speaker)}</td>'
            f'<td class="ts-text">{highlight(turn.text, by_turn.get(i, []))}</td>'
            f'<td class="ts-lang">{_e(lang)}</td></tr>'
        )
    return f'<table class="ts-turns"><tbody>{"".join(rows)}</tbody></table>'


def _findings_table(report: Report) -> str:
    if not report.findings:
        return "<p>No trust signals found.</p>"
    rows = []
    for f in report.findings:
        rows.append(
            f'<tr><td>{f.turn}</td><td>{_e(f.role)}</td><td><span class="ts-swatch ts-{f.polarity}"></span>'
            f"{_e(f.signal)}</td><td>{_e(f.target or '')}</td>"
            f'<td><mark class="ts-{f.polarity}" title="{_e(_finding_title(f))}">{_e(f.text)}</mark></td>'
            f"<td>{_e(f.rule_id)}</td><td>{f.confidence:g}</td></tr>"
        )
    head = (
        "<tr><th>turn</th><th>role</th><th>signal</th><th>target</th><th>evidence</th><th>rule</th>"
        "<th>confidence</th></tr>"
    )
    return (
        f'<p class="ts-meta">The conversation text is not attached to this report: '
        "findings as a table.</p>"
        f'<table class="ts-table ts-findings"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _ledger_html(ledger: Sequence[LedgerEntry], t: Transcript | None) -> str:
    if not ledger:
        return ""
    note = ""
    if t is not None and not any(turn.timestamp for turn in t.turns):
        day = _WEEKDAYS[DEFAULT_REFERENCE.weekday()]
        note = (
            f'<p class="ts-meta">The conversation has no timestamps: deadlines are resolved from '
            f"{day} {DEFAULT_REFERENCE:%Y-%m-%d %H:%M} (a fixed reference).</p>"
        )
    rows = []
    for e in ledger:
        links = "".join(
            f"<li>turn {link.turn}: <b>{_e(link.kind)}</b> ({_e(link.signal)}) {_e(link.text)}</li>"
            for link in e.links
        )
        deadline = _e(e.deadline or "")
        if e.deadline_normalized:
            deadline += f"<br><code>{_e(e.deadline_normalized)}</code>"
        rows.append(
            f"<tr><td>{e.turn}</td><td>{_e(e.role)}</td><td>{_e(e.signal)}</td><td>{_e(e.action)}</td>"
            f"<td>{deadline}</td>"
            f'<td><span class="ts-badge ts-status-{_e(e.status)}">{_e(e.status)}</span></td>'
            f"<td>{f'<ul class=ts-links>{links}</ul>' if links else ''}</td></tr>"
        )
    head = (
        "<tr><th>turn</th><th>by</th><th>signal</th><th>promise</th><th>deadline</th><th>status</th>"
        "<th>later</th></tr>"
    )
    return (
        f'<h3>Commitment ledger</h3>{note}<table class="ts-table ts-ledger"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _report_body(report: Report, transcript: Transcript | None, *, legend: bool = True) -> str:
    t = _transcript_of(report, transcript)
    score = report.score.value
    langs = sorted(set(report.turn_languages))
    head = (
        f'<div class="ts-head"><h2 class="ts-id">{_e(report.transcript_id)}</h2>'
        f'<span class="ts-score {_score_class(score)}" title="trust score (0-100)">{score:g}</span>'
        f'<span class="ts-meta">language {_e(report.language)}'
        + (f" (turns: {_e(', '.join(langs))})" if langs and langs != [report.language] else "")
        + f" · {len(report.turn_roles)} turns · {len(report.findings)} findings</span></div>"
    )
    explanation = f'<div class="ts-explanation">Trust score {_e(report.score.explanation)}</div>'
    body = _turns_html(report, t) if t is not None else _findings_table(report)
    warnings = "".join(f'<div class="ts-warning">⚠ {_e(w)}</div>' for w in report.warnings)
    return (
        head + explanation + (_legend() if legend else "") + body + _ledger_html(report.ledger, t) + warnings
    )


def report_html(report: Report, transcript: Transcript | None = None) -> str:
    """One conversation as HTML (for Jupyter): highlighted turns, legend, score, ledger.

    The turn texts come from ``transcript`` or, for a report made by the Analyzer, from the
    conversation it keeps (not serialised); without them the findings are shown as a table.
    """
    return f'<div class="ts-root ts-report"><style>{_css()}</style>{_report_body(report, transcript)}</div>'


# -- a batch -----------------------------------------------------------------------------------
def _polarity_counts(report: Report) -> Counter[str]:
    return Counter(str(f.polarity) for f in report.findings)


def batch_html(
    reports: Iterable[Report],
    errors: Iterable[ErrorRecord] = (),
    *,
    transcripts: Mapping[str, Transcript] | None = None,
    title: str = "trustsignals report",
) -> str:
    """One standalone HTML page for a batch: an index with scores, then every conversation.

    Inline CSS and JavaScript only (filter and sort the index); nothing is fetched. Turn texts
    come from ``transcripts`` (by transcript id) or from the reports made by the Analyzer.
    """
    reports = list(reports)
    errors = list(errors)
    scores = [r.score.value for r in reports]
    mean = round(sum(scores) / len(scores), 1) if scores else None
    rows: list[str] = []
    sections: list[str] = []
    for i, r in enumerate(reports):
        anchor = f"conv-{i}"
        pol = _polarity_counts(r)
        status: Counter[str] = Counter(e.status for e in r.ledger)
        promises = ", ".join(f"{status[s]} {s}" for s in LEDGER_STATUSES if status[s])
        signals = " ".join(sorted({f.signal for f in r.findings}))
        value = r.score.value
        rows.append(
            f'<tr data-target="{anchor}" data-score="{value:g}" '
            f'data-search="{_e(r.transcript_id + " " + r.language + " " + signals)}">'
            f'<td data-value="{i}">{i + 1}</td>'
            f'<td><a href="#{anchor}">{_e(r.transcript_id)}</a></td><td>{_e(r.language)}</td>'
            f'<td data-value="{value:g}"><span class="ts-score {_score_class(value)}">{value:g}</span> '
            f'<span class="ts-bar" style="width:{value * 0.6:.0f}px"></span></td>'
            f'<td data-value="{pol["builds"]}">{pol["builds"]}</td>'
            f'<td data-value="{pol["erodes"]}">{pol["erodes"]}</td>'
            f'<td data-value="{pol["customer_positive"]}">{pol["customer_positive"]}</td>'
            f'<td data-value="{pol["customer_negative"]}">{pol["customer_negative"]}</td>'
            f"<td>{_e(promises)}</td></tr>"
        )
        t = transcripts.get(r.transcript_id) if transcripts else None
        body = _report_body(r, t, legend=False)
        sections.append(f'<section class="ts-conv" id="{anchor}">{body}</section>')
    head = (
        '<tr><th data-type="number">#</th><th>conversation</th><th>language</th>'
        '<th data-type="number">score</th>'
        '<th data-type="number" title="agent signals that build trust">builds</th>'
        '<th data-type="number" title="agent signals that erode trust">erodes</th>'
        '<th data-type="number" title="positive customer signals">customer +</th>'
        '<th data-type="number" title="negative customer signals">customer −</th><th>promises</th></tr>'
    )
    error_html = ""
    if errors:
        erows = "".join(
            f"<tr><td>{e.index}</td><td>{_e(e.transcript_id or '')}</td><td>{_e(e.source or '')}</td>"
            f"<td>{_e(e.error.get('code') or '')}</td><td>{_e(e.error.get('message') or '')}</td></tr>"
            for e in errors
        )
        error_html = (
            f"<h2>Records that could not be analysed ({len(errors)})</h2>"
            '<table class="ts-table ts-errors"><thead><tr><th>record</th><th>id</th><th>source</th>'
            "<th>code</th>"
            f"<th>message</th></tr></thead><tbody>{erows}</tbody></table>"
        )
    languages = Counter(r.language for r in reports)
    summary = (
        f"{len(reports)} conversations · {len(errors)} errors · mean trust score "
        f"{'–' if mean is None else f'{mean:g}'} · languages "
        + (", ".join(f"{k} ({v})" for k, v in sorted(languages.items())) or "–")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_css()}\nbody{{margin:1.5em;}}</style></head>\n"
        f'<body><div class="ts-root ts-batch"><h1>{_e(title)}</h1><p class="ts-meta">{_e(summary)}</p>'
        f"{_legend()}"
        '<div class="ts-controls"><input type="search" id="ts-filter" '
        'placeholder="filter: id, language, signal"'
        ' aria-label="filter conversations"><label><input type="checkbox" id="ts-low"> score below 50 only'
        "</label></div>"
        f'<table class="ts-table ts-index"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        f"{error_html}{''.join(sections)}</div><script>{_JS}</script></body></html>\n"
    )


# -- data frames -------------------------------------------------------------------------------
FINDING_COLUMNS: tuple[str, ...] = (
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
    "start",
    "end",
    "explanation",
)


def _reports(results: Iterable[Result] | Result) -> list[Report]:
    if isinstance(results, Report | ErrorRecord):
        results = [results]
    return [r for r in results if isinstance(r, Report)]


def findings_dataframe(reports: Iterable[Result] | Result) -> Any:
    """One row per finding (error records are skipped): a pandas DataFrame.

    Columns: transcript_id, language (of the finding's turn), turn, role, signal, polarity,
    target, text, rule_id, confidence, start, end, explanation.
    """
    pd = _require("pandas")
    rows = [
        {
            "transcript_id": r.transcript_id,
            "language": f.language,
            "turn": f.turn,
            "role": f.role,
            "signal": f.signal,
            "polarity": f.polarity,
            "target": f.target,
            "text": f.text,
            "rule_id": f.rule_id,
            "confidence": f.confidence,
            "start": f.start,
            "end": f.end,
            "explanation": f.explanation,
        }
        for r in _reports(reports)
        for f in r.findings
    ]
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def known_signals() -> list[str]:
    """The signal ids of the taxonomy, in ``rules/signals.yaml`` order."""
    try:
        from .ruleset import default_rules_dir, load_signals

        return list(load_signals(default_rules_dir()))
    except Exception:  # pragma: no cover - a broken install still gets the signals seen in reports
        return []


def conversations_dataframe(reports: Iterable[Result] | Result) -> Any:
    """One row per conversation (error records are skipped): a pandas DataFrame.

    Columns: transcript_id, language, score, turns, findings; one column per signal (findings of
    any role); ``blame_<target>`` per blame target; ``promises_<status>`` per ledger status;
    warnings.
    """
    pd = _require("pandas")
    items = _reports(reports)
    signals = known_signals()
    for r in items:
        for s in sorted(r.counts):
            if s not in signals:
                signals.append(s)
    columns = [
        "transcript_id",
        "language",
        "score",
        "turns",
        "findings",
        *signals,
        *(f"blame_{t}" for t in BLAME_TARGETS),
        *(f"promises_{s}" for s in LEDGER_STATUSES),
        "warnings",
    ]
    rows = []
    for r in items:
        row: dict[str, Any] = {
            "transcript_id": r.transcript_id,
            "language": r.language,
            "score": r.score.value,
            "turns": len(r.turn_roles),
            "findings": len(r.findings),
        }
        for s in signals:
            row[s] = sum(r.counts.get(s, {}).values())
        for target in BLAME_TARGETS:
            row[f"blame_{target}"] = r.blame_targets.get(target, 0)
        status: Counter[str] = Counter(e.status for e in r.ledger)
        for st in LEDGER_STATUSES:
            row[f"promises_{st}"] = status[st]
        row["warnings"] = len(r.warnings)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


# -- timeline ----------------------------------------------------------------------------------
def timeline_data(report: Report) -> list[dict[str, Any]]:
    """Per turn: findings by polarity, the score points earned there and the running score.

    The points of each (signal, role) contribution go to its first counted findings in
    conversation order; a promise's points go to the turn of the link that settled its status.
    The running score starts at the baseline and, clipped to 0-100, ends at the report's score.
    """
    n = len(report.turn_roles)
    points = [0.0] * n
    by_group: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        by_group.setdefault((f.signal, "agent" if f.role == "bot" else f.role), []).append(f)
    for c in report.score.contributions:
        if c.signal.startswith("promise_"):
            kind = c.signal.removeprefix("promise_")
            for e in report.ledger:
                if e.status == kind and e.links and 0 <= e.links[-1].turn < n:
                    points[e.links[-1].turn] += c.weight
            continue
        group = by_group.get((c.signal, c.role), [])[: c.counted]
        for f in group:
            if 0 <= f.turn < n:
                points[f.turn] += c.points / len(group)
    rows: list[dict[str, Any]] = []
    running = report.score.baseline
    for i in range(n):
        pol: Counter[str] = Counter(f.polarity for f in report.findings if f.turn == i)
        running += points[i]
        rows.append(
            {
                "turn": i,
                "role": report.turn_roles[i],
                **{p: pol[p] for p in POLARITIES},
                "signals": [f.signal for f in report.findings if f.turn == i],
                "points": round(points[i], 2),
                "score": round(min(100.0, max(0.0, running)), 1),
            }
        )
    return rows


def plot_timeline(report: Report, ax: Axes | None = None) -> Axes:
    """Trust signals over the turns: building signals above the axis, eroding ones below
    (agent green / red, customer blue / orange), and the running trust score as a line.

    Returns the axes of the bars (the score line is on a twin axis, 0-100).
    """
    _require("matplotlib")
    if ax is None:
        plt = _require("matplotlib.pyplot")
        _fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(report.turn_roles) + 3), 4))
    assert ax is not None
    rows = timeline_data(report)
    turns = [r["turn"] for r in rows]
    colors = {p: POLARITY_COLORS[p][1] for p in POLARITIES}
    up = [0.0] * len(rows)
    for p in ("builds", "customer_positive"):
        values = [float(r[p]) for r in rows]
        ax.bar(turns, values, bottom=up, color=colors[p], alpha=0.85, label=POLARITY_LABELS[p], width=0.6)
        up = [a + b for a, b in zip(up, values, strict=True)]
    down = [0.0] * len(rows)
    for p in ("erodes", "customer_negative"):
        values = [-float(r[p]) for r in rows]
        ax.bar(turns, values, bottom=down, color=colors[p], alpha=0.85, label=POLARITY_LABELS[p], width=0.6)
        down = [a + b for a, b in zip(down, values, strict=True)]
    findings_by_turn: dict[int, list[Finding]] = {}
    for f in report.findings:
        findings_by_turn.setdefault(f.turn, []).append(f)
    for r in rows:
        fs = findings_by_turn.get(r["turn"], [])
        pos = sorted({f.signal for f in fs if f.polarity in ("builds", "customer_positive")})
        neg = sorted({f.signal for f in fs if f.polarity in ("erodes", "customer_negative")})
        if pos:
            ax.text(r["turn"], up[r["turn"]] + 0.1, "\n".join(pos), ha="center", va="bottom", fontsize=7)
        if neg:
            ax.text(r["turn"], down[r["turn"]] - 0.1, "\n".join(neg), ha="center", va="top", fontsize=7)
    ax.axhline(0, color="#57606a", linewidth=0.8)
    top = max([*up, 1.0]) + 2.5
    bottom = min([*down, -1.0]) - 2.5
    ax.set_ylim(bottom, top)
    ax.set_ylabel("findings (builds ↑ / erodes ↓)")
    ax.set_xticks(turns)
    ax.set_xticklabels([f"{r['turn']}\n{r['role']}" for r in rows], fontsize=8)
    ax.set_xlabel("turn")
    score_ax = ax.twinx()
    score_ax.plot(
        turns,
        [r["score"] for r in rows],
        color="#1f2328",
        marker="o",
        linewidth=1.6,
        label="trust score (running)",
    )
    score_ax.axhline(report.score.baseline, color="#8c959f", linewidth=0.8, linestyle=":")
    score_ax.annotate(
        f"baseline {report.score.baseline:g}",
        (0.0, report.score.baseline),
        xycoords=("axes fraction", "data"),
        xytext=(4, 3),
        textcoords="offset points",
        ha="left",
        fontsize=7,
        color="#57606a",
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
    score_ax.set_ylim(0, 100)
    score_ax.set_ylabel("trust score")
    ax.set_title(f"{report.transcript_id}: trust score {report.score.value:g}")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = score_ax.get_legend_handles_labels()
    ax.legend(
        handles + h2,
        labels + l2,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=3,
        fontsize=7,
        frameon=False,
    )
    return ax


# -- summary -----------------------------------------------------------------------------------
def summarize(results: Iterable[Result]) -> dict[str, Any]:
    """Aggregate a batch: what ``trustsignals summary`` prints.

    Keys: ``conversations``, ``errors``, ``mean_score`` (None without conversations),
    ``languages`` ({language: conversations}), ``signals`` (rows ``{signal, role, findings,
    conversations}`` sorted by signal and role), ``blame_targets`` ({target: findings}) and
    ``promises`` ({ledger status: entries}).
    """
    reports: list[Report] = []
    errors = 0
    for r in results:
        if isinstance(r, Report):
            reports.append(r)
        else:
            errors += 1
    findings: Counter[tuple[str, str]] = Counter()
    conversations: Counter[tuple[str, str]] = Counter()
    targets: Counter[str] = Counter()
    promises: Counter[str] = Counter()
    for r in reports:
        for signal, roles in r.counts.items():
            for role, n in roles.items():
                findings[(signal, role)] += n
                if n:
                    conversations[(signal, role)] += 1
        targets.update(r.blame_targets)
        promises.update(e.status for e in r.ledger)
    scores = [r.score.value for r in reports]
    return {
        "conversations": len(reports),
        "errors": errors,
        "mean_score": round(sum(scores) / len(scores), 1) if scores else None,
        "languages": dict(sorted(Counter(r.language for r in reports).items())),
        "signals": [
            {
                "signal": s,
                "role": role,
                "findings": findings[(s, role)],
                "conversations": conversations[(s, role)],
            }
            for s, role in sorted(findings)
        ],
        "blame_targets": dict(sorted(targets.items())),
        "promises": {s: promises[s] for s in LEDGER_STATUSES if promises[s]},
    }
