"""Every example of every rule in every language: must match (exact span), must not match,
and known misses that must still miss (so a fixed gap is noticed)."""

from __future__ import annotations

import pytest

from trustsignals import Analyzer
from trustsignals.ruletest import iter_cases, run_case

_ANALYZER = Analyzer()
_CASES = list(iter_cases(_ANALYZER))


def test_every_language_has_examples() -> None:
    langs = {c.rule.language for c in _CASES}
    assert langs == set(_ANALYZER.languages)


@pytest.mark.parametrize("case", _CASES, ids=[c.id for c in _CASES])
def test_rule_example(case) -> None:  # type: ignore[no-untyped-def]
    outcome = run_case(_ANALYZER, case)
    assert outcome.passed, outcome.message
