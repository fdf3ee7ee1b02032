"""Run every rule's own examples: what it must match (evidence in [brackets]) and must not.

Used by the test suite (one parametrised test over every example of every rule in every
language) and by ``trustsignals rules test``. Each rule is checked on its own, before findings
of the same signal are merged, so an example tests its rule and not a neighbour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .analyzer import Analyzer
from .ruleset import Example, LoadedRule


@dataclass(frozen=True)
class ExampleCase:
    rule: LoadedRule
    kind: str  # match | no_match | known_miss
    example: Example
    number: int

    @property
    def id(self) -> str:
        return f"{self.rule.language}/{self.rule.rule.id}/{self.kind}{self.number}"


@dataclass(frozen=True)
class Outcome:
    case: ExampleCase
    passed: bool
    message: str


def iter_cases(analyzer: Analyzer, under: Path | None = None) -> Iterator[ExampleCase]:
    for code in analyzer.languages:
        for lr in analyzer.ruleset.languages[code].rules:
            if under is not None and not Path(lr.path).resolve().is_relative_to(under.resolve()):
                continue
            ex = lr.rule.examples
            for kind, items in (
                ("match", ex.match),
                ("no_match", ex.no_match),
                ("known_miss", ex.known_misses),
            ):
                for i, example in enumerate(items):
                    yield ExampleCase(lr, kind, example, i)


def _default_role(lr: LoadedRule, analyzer: Analyzer) -> str:
    roles = lr.rule.roles or analyzer.ruleset.signals[lr.signal].roles
    return "agent" if "agent" in roles else roles[0]


def run_case(analyzer: Analyzer, case: ExampleCase) -> Outcome:
    lr = case.rule
    comp = analyzer.compiled(lr.language)
    raw = case.example.text
    role = case.example.role or _default_role(lr, analyzer)
    if case.kind in ("match", "known_miss"):
        a = raw.index("[")
        b = raw.index("]") - 1
        text = raw.replace("[", "", 1).replace("]", "", 1)
    else:
        a = b = -1
        text = raw
    doc = comp.pipeline.make_doc(text)
    findings = comp.find(doc, role=role, turn=0, dedupe=False)
    mine = [f for f in findings if f.rule_id == lr.rule.id]
    expected_signal = case.example.signal or lr.signal
    if case.kind == "no_match":
        bad = [f for f in mine if f.signal == expected_signal]
        if not bad:
            return Outcome(case, True, "")
        return Outcome(
            case,
            False,
            _explain(
                f"{lr.rule.id} must not match {text!r} ({role}) but found "
                + ", ".join(f"{f.signal} {f.text!r}" for f in bad),
                doc,
            ),
        )
    hit = [
        f
        for f in mine
        if f.signal == expected_signal
        and (f.start, f.end) == (a, b)
        and (case.example.target is None or f.target == case.example.target)
    ]
    if case.kind == "known_miss":
        if hit:
            return Outcome(case, False, f"{lr.rule.id} now matches its known miss {raw!r}: move it to match")
        return Outcome(case, True, "")
    if hit:
        return Outcome(case, True, "")
    got = (
        ", ".join(
            f"{f.signal} [{f.start}:{f.end}] {f.text!r}" + (f" target={f.target}" if f.target else "")
            for f in mine
        )
        or "nothing from this rule"
    )
    others = ", ".join(f"{f.rule_id}:{f.signal} {f.text!r}" for f in findings if f.rule_id != lr.rule.id)
    want = f"{expected_signal} {text[a:b]!r} [{a}:{b}]" + (
        f" target={case.example.target}" if case.example.target else ""
    )
    msg = f"{lr.rule.id} ({lr.path}) on {text!r} as {role}: expected {want}; got {got}"
    if others:
        msg += f"; other rules found {others}"
    return Outcome(case, False, _explain(msg, doc))


def _explain(message: str, doc: object) -> str:
    tokens = " ".join(f"{t.text}|{t.norm_}|{t.lemma_}" for t in doc if not t.is_space)  # type: ignore[attr-defined]
    return f"{message}\n  tokens (text|norm|lemma): {tokens}"


def run_all(analyzer: Analyzer, under: Path | None = None) -> list[Outcome]:
    return [run_case(analyzer, c) for c in iter_cases(analyzer, under)]
