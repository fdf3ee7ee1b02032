#!/usr/bin/env python
"""trustsignals benchmark: throughput, long conversations, cold start, memory, parallelism.

    python benchmarks/bench.py            # full run: 3,000 conversations, 3 timed runs per measure
    python benchmarks/bench.py --quick    # 600 conversations, 1 timed run per measure

Measures, in one run:

* conversations per second of ``spacy.blank(lang).make_doc`` on every turn (the floor: what
  tokenisation alone costs) and of ``Analyzer.analyze_many`` on the same conversations, in
  every language of the samples, with language detection (no language is passed); their ratio;
* the cost per turn of 20-turn conversations versus one 4,000-turn conversation (same turns);
* cold start: in a fresh interpreter, ``import trustsignals`` to the first report (every
  language's rules loaded, only the needed one compiled);
* peak memory (``VmHWM``; ``ru_maxrss`` too) of a fresh process that compiles every language and analyses the
  whole corpus (plus one 4,000-turn conversation per language) from a JSONL file;
* ``analyze_many`` throughput with ``n_process=1`` and ``n_process=2`` (pool start included).

Wall-clock times are the medians of the timed runs; CPU times (``time.process_time``) are
recorded too, since they hold up better on a shared machine (the load average is recorded).
When PyTorch is installed (the ``stanza`` extra), spaCy's ``thinc`` imports it on
``import spacy``: cold start and memory are then measured both as installed and with torch
hidden (as on an install without it).

The corpus is built from ``samples/<lang>/`` only (see ``corpus.py``). Results go to
``benchmarks/results/<date>-<machine>.json``; a Markdown table goes to standard output.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import gc
import importlib.util
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import (  # noqa: E402
    ROOT,
    SEED,
    Conversation,
    build_corpus,
    iter_dicts,
    load_samples,
    long_conversation,
)

ANALYZER_KW: dict[str, Any] = {}  # Analyzer arguments (--rules), the same in child processes

TARGETS = {
    "analyzer_vs_tokenize": (">=", 0.5),
    "long_vs_short_per_turn": ("<=", 1.2),
    "cold_start_s": ("<", 3.0),
    "peak_rss_mb": ("<", 500.0),
    "parallel_speedup": (">=", 1.7),
}


# --------------------------------------------------------------------------- machine
def machine_info() -> dict[str, Any]:
    import pydantic
    import spacy

    import trustsignals

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb: float | None = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        commit = out.stdout.strip() or None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "pydantic": pydantic.__version__,
        "trustsignals": trustsignals.__version__,
        "torch_installed": importlib.util.find_spec("torch") is not None,
        "git": commit,
    }


def machine_slug(info: dict[str, Any]) -> str:
    words = re.sub(r"\(.*?\)|processor|cpu|@.*", "", str(info["cpu"]), flags=re.I).lower()
    words = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    words = "-".join(words.split("-")[:3])
    ram = f"-{round(info['ram_gb'])}g" if info.get("ram_gb") else ""
    return f"{words}-{info['cores']}c{ram}"


def load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return []


# --------------------------------------------------------------------------- timing helpers
def timed(fn: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Median wall and CPU time of ``repeat`` runs of ``fn`` (garbage collected before each)."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "wall_runs": walls,
        "cpu_runs": cpus,
    }


def consume(it: Iterable[Any]) -> int:
    n = 0
    for _ in it:
        n += 1
    return n


def run_child(code: str) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


HIDE_TORCH = "import sys; sys.modules['torch'] = None  # as if PyTorch were not installed\n"

COLD_CHILD = r"""
import json, sys, time
conv = json.loads(open({path!r}, encoding="utf-8").read())
t0 = time.perf_counter()
import trustsignals
t_import = time.perf_counter() - t0
analyzer = trustsignals.Analyzer(**{kw})
t_init = time.perf_counter() - t0
report = analyzer.analyze(conv["first"])
t_first = time.perf_counter() - t0
for c in conv["each"]:
    analyzer.analyze(c)
t_all = time.perf_counter() - t0
print(json.dumps({{"import_s": t_import, "analyzer_s": t_init, "first_report_s": t_first,
                  "every_language_s": t_all, "languages": analyzer.languages,
                  "first_language": report.language, "torch_imported": "torch" in sys.modules
                  and sys.modules["torch"] is not None}}))
