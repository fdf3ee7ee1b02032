"""Malformed rule files give errors that name the file, the rule id and the field; nothing half-loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustsignals import Analyzer, RuleError, UnsafeRegexError

GOOD = """signal: apology
rules:
  - id: XX_APOLOGY_SORRY
    phrases: ["sorry"]
    examples: {match: ["[sorry]"], no_match: ["hello"]}
"""


def make(tmp_path: Path, body: str, name: str = "apology.yaml", lang: str = "en") -> Path:
    folder = tmp_path / lang
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    return tmp_path


def test_when_user_rule_valid_then_added_and_fires(tmp_path: Path) -> None:
    a = Analyzer(rules=[make(tmp_path, GOOD.replace("sorry", "sozzle"))])
    report = a.analyze({"id": "x", "language": "en", "turns": [{"role": "agent", "text": "sozzle"}]})
    assert any(f.rule_id == "XX_APOLOGY_SORRY" for f in report.findings)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (GOOD.replace("signal: apology", "signal: apologies"), "unknown signal 'apologies'"),
        (GOOD.replace("XX_APOLOGY_SORRY", "bad id"), "rule id"),
        (GOOD.replace('phrases: ["sorry"]', 'phrases: ["sorry"]\n    confidnce: 0.5'), "confidnce"),
        (
            GOOD.replace(
                'examples: {match: ["[sorry]"], no_match: ["hello"]}', 'examples: {match: ["[sorry]"]}'
            ),
            "examples",
        ),
        (GOOD.replace('["[sorry]"]', '["sorry"]'), "[brackets]"),
        (GOOD.replace('phrases: ["sorry"]', "patterns: [[{LOWR: sorry}]]"), "unknown key 'LOWR'"),
        (GOOD.replace('phrases: ["sorry"]', 'regex: ["Sorry"]'), "folded text never contains"),
        (
            GOOD.replace('phrases: ["sorry"]', 'roles: [customer]\n    phrases: ["sorry"]'),
            "outside the roles",
        ),
        (
            GOOD.replace('phrases: ["sorry"]', 'target: customer\n    phrases: ["sorry"]'),
            "only blame_shifting",
        ),
        ("signal: apology\nrules: [\n", "invalid YAML"),
    ],
)
def test_when_rule_file_malformed_then_error_names_file_rule_and_field(
    tmp_path: Path, body: str, needle: str
) -> None:
    with pytest.raises(RuleError) as err:
        Analyzer(rules=[make(tmp_path, body)])
    assert needle in str(err.value)
    assert "apology.yaml" in str(err.value)


@pytest.mark.parametrize("regex", ["(?<=a)b", "(a)\\\\1"])
def test_when_regex_is_not_re2_then_rejected(tmp_path: Path, regex: str) -> None:
    body = GOOD.replace('phrases: ["sorry"]', f'regex: ["{regex}"]')
    with pytest.raises(UnsafeRegexError):
        Analyzer(rules=[make(tmp_path, body)])


def test_when_whole_turn_regex_nests_repetition_then_it_runs_in_linear_time(tmp_path: Path) -> None:
    body = GOOD.replace('phrases: ["sorry"]', 'regex: ["(s+)+x"]')
    a = Analyzer(rules=[make(tmp_path, body)], languages=["en"])
    text = "s" * 20_000  # would take forever with a backtracking engine
    report = a.analyze({"id": "x", "language": "en", "turns": [{"role": "agent", "text": text}]})
    assert all(f.rule_id != "XX_APOLOGY_SORRY" for f in report.findings)


def test_when_token_regex_nests_repetition_then_rejected(tmp_path: Path) -> None:
    body = GOOD.replace('phrases: ["sorry"]', 'patterns: [[{NORM: {REGEX: "^(s+)+$"}}]]')
    with pytest.raises(UnsafeRegexError):
        Analyzer(rules=[make(tmp_path, body)])


def test_when_duplicate_rule_id_then_error(tmp_path: Path) -> None:
    make(tmp_path, GOOD)
    make(tmp_path, GOOD, name="apology2.yaml")
    with pytest.raises(RuleError, match="XX_APOLOGY_SORRY"):
        Analyzer(rules=[tmp_path])


def test_when_new_language_folder_lacks_language_yaml_then_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"language\.yaml"):
        Analyzer(rules=[make(tmp_path, GOOD, lang="de")], languages=["en", "de"])


def test_when_new_language_is_a_folder_then_it_works_without_code(tmp_path: Path) -> None:
    make(tmp_path, "code: de\nname: German\n", name="language.yaml", lang="de")
    make(
        tmp_path,
        GOOD.replace("XX_", "DE_")
        .replace("sorry", "entschuldigung")
        .replace("[entschuldigung]", "[Entschuldigung]"),
        lang="de",
    )
    a = Analyzer(rules=[tmp_path], languages=["en", "de"])
    assert "de" in a.languages
    report = a.analyze(
        {
            "id": "x",
            "language": "de",
            "turns": [{"role": "agent", "text": "Entschuldigung für die Verspätung."}],
        }
    )
    assert [f.signal for f in report.findings] == ["apology"]


def test_when_disable_rule_then_it_no_longer_fires() -> None:
    a = Analyzer(disable=["EN_APOLOGY_SORRY", "EN_APOLOGY_SORRY_BARE"])
    report = a.analyze(
        {"id": "x", "language": "en", "turns": [{"role": "agent", "text": "Sorry for the delay."}]}
    )
    assert "apology" not in {f.signal for f in report.findings}


def test_when_disable_unknown_rule_then_error() -> None:
    with pytest.raises(RuleError, match="NOPE"):
        Analyzer(disable=["NOPE"])


def test_when_regex_takes_spaces_then_evidence_is_only_the_words(tmp_path: Path) -> None:
    body = GOOD.replace('phrases: ["sorry"]', 'regex: ["\\\\s+sozzle up\\\\s+"]')
    body = body.replace("[sorry]", "we [sozzle up] now")
    a = Analyzer(rules=[make(tmp_path, body)], languages=["en"])
    text = "We  sozzle up   now."
    report = a.analyze({"id": "x", "language": "en", "turns": [{"role": "agent", "text": text}]})
    (f,) = [f for f in report.findings if f.rule_id == "XX_APOLOGY_SORRY"]
    assert (f.text, f.start, f.end) == ("sozzle up", 4, 13)
