"""The hard cases of SIGNALS.md, in English, on the whole analyzer (context, roles, conversion)."""

from __future__ import annotations

import pytest

from trustsignals import Analyzer


def signals_of(analyzer: Analyzer, text: str, role: str = "agent") -> set[str]:
    report = analyzer.analyze({"id": "t", "language": "en", "turns": [{"role": role, "text": text}]})
    return {f.signal for f in report.findings}


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("Sorry to hear that.", {"empathy"}, {"apology"}),
        ("I'm sorry you've had this experience.", {"empathy"}, {"apology"}),
        ("Sorry for the delay.", {"apology"}, {"empathy"}),
        ("Sorry, could you repeat that?", set(), {"apology", "empathy"}),
        ("Sorry?", set(), {"apology"}),
        ("I can't promise it will arrive tomorrow.", {"transparency"}, {"overpromise"}),
        ("It's not your fault.", set(), {"blame_shifting"}),
        ("It's not our fault.", {"blame_shifting"}, set()),
        ("I won't blame anyone.", set(), {"blame_shifting"}),
        ("If it was our mistake we will refund you.", set(), {"commitment", "ownership"}),
        ("The courier said it would come Monday.", set(), {"commitment"}),
        ("You bought it 12 days ago, so the 30-day return period still covers it.", set(), {"deflection"}),
        ("That's our policy, I can't do anything.", {"deflection"}, set()),
        ("I'll e-mail you the label in the next ten minutes.", {"commitment"}, {"overpromise"}),
        ("I guarantee the technician will fix it on the first visit.", {"overpromise"}, set()),
    ],
)
def test_when_agent_says_hard_case_then_signals_follow_the_spec(
    analyzer: Analyzer, text: str, present: set[str], absent: set[str]
) -> None:
    found = signals_of(analyzer, text)
    assert present <= found, f"{text!r}: expected {present}, found {found}"
    assert not (absent & found), f"{text!r}: must not find {absent & found}"


def test_when_customer_could_you_call_me_back_then_no_commitment(analyzer: Analyzer) -> None:
    assert "commitment" not in signals_of(analyzer, "Could you call me back tomorrow?", role="customer")


def test_when_customer_promises_then_nothing(analyzer: Analyzer) -> None:
    assert signals_of(analyzer, "I promise I paid.", role="customer") == set()


def test_when_customer_says_sorry_then_no_apology(analyzer: Analyzer) -> None:
    assert "apology" not in signals_of(
        analyzer, "Sorry to bother you, sorry for the trouble.", role="customer"
    )


def test_when_agent_and_customer_thank_then_gratitude_keeps_each_role(analyzer: Analyzer) -> None:
    report = analyzer.analyze(
        {
            "id": "t",
            "language": "en",
            "turns": [
                {"role": "agent", "text": "Thank you for waiting."},
                {"role": "customer", "text": "thanks!"},
            ],
        }
    )
    roles = {(f.signal, f.role) for f in report.findings}
    assert ("gratitude", "agent") in roles and ("gratitude", "customer") in roles


def test_when_customer_recalls_past_apology_then_distrust_not_apology(analyzer: Analyzer) -> None:
    found = signals_of(analyzer, "Last time you said sorry and nothing changed.", role="customer")
    assert "customer_distrust" in found and "apology" not in found


def test_when_system_notice_then_no_finding(analyzer: Analyzer) -> None:
    assert signals_of(analyzer, "Thank you, chat transferred. Sorry for the wait.", role="system") == set()


def test_when_bot_offers_help_then_judged_like_agent(analyzer: Analyzer) -> None:
    assert "service_offer" in signals_of(analyzer, "Good morning! How may I help you?", role="bot")


@pytest.mark.parametrize("text", ["SORRY FOR THE DELAY", "sorry 4 the delay", "soz for the delay"])
def test_when_form_varies_then_apology_still_found(analyzer: Analyzer, text: str) -> None:
    assert "apology" in signals_of(analyzer, text)


def test_when_blame_then_target_is_named(analyzer: Analyzer) -> None:
    cases = {
        "You must have entered the wrong address.": "customer",
        "The warehouse messed up your order.": "colleague",
        "That's the courier's fault.": "third_party",
        "The system didn't save it.": "system",
        "It's not our fault.": "unspecified",
    }
    for text, target in cases.items():
        report = analyzer.analyze({"id": "t", "language": "en", "turns": [{"role": "agent", "text": text}]})
        blame = [f for f in report.findings if f.signal == "blame_shifting"]
        assert blame and blame[0].target == target, (text, [(f.text, f.target) for f in blame])
        assert target in blame[0].explanation
        assert report.blame_targets == {target: 1}