"""

MEMORY_CHILD = r"""
import json, pathlib, resource, sys, time
import trustsignals
analyzer = trustsignals.Analyzer(**{kw})
for lang in analyzer.languages:
    analyzer.compiled(lang)
n = 0
size = 0
t0 = time.perf_counter()
for result in analyzer.analyze_many([pathlib.Path({path!r})]):
    size += len(result.to_json())
    n += 1
elapsed = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
hwm = None
try:  # this process's own peak (ru_maxrss also counts the parent's memory at fork, on Linux)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
except OSError:
    pass
print(json.dumps({{"conversations": n, "json_bytes": size, "elapsed_s": elapsed, "ru_maxrss_kib": rss,
                  "vm_hwm_kib": hwm,
                  "languages": analyzer.languages, "torch_imported": "torch" in sys.modules
                  and sys.modules["torch"] is not None}}))
"""


UNSEEN_CHILD = r"""
import json, sys, time
sys.path.insert(0, {here!r})
from corpus import build_corpus, iter_dicts, load_samples
import spacy
import trustsignals
analyzer = trustsignals.Analyzer(**{kw})
convs = []
for path in {paths!r}:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                data = json.loads(line)
                convs.append({{"id": str(data.get("id", len(convs))), "language": data.get("language"),
                              "turns": [{{"role": t["role"], "text": t["text"]}} for t in data["turns"]]}})
# languages for the tokenizer: the file's, else the analyzer's own decision (not timed)
langs = []
for c in convs:
    lang = c.pop("language") or analyzer.identifier.conversation(
        [t["text"] for t in c["turns"]], [t["role"] for t in c["turns"]])[0]
    langs.append(lang if lang in analyzer.languages else "xx")
nlps = {{lang: spacy.blank(lang) for lang in set(langs)}}
# warm both on the samples (every language compiled, tokenizers used), never on these texts
warm = list(iter_dicts(build_corpus(load_samples(analyzer=analyzer), 200)))
for lang in analyzer.languages:
    analyzer.compiled(lang)
for _ in analyzer.analyze_many(warm):
    pass
for d in warm:
    for t in d["turns"]:
        for nlp in nlps.values():
            nlp.make_doc(t["text"])
turns = [(lang, t["text"]) for lang, c in zip(langs, convs) for t in c["turns"]]
t0 = time.process_time()
for lang, text in turns:
    nlps[lang].make_doc(text)
tokenize = time.process_time() - t0
t0 = time.process_time()
n_reports = sum(1 for _ in analyzer.analyze_many(convs))
first = time.process_time() - t0
t0 = time.process_time()
for _ in analyzer.analyze_many(convs):
    pass
second = time.process_time() - t0
print(json.dumps({{"conversations": len(convs), "turns": len(turns), "reports": n_reports,
                  "tokenize_cpu_s": tokenize, "analyzer_first_pass_cpu_s": first,
                  "analyzer_second_pass_cpu_s": second}}))
