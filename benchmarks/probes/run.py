"""Probe sentences: one turn each, with the signal it should (or must not) raise.

Written from SIGNALS.md by the rule authors on 2026-12-02 to find where the rules miss new
phrasings (see README.md in this folder). Prints, per batch and language, how many expected
signals were found and how many near misses raised the signal anyway.

    python benchmarks/probes/run.py [--misses] [--batch en-4 ml-3]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import trustsignals

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="print each miss and false alarm")
    ap.add_argument("--batch", nargs="*", help="only these batches")
    args = ap.parse_args()
    rows = [json.loads(line) for line in (HERE / "probes.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.batch:
        rows = [r for r in rows if r["batch"] in args.batch]
    analyzer = trustsignals.Analyzer()
    found: Counter[tuple[str, str, bool]] = Counter()
    total: Counter[tuple[str, str, bool]] = Counter()
    for r in rows:
        report = analyzer.analyze(
            {"id": "probe", "language": r["language"], "turns": [{"role": r["role"], "text": r["text"]}]}
        )
        fired = any(f.signal == r["signal"] for f in report.findings)
        key = (r["batch"], r["language"], r["expected"])
        total[key] += 1
        found[key] += fired
        if args.misses and fired != r["expected"]:
            kind = "MISS" if r["expected"] else "FALSE ALARM"
            print(f"{kind:11s} {r['batch']:5s} {r['language']} {r['signal']:18s} {r['text']}")
    print("batch  lang  tuned  found       near misses firing")
    tuned = {r["batch"]: r["used_for_tuning"] for r in rows}
    for batch, lang in sorted({(b, lang) for b, lang, _ in total}):
        pos, neg = (batch, lang, True), (batch, lang, False)
        mark = "yes" if tuned[batch] else "no"
        print(
            f"{batch:6s} {lang:5s} {mark:6s} {found[pos]:3d}/{total[pos]:<3d}     {found[neg]}/{total[neg]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
