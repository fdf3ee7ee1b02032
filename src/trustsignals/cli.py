"""Command line: ``trustsignals`` or ``python -m trustsignals``.

Exit codes (stable):
    0  all records analysed
    1  some records failed (each has an error record in the output and a line on stderr)
    2  could not run: bad arguments, unreadable rules or configuration
    3  a --fail-on threshold was crossed
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .analyzer import Analyzer
from .errors import TrustSignalsError
from .loaders import Record, iter_bytes, iter_path, sniff_format
from .models import ErrorRecord, Report, report_json_schema

EXIT_OK, EXIT_RECORDS_FAILED, EXIT_CANNOT_RUN, EXIT_THRESHOLD = 0, 1, 2, 3
_EXTENSIONS = {".jsonl", ".ndjson", ".json", ".csv", ".txt"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trustsignals", description="Find trust signals in support conversations."
    )
    p.add_argument("--version", action="version", version=f"trustsignals {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def rules_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--rules",
            action="append",
            default=[],
            metavar="DIR",
            help="extra rule folder (holds <lang>/ folders); repeatable",
        )
        sp.add_argument("--no-default-rules", action="store_true", help="use only the --rules folders")
        sp.add_argument("--disable", action="append", default=[], metavar="RULE_ID", help="switch a rule off")

    def config_option(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--config",
            metavar="FILE",
            help="YAML configuration: the NLP backend of each language (see docs/backends.md)",
        )

    a = sub.add_parser("analyze", help="analyse conversations (files, folders or - for stdin)")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--format", choices=["jsonl", "json", "table", "csv", "html"], default="jsonl")
    a.add_argument(
        "--input-format",
        choices=["auto", "jsonl", "json", "csv", "txt"],
        default="auto",
        help="format of standard input (files go by extension)",
    )
    a.add_argument("--language", metavar="XX", help="force this language (ISO 639-1) for every conversation")
    a.add_argument("--scoring", metavar="FILE", help="YAML overriding the trust score weights")
    a.add_argument("--strict", action="store_true", help="stop at the first record that fails")
    a.add_argument("--n-process", type=int, default=1, metavar="N", help="worker processes")
    a.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    a.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="COND",
        help="exit 3 when a conversation meets COND: 'score<40' or '<signal>>=N' "
        "(e.g. 'blame_shifting>=1'); repeatable",
    )
    rules_options(a)
    config_option(a)

    s = sub.add_parser("summary", help="aggregate a batch by signal, role and language")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--format", choices=["table", "json"], default="table")
    s.add_argument("--language", metavar="XX")
    rules_options(s)
    config_option(s)

    r = sub.add_parser("rules", help="list, validate or test rule sets")
    rsub = r.add_subparsers(dest="rules_command", required=True)
    rl = rsub.add_parser("list", help="list the rules")
    rl.add_argument("--language", metavar="XX")
    rules_options(rl)
    rv = rsub.add_parser("validate", help="load and compile rules; report the first error precisely")
    rv.add_argument("dir", nargs="?", help="a rule folder to add to the defaults")
    rt = rsub.add_parser("test", help="run every rule's examples")
    rt.add_argument("dir", nargs="?", help="a rule folder to add to the defaults (only its rules are tested)")
    rt.add_argument("--language", metavar="XX")

    sub.add_parser("schema", help="print the JSON Schema of a report")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "summary":
            return _summary(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "schema":
            print(json.dumps(report_json_schema(), indent=2, ensure_ascii=False))
            return EXIT_OK
    except TrustSignalsError as exc:
        print(f"trustsignals: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK
    return EXIT_CANNOT_RUN  # pragma: no cover


def _analyzer(args: argparse.Namespace) -> Analyzer:
    analyzer = Analyzer(
        rules=args.rules,
        include_default_rules=not args.no_default_rules,
        disable=args.disable,
        language=getattr(args, "language", None),
        scoring=getattr(args, "scoring", None),
        config=getattr(args, "config", None),
    )
    # a configured backend whose model is missing stops the run here (exit 2), once
    for code, backend in analyzer.backend_config.items():
        if backend.backend != "blank":
            analyzer.compiled(code)
    return analyzer


def _expand(paths: Sequence[str]) -> Iterator[str]:
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in _EXTENSIONS:
                    yield str(f)
        else:
            yield p


def _input_records(analyzer: Analyzer, paths: Sequence[str], input_format: str) -> Iterator[Record]:
    index = 0
    for p in _expand(paths):
        if p == "-":
            data = sys.stdin.buffer.read()
            fmt = sniff_format(data) if input_format == "auto" else input_format
            recs: Iterator[Record] = iter_bytes(
                data, source="<stdin>", fmt=fmt, builder=analyzer.builder, default_id="stdin"
            )
        else:
            recs = iter_path(Path(p), builder=analyzer.builder)
        for rec in recs:
            yield Record(index, rec.source, rec.transcript, rec.error, rec.record_id)
            index += 1


def _analyze(args: argparse.Namespace) -> int:
    analyzer = _analyzer(args)
    conditions = [_parse_condition(c) for c in args.fail_on]
    records = _input_records(analyzer, args.paths, args.input_format)
    results = analyzer._run(records, n_process=args.n_process, batch_size=64)
    out: TextIO = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    failed = 0
    crossed = 0
    collected: list[Report | ErrorRecord] = []
    csv_writer = None
    try:
        for result in results:
            if isinstance(result, ErrorRecord):
                failed += 1
                print(
                    f"trustsignals: record {result.index} ({result.source}): [{result.error['code']}] "
                    f"{result.error['message']}",
                    file=sys.stderr,
                )
                if args.strict:
                    if args.format == "jsonl":
                        out.write(result.to_json() + "\n")
                    return EXIT_RECORDS_FAILED
            elif conditions and any(_meets(result, c) for c in conditions):
                crossed += 1
                print(f"trustsignals: {result.transcript_id} meets --fail-on", file=sys.stderr)
            if args.format == "jsonl":
                out.write(result.to_json() + "\n")
                out.flush()
            elif args.format == "table":
                out.write(_table(result))
            elif args.format == "csv":
                if csv_writer is None:
                    csv_writer = csv.writer(out)
                    csv_writer.writerow(CSV_COLUMNS)
                for row in csv_rows(result):
                    csv_writer.writerow(row)
            else:
                collected.append(result)
        if args.format == "json":
            json.dump([json.loads(r.to_json()) for r in collected], out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif args.format == "html":
            from .views import batch_html

            out.write(
                batch_html(
                    [r for r in collected if isinstance(r, Report)],
                    errors=[r for r in collected if isinstance(r, ErrorRecord)],
                )
            )
    finally:
        if args.output:
            out.close()
    if failed:
        return EXIT_RECORDS_FAILED
    return EXIT_THRESHOLD if crossed else EXIT_OK


CSV_COLUMNS = [
    "transcript_id",
    "language",
    "score",
    "turn",
    "role",
    "signal",
    "polarity",
    "target",
    "start",
    "end",
    "text",
    "rule_id",
    "confidence",
    "explanation",
]


def csv_rows(result: Report | ErrorRecord) -> Iterator[list[Any]]:
    """One row per finding (a report without findings gives one row with empty finding columns)."""
    if isinstance(result, ErrorRecord):
        yield [
            result.transcript_id or "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            result.error["code"],
            "",
            result.error["message"],
        ]
        return
    if not result.findings:
        yield [result.transcript_id, result.language, result.score.value] + [""] * 11
    for f in result.findings:
        yield [
            result.transcript_id,
            result.language,
            result.score.value,
            f.turn,
            f.role,
            f.signal,
            f.polarity,
            f.target or "",
            f.start,
            f.end,
            f.text,
            f.rule_id,
            f.confidence,
            f.explanation,
        ]


def _table(result: Report | ErrorRecord) -> str:
    buf = io.StringIO()
    if isinstance(result, ErrorRecord):
        err = result.error
        buf.write(f"! record {result.index} ({result.source}): [{err['code']}] {err['message']}\n\n")
        return buf.getvalue()
    buf.write(f"== {result.transcript_id}  language={result.language}  trust score={result.score.value:g}\n")
    for f in result.findings:
        tgt = f" -> {f.target}" if f.target else ""
        mark = "+" if f.polarity in ("builds", "customer_positive") else "-"
        buf.write(
            f"  {mark} turn {f.turn:>3} {f.role:<8} {f.signal:<18}{tgt:<14} {f.text!r}  ({f.rule_id})\n"
        )
    for w in result.warnings:
        buf.write(f"  ! {w}\n")
    buf.write(f"  score: {result.score.explanation}\n\n")
    return buf.getvalue()


def _parse_condition(cond: str) -> tuple[str, str, float]:
    import re

    m = re.fullmatch(r"\s*([a-z_]+)\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)\s*", cond)
    if not m:
        raise TrustSignalsError(
            f"cannot read --fail-on {cond!r}", field="--fail-on", expected="'score<40' or '<signal>>=N'"
        )
    return m.group(1), m.group(2), float(m.group(3))


def _meets(report: Report, cond: tuple[str, str, float]) -> bool:
    name, op, value = cond
    actual = report.score.value if name == "score" else float(sum(report.counts.get(name, {}).values()))
    return {
        "<": actual < value,
        "<=": actual <= value,
        ">": actual > value,
        ">=": actual >= value,
        "==": actual == value,
    }[op]


def _summary(args: argparse.Namespace) -> int:
    from .views import summarize

    analyzer = _analyzer(args)
    results = list(analyzer._run(_input_records(analyzer, args.paths, "auto"), n_process=1, batch_size=64))
    summary = summarize(results)
    if args.format == "json":
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(
            f"conversations: {summary['conversations']}  errors: {summary['errors']}  "
            f"mean trust score: {summary['mean_score']}"
        )
        print(f"languages: {summary['languages']}")
        print(f"{'signal':20} {'role':9} {'findings':>8} {'conversations':>13}")
        for row in summary["signals"]:
            print(f"{row['signal']:20} {row['role']:9} {row['findings']:>8} {row['conversations']:>13}")
        if summary["blame_targets"]:
            print(f"blame targets: {summary['blame_targets']}")
    return EXIT_RECORDS_FAILED if summary["errors"] else EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    if args.rules_command == "list":
        analyzer = _analyzer(args)
        for code in analyzer.languages:
            if args.language and code != args.language:
                continue
            for lr in analyzer.ruleset.languages[code].rules:
                print(f"{lr.rule.id:40} {code:3} {lr.signal:18} {lr.path}")
        return EXIT_OK
    extra = [args.dir] if args.dir else []
    analyzer = Analyzer(rules=extra)
    if args.rules_command == "validate":
        for code in analyzer.languages:
            analyzer.compiled(code)
        n = len(analyzer.ruleset.rule_ids())
        print(f"ok: {n} rules in {len(analyzer.languages)} languages ({', '.join(analyzer.languages)})")
        return EXIT_OK
    from .ruletest import iter_cases, run_case

    under = Path(args.dir) if args.dir else None
    passed = failed = 0
    for case in iter_cases(analyzer, under):
        if args.language and case.rule.language != args.language:
            continue
        outcome = run_case(analyzer, case)
        if outcome.passed:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {case.id}: {outcome.message}")
    print(f"{passed} passed, {failed} failed")
    return EXIT_OK if not failed else EXIT_RECORDS_FAILED