"""


# --------------------------------------------------------------------------- measurements
def bench_unseen(paths: list[Path]) -> dict[str, Any]:
    """Throughput on conversations the process has never seen: one pass each, CPU time.

    The sample corpus repeats 16 conversations, so every cache keyed by text (spaCy's lexemes,
    the token-pattern masks, RE2's automata, the ledger's date searches) is warm after the first
    copies; real traffic is mostly text seen for the first time.
    """
    code = UNSEEN_CHILD.format(here=str(HERE), kw=ANALYZER_KW, paths=[str(p.resolve()) for p in paths])
    res, wall = run_child(code)
    turns = res["turns"]
    res["files"] = [p.name for p in paths]
    res["tokenize_us_per_turn"] = res["tokenize_cpu_s"] / turns * 1e6
    res["analyzer_first_pass_us_per_turn"] = res["analyzer_first_pass_cpu_s"] / turns * 1e6
    res["analyzer_second_pass_us_per_turn"] = res["analyzer_second_pass_cpu_s"] / turns * 1e6
    res["analyzer_vs_tokenize_first_pass"] = res["tokenize_cpu_s"] / res["analyzer_first_pass_cpu_s"]
    res["process_wall_s"] = wall
    return res


def bench_throughput(analyzer: Any, corpus: list[Conversation], repeat: int) -> dict[str, Any]:
    import spacy

    blanks: dict[str, Any] = {}
    for conv in corpus:
        if conv.language not in blanks:
            rules = analyzer.ruleset.languages.get(conv.language)
            code = (rules.spec.spacy_lang or rules.spec.code) if rules is not None else conv.language
            blanks[conv.language] = spacy.blank(code)
    work = [(blanks[c.language].make_doc, c.texts) for c in corpus]
    n_turns = sum(len(t) for _, t in work)
    n_chars = sum(len(x) for _, t in work for x in t)

    def tokenize() -> None:
        for make_doc, texts in work:
            for text in texts:
                make_doc(text)

    dicts = list(iter_dicts(corpus))

    def analyze() -> None:
        consume(analyzer.analyze_many(dicts))

    tokenize()  # warm: lexeme caches
    analyze()  # warm: every language compiled, caches filled (as in a long-running service)
    tok = timed(tokenize, repeat)
    ana = timed(analyze, repeat)
    reports = list(analyzer.analyze_many(dicts))
    gc.collect()
    t0 = time.perf_counter()
    for r in reports:
        r.to_json()
    t_json = time.perf_counter() - t0
    langs = collections.Counter(c.language for c in corpus)
    detected = collections.Counter(getattr(r, "language", "error") for r in reports)
    wrong = sum(1 for c, r in zip(corpus, reports, strict=True) if getattr(r, "language", None) != c.language)
    n = len(corpus)
    return {
        "conversations": n,
        "turns": n_turns,
        "characters": n_chars,
        "languages": dict(sorted(langs.items())),
        "detected_languages": dict(sorted(detected.items())),
        "detected_other_than_sample_folder": wrong,
        "tokenize_conv_per_s": n / tok["wall"],
        "tokenize_conv_per_cpu_s": n / tok["cpu"],
        "tokenize_runs": tok,
        "analyzer_conv_per_s": n / ana["wall"],
        "analyzer_conv_per_cpu_s": n / ana["cpu"],
        "analyzer_turns_per_s": n_turns / ana["wall"],
        "analyzer_runs": ana,
        "analyzer_vs_tokenize": tok["wall"] / ana["wall"],
        "analyzer_vs_tokenize_cpu": tok["cpu"] / ana["cpu"],
        "tokenize_us_per_turn": tok["wall"] / n_turns * 1e6,
        "analyzer_us_per_turn": ana["wall"] / n_turns * 1e6,
        "to_json_conv_per_s": n / t_json,
        "findings": sum(len(getattr(r, "findings", ())) for r in reports),
        "errors": sum(1 for r in reports if not hasattr(r, "findings")),
    }


def bench_long(
    analyzer: Any, samples: dict[str, list[Conversation]], long_turns: int, short_turns: int, repeat: int
) -> dict[str, Any]:
    per_lang: dict[str, Any] = {}
    tot = collections.Counter[str]()
    n_short = long_turns // short_turns
    for lang in sorted(samples):
        shorts = [
            long_conversation(samples, lang, short_turns, offset=k * short_turns).data for k in range(n_short)
        ]
        longc = long_conversation(samples, lang, long_turns).data
        analyzer.analyze(shorts[0])  # warm this language
        s = timed(lambda shorts=shorts: consume(analyzer.analyze_many(shorts)), repeat)
        lo = timed(lambda longc=longc: analyzer.analyze(longc), repeat)
        per_lang[lang] = {
            "short_per_turn_us": s["wall"] / long_turns * 1e6,
            "long_per_turn_us": lo["wall"] / long_turns * 1e6,
            "ratio": lo["wall"] / s["wall"],
            "ratio_cpu": lo["cpu"] / s["cpu"],
        }
        for k in ("wall", "cpu"):
            tot[f"short_{k}"] += s[k]
            tot[f"long_{k}"] += lo[k]
    n_turns = long_turns * len(per_lang)
    return {
        "short_turns": short_turns,
        "short_conversations_per_language": n_short,
        "long_turns": long_turns,
        "short_per_turn_us": tot["short_wall"] / n_turns * 1e6,
        "long_per_turn_us": tot["long_wall"] / n_turns * 1e6,
        "long_vs_short_per_turn": tot["long_wall"] / tot["short_wall"],
        "long_vs_short_per_turn_cpu": tot["long_cpu"] / tot["short_cpu"],
        "per_language": per_lang,
    }


def bench_cold(
    samples: dict[str, list[Conversation]], corpus: list[Conversation], runs: int, tmp: Path, hide_torch: bool
) -> dict[str, Any]:
    path = tmp / "cold.json"
    each = [samples[lang][0].data for lang in sorted(samples)]
    path.write_text(json.dumps({"first": corpus[0].data, "each": each}), encoding="utf-8")
    code = (HIDE_TORCH if hide_torch else "") + COLD_CHILD.format(path=str(path), kw=ANALYZER_KW)
    results, walls = [], []
    for _ in range(runs):
        res, wall = run_child(code)
        results.append(res)
        walls.append(wall)
    return {
        "cold_start_s": statistics.median(r["first_report_s"] for r in results),
        "runs_first_report_s": [r["first_report_s"] for r in results],
        "import_s": statistics.median(r["import_s"] for r in results),
        "analyzer_init_s": statistics.median(r["analyzer_s"] - r["import_s"] for r in results),
        "first_analyze_s": statistics.median(r["first_report_s"] - r["analyzer_s"] for r in results),
        "to_every_sample_language_s": statistics.median(r["every_language_s"] for r in results),
        "process_wall_s": statistics.median(walls),
        "first_conversation_language": results[0]["first_language"],
        "languages": results[0]["languages"],
        "torch_imported": results[0]["torch_imported"],
    }


def bench_memory(path: Path, hide_torch: bool) -> dict[str, Any]:
    code = (HIDE_TORCH if hide_torch else "") + MEMORY_CHILD.format(path=str(path), kw=ANALYZER_KW)
    res, wall = run_child(code)
    # On Linux ru_maxrss survives execve, so a child started by a big parent reports at least
    # the parent's size; VmHWM (the high-water mark of the child's own address space) does not.
    res["peak_rss_mb"] = (res["vm_hwm_kib"] or res["ru_maxrss_kib"]) / 1024
    res["ru_maxrss_mb"] = res["ru_maxrss_kib"] / 1024
    res["process_wall_s"] = wall
    res["input_bytes"] = path.stat().st_size
    return res


def bench_parallel(analyzer: Any, corpus: list[Conversation], repeat: int, batch_size: int) -> dict[str, Any]:
    dicts = list(iter_dicts(corpus))
    out: dict[str, Any] = {"conversations": len(dicts), "batch_size": batch_size}
    for n in (1, 2):
        t = timed(
            lambda n=n: consume(analyzer.analyze_many(dicts, n_process=n, batch_size=batch_size)), repeat
        )
        out[f"n_process_{n}_conv_per_s"] = len(dicts) / t["wall"]
        out[f"n_process_{n}_runs"] = t
    out["parallel_speedup"] = out["n_process_2_conv_per_s"] / out["n_process_1_conv_per_s"]
    return out


# --------------------------------------------------------------------------- report
def verdict(key: str, value: float) -> str:
    op, target = TARGETS[key]
    ok = {"<": value < target, "<=": value <= target, ">=": value >= target}[op]
    return "yes" if ok else "**no**"


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    th, lg, par = res["throughput"], res["long"], res["parallel"]
    cold, mem = res["cold_start"], res["memory"]
    cold_nt, mem_nt = res.get("cold_start_without_torch"), res.get("memory_without_torch")
    torch_note = " (torch imported by spaCy)" if cold.get("torch_imported") else ""
    rows = [
        (
            "Tokenize only (`spacy.blank(lang).make_doc`, every turn)",
            f"{th['tokenize_conv_per_s']:,.0f} conv/s ({th['tokenize_us_per_turn']:,.0f} µs/turn)",
            "floor",
            "",
        ),
        (
            "Analyzer (`analyze_many`, language detection on)",
            f"{th['analyzer_conv_per_s']:,.0f} conv/s ({th['analyzer_us_per_turn']:,.0f} µs/turn)",
            "",
            "",
        ),
        (
            "Analyzer / tokenize-only",
            f"{th['analyzer_vs_tokenize']:.3f}x (CPU time {th['analyzer_vs_tokenize_cpu']:.3f}x)",
            "≥ 0.5x",
            verdict("analyzer_vs_tokenize", th["analyzer_vs_tokenize"]),
        ),
        (f"Per turn, {lg['short_turns']}-turn conversations", f"{lg['short_per_turn_us']:,.0f} µs", "", ""),
        (
            f"Per turn, one {lg['long_turns']:,}-turn conversation",
            f"{lg['long_per_turn_us']:,.0f} µs",
            "",
            "",
        ),
        (
            "Long / short per-turn cost",
            f"{lg['long_vs_short_per_turn']:.2f}x (CPU time {lg['long_vs_short_per_turn_cpu']:.2f}x)",
            "≤ 1.2x",
            verdict("long_vs_short_per_turn", lg["long_vs_short_per_turn"]),
        ),
        (
            f"Cold start, `import trustsignals` → first report{torch_note}",
            f"{cold['cold_start_s']:.2f} s (import {cold['import_s']:.2f}, `Analyzer()` "
            f"{cold['analyzer_init_s']:.2f}, first analysis {cold['first_analyze_s']:.2f})",
            "< 3 s",
            verdict("cold_start_s", cold["cold_start_s"]),
        ),
    ]
    if cold_nt:
        rows.append(
            (
                "Cold start, without PyTorch installed",
                f"{cold_nt['cold_start_s']:.2f} s (import {cold_nt['import_s']:.2f}, `Analyzer()` "
                f"{cold_nt['analyzer_init_s']:.2f}, first analysis {cold_nt['first_analyze_s']:.2f})",
                "< 3 s",
                verdict("cold_start_s", cold_nt["cold_start_s"]),
            )
        )
    rows.append(
        (
            f"Peak memory, whole corpus, all languages compiled{torch_note}",
            f"{mem['peak_rss_mb']:.0f} MB",
            "< 500 MB",
            verdict("peak_rss_mb", mem["peak_rss_mb"]),
        )
    )
    if mem_nt:
        rows.append(
            (
                "Peak memory, without PyTorch installed",
                f"{mem_nt['peak_rss_mb']:.0f} MB",
                "< 500 MB",
                verdict("peak_rss_mb", mem_nt["peak_rss_mb"]),
            )
        )
    rows += [
        ("`analyze_many(n_process=1)`", f"{par['n_process_1_conv_per_s']:,.0f} conv/s", "", ""),
        ("`analyze_many(n_process=2)`", f"{par['n_process_2_conv_per_s']:,.0f} conv/s", "", ""),
        (
            "Speed-up, 2 processes vs 1",
            f"{par['parallel_speedup']:.2f}x",
            "≥ 1.7x",
            verdict("parallel_speedup", par["parallel_speedup"]),
        ),
    ]
    unseen = res.get("unseen")
    if unseen:
        rows += [
            (
                f"Unseen text ({', '.join(unseen['files'])}: {unseen['conversations']:,} conversations, "
                f"{unseen['turns']:,} turns, one pass): tokenize only",
                f"{unseen['tokenize_us_per_turn']:,.0f} µs/turn",
                "",
                "",
            ),
            (
                "Unseen text: analyzer, first pass / second pass",
                f"{unseen['analyzer_first_pass_us_per_turn']:,.0f} / "
                f"{unseen['analyzer_second_pass_us_per_turn']:,.0f} µs/turn",
                "",
                "",
            ),
            (
                "Unseen text: analyzer / tokenize-only, first pass",
                f"{unseen['analyzer_vs_tokenize_first_pass']:.3f}x",
                "≥ 0.5x",
                verdict("analyzer_vs_tokenize", unseen["analyzer_vs_tokenize_first_pass"]),
            ),
        ]
    corpus = res["corpus"]
    lines = [
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"spaCy {m['spacy']}, pydantic {m['pydantic']}, trustsignals {m['trustsignals']} ({m['git']}); "
        f"PyTorch installed: {'yes' if m['torch_installed'] else 'no'}",
        f"- Command: `{res['command']}` ({res['date']}); load average at start {res['load_before']}, "
        f"at end {res['load_after']}",
        f"- Corpus: {th['conversations']:,} conversations, {th['turns']:,} turns; "
        + ", ".join(f"{k} {v}" for k, v in th["languages"].items())
        + f" (copies of {corpus['unique_sample_conversations']} sample conversations, seed {corpus['seed']})",
        "",
        "| Measure | Result | Target | Met |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="600 conversations, 1 timed run per measure")
    ap.add_argument("--conversations", type=int, help="corpus size (default 3000; 600 with --quick)")
    ap.add_argument(
        "--repeat", type=int, help="timed runs per measure, median kept (default 3; 1 with --quick)"
    )
    ap.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON results")
    ap.add_argument("--machine", help="short machine name for the file name (default: from the CPU)")
    ap.add_argument("--rules", type=Path, help="benchmark this rule folder instead of the packaged rules")
    ap.add_argument("--samples", type=Path, help="sample folder (default: samples/ of the checkout)")
    ap.add_argument("--no-write", action="store_true", help="print only, write no JSON file")
    ap.add_argument(
        "--unseen",
        type=Path,
        nargs="+",
        metavar="JSONL",
        help="also measure one pass over these conversations, never seen by the process",
    )
    args = ap.parse_args(argv)
    size = args.conversations or (600 if args.quick else 3000)
    repeat = args.repeat or (1 if args.quick else 3)
    command = "python benchmarks/bench.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "")
    load_before = load()
    start = time.perf_counter()

    def say(msg: str) -> None:
        print(f"bench [{time.perf_counter() - start:6.1f} s]: {msg}", file=sys.stderr, flush=True)

    import trustsignals

    if args.rules:
        ANALYZER_KW.update(rules=[str(args.rules.resolve())], include_default_rules=False)
    info = machine_info()
    analyzer = trustsignals.Analyzer(**ANALYZER_KW)
    samples = (
        load_samples(args.samples.resolve(), analyzer=analyzer)
        if args.samples
        else load_samples(analyzer=analyzer)
    )
    corpus = build_corpus(samples, size, SEED)
    say(f"{len(corpus)} conversations in {sorted(samples)}; rule languages {analyzer.languages}")
    res: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "command": command,
        "machine": info,
        "load_before": load_before,
        "corpus": {
            "source": "samples/<lang>/ (shipped samples only)",
            "seed": SEED,
            "size": size,
            "unique_sample_conversations": sum(len(v) for v in samples.values()),
            "sample_languages": sorted(samples),
            "rule_languages": analyzer.languages,
        },
        "repeat": repeat,
        "targets": {k: f"{op} {v}" for k, (op, v) in TARGETS.items()},
    }
    say("throughput (tokenize-only floor vs analyzer)")
    res["throughput"] = bench_throughput(analyzer, corpus, repeat)
    say("per-turn cost: 20-turn conversations vs one 4,000-turn conversation")
    res["long"] = bench_long(analyzer, samples, 4000, 20, repeat)
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "corpus.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for conv in [*corpus, *(long_conversation(samples, lang, 4000) for lang in sorted(samples))]:
                fh.write(json.dumps(conv.data, ensure_ascii=False) + "\n")
        say("cold start (fresh interpreters)")
        res["cold_start"] = bench_cold(samples, corpus, 3, tmp, hide_torch=False)
        say("peak memory (fresh process, whole corpus)")
        res["memory"] = bench_memory(path, hide_torch=False)
        if info["torch_installed"]:
            say("cold start and memory again, with PyTorch hidden")
            res["cold_start_without_torch"] = bench_cold(samples, corpus, 3, tmp, hide_torch=True)
            res["memory_without_torch"] = bench_memory(path, hide_torch=True)
    if args.unseen:
        say(f"unseen conversations: {', '.join(p.name for p in args.unseen)}")
        res["unseen"] = bench_unseen(args.unseen)
    say("n_process=1 vs n_process=2")
    res["parallel"] = bench_parallel(analyzer, corpus, repeat, 64)
    res["load_after"] = load()
    res["summary"] = {
        "analyzer_vs_tokenize": res["throughput"]["analyzer_vs_tokenize"],
        "long_vs_short_per_turn": res["long"]["long_vs_short_per_turn"],
        "cold_start_s": res["cold_start"]["cold_start_s"],
        "peak_rss_mb": res["memory"]["peak_rss_mb"],
        "parallel_speedup": res["parallel"]["parallel_speedup"],
    }
    res["met"] = {k: verdict(k, v) == "yes" for k, v in res["summary"].items()}
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        out = args.out / f"{res['date']}-{args.machine or machine_slug(info)}.json"
        out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        say(f"wrote {out}")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
