"""The commitment ledger: promises, their deadlines (per language) and what became of them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from trustsignals import Analyzer, ConfigError, Report, Transcript
from trustsignals.ledger import (
    DEFAULT_REFERENCE,
    build_ledger,
    find_deadlines,
    ledger_language,
    load_ledger_language,
    prenormalize,
    reference_times,
)
from trustsignals.models import Finding, Turn
from trustsignals.ruleset import default_rules_dir

REF = datetime(2024, 3, 5, 10, 30)  # a Tuesday
POLARITY = {"commitment": "builds", "overpromise": "erodes", "customer_distrust": "customer_negative"}

# (language, sentence, deadline as written, ISO value relative to REF)
DEADLINES = [
    ("en", "I'll call you back before 5 pm today.", "before 5 pm today", "2024-03-05T17:00:00"),
    ("en", "I'll call you back before 5 p.m. today.", "before 5 p.m. today", "2024-03-05T17:00:00"),
    ("en", "I'll email you the label by Friday.", "by Friday", "2024-03-08"),
    ("en", "You will get a confirmation e-mail within an hour.", "within an hour", "2024-03-05T11:30:00"),
    ("en", "you'll get it within the hour", "within the hour", "2024-03-05T11:30:00"),
    ("en", "I'll book an engineer for tomorrow morning", "for tomorrow morning", "2024-03-06T09:00:00"),
    (
        "en",
        "I'll e-mail you the label in the next ten minutes",
        "in the next ten minutes",
        "2024-03-05T10:40:00",
    ),
    ("en", "I'll send it on the 12th.", "on the 12th", "2024-03-12"),
    ("en", "I'll call you next Monday.", "next Monday", "2024-03-11"),
    ("el", "Θα σας καλέσω αύριο το πρωί.", "αύριο το πρωί", "2024-03-06T09:00:00"),
    ("el", "θα σας καλεσω αυριο το πρωι", "αυριο το πρωι", "2024-03-06T09:00:00"),
    ("el", "Θα σας στείλω email μέχρι την Παρασκευή.", "μέχρι την Παρασκευή", "2024-03-08"),
    ("el", "Θα σας ενημερώσω μέσα σε μία ώρα.", "μέσα σε μία ώρα", "2024-03-05T11:30:00"),
    ("el", "Θα σας καλέσω σήμερα στις 17:00.", "σήμερα στις 17:00", "2024-03-05T17:00:00"),
    ("nl", "U krijgt binnen 24 uur een bevestiging.", "binnen 24 uur", "2024-03-06T10:30:00"),
    ("nl", "Ik bel u binnen een uur terug.", "binnen een uur", "2024-03-05T11:30:00"),
    ("nl", "Ik stuur het vóór vrijdag.", "vóór vrijdag", "2024-03-08"),
    ("nl", "Ik bel u morgen 09:00 terug.", "morgen 09:00", "2024-03-06T09:00:00"),
    ("nl", "Ik bel u morgenochtend.", "morgenochtend", "2024-03-06T09:00:00"),
    ("pl", "Wyślę to do piątku.", "do piątku", "2024-03-08"),
    ("pl", "wysle to do piatku", "do piatku", "2024-03-08"),
    ("pl", "Wyślę to do poniedziałku.", "do poniedziałku", "2024-03-11"),
    ("pl", "Oddzwonię jutro rano.", "jutro rano", "2024-03-06T09:00:00"),
    ("pl", "Oddzwonię w ciągu godziny.", "w ciągu godziny", "2024-03-05T11:30:00"),
    ("pl", "Zadzwonię dzisiaj przed 17:00.", "dzisiaj przed 17:00", "2024-03-05T17:00:00"),
    ("pt", "Envio até sexta-feira.", "até sexta-feira", "2024-03-08"),
    ("pt", "envio ate sexta-feira", "ate sexta-feira", "2024-03-08"),
    ("pt", "Ligo amanhã de manhã.", "amanhã de manhã", "2024-03-06T09:00:00"),
    ("pt", "A fatura corrigida segue dentro de uma hora.", "dentro de uma hora", "2024-03-05T11:30:00"),
    ("pt", "Ligo hoje antes das 17h.", "hoje antes das 17h", "2024-03-05T17:00:00"),
]


def finding(
    turns: list[tuple[str, str]], turn: int, signal: str, evidence: str, language: str = "en"
) -> Finding:
    """A finding as the engine would report it, on ``evidence`` in turn ``turn``."""
    text = turns[turn][1]
    start = text.index(evidence)
    return Finding(
        signal=signal,
        polarity=POLARITY[signal],  # type: ignore[arg-type]
        role=turns[turn][0],  # type: ignore[arg-type]
        turn=turn,
        start=start,
        end=start + len(evidence),
        text=evidence,
        rule_id=f"TEST_{signal.upper()}",
        language=language,
        confidence=0.9,
        explanation=f"{signal}: '{evidence}'",
        seed="test",
    )


def transcript(turns: list[tuple[str, str]], timestamps: list[str | None] | None = None) -> Transcript:
    stamps = timestamps or [None] * len(turns)
    return Transcript(
        id="t",
        turns=tuple(Turn(role=r, text=x, timestamp=ts) for (r, x), ts in zip(turns, stamps, strict=True)),  # type: ignore[arg-type]
    )


def analyze(analyzer: Analyzer, turns: list[tuple[str, str]], **kw: Any) -> Report:
    return analyzer.analyze({"id": "conv", "turns": [{"role": r, "text": x} for r, x in turns], **kw})


# -- deadlines -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "sentence", "expression", "iso"), DEADLINES)
def test_when_deadline_phrase_in_each_language_then_expression_and_iso_date(
    language: str, sentence: str, expression: str, iso: str
) -> None:
    found = find_deadlines(sentence, language, REF)
    assert [(d.text, d.value) for d in found] == [(expression, iso)]
    assert sentence[found[0].start : found[0].end] == found[0].text


def test_when_every_rule_language_then_it_has_ledger_data_with_fulfilment_and_broken_words() -> None:
    languages = sorted(p.name for p in default_rules_dir().iterdir() if (p / "language.yaml").is_file())
    assert {"en", "el", "nl", "pl", "pt"} <= set(languages)
    for code in languages:
        data = ledger_language(code)
        assert data.fulfilled is not None and data.broken is not None, code
        assert data.normalize, code


def test_when_polish_do_piatku_then_prenormalised_for_dateparser_and_reported_as_written() -> None:
    normalized, segments = prenormalize("Wyślę to do piątku, dobrze?", "pl")
    assert "piątek" in normalized and "do piątku" not in normalized
    replaced = [s for s in segments if s[4]]
    assert (
        len(replaced) == 1 and "Wyślę to do piątku, dobrze?"[replaced[0][2] : replaced[0][3]] == "do piątku"
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "I'll call you back.",
        "I'll call you back on the number ending 4471.",
        "I may send the 3 items.",
        "The parcel arrives in 3-5 working days.",
    ],
)
def test_when_no_deadline_or_only_a_number_then_no_deadline(sentence: str) -> None:
    assert find_deadlines(sentence, "en", REF) == []


def test_when_reference_has_a_timezone_then_iso_keeps_its_offset() -> None:
    ref = datetime.fromisoformat("2024-03-05T10:30:00+01:00")
    [d] = find_deadlines("You'll get it within an hour.", "en", ref)
    assert d.value == "2024-03-05T11:30:00+01:00"


def test_when_language_unknown_to_dateparser_then_no_deadline_and_no_error() -> None:
    assert find_deadlines("I'll call you back before 5 pm today.", "zz", REF) == []


def test_when_normalize_pattern_has_accents_then_config_error_names_the_field() -> None:
    bad = 'normalize:\n  - {pattern: "do piątku", replace: "piątek"}\n'
    with pytest.raises(ConfigError) as err:
        load_ledger_language("pl", bad, source="pl.yaml")
    assert err.value.field == "normalize.pattern" and "ą" in str(err.value)


def test_when_ledger_data_has_unknown_key_then_config_error() -> None:
    with pytest.raises(ConfigError):
        load_ledger_language("xx", "fulfiled: [done]\n")


# -- reference times -------------------------------------------------------------------------------
def test_when_turns_have_timestamps_then_each_turn_uses_its_own_else_the_first() -> None:
    t = transcript(
        [("agent", "a"), ("agent", "b"), ("agent", "c")], [None, "2024-03-05T10:30:00", "2024-03-11T08:00:00"]
    )
    assert reference_times(t) == [
        datetime(2024, 3, 5, 10, 30),
        datetime(2024, 3, 5, 10, 30),
        datetime(2024, 3, 11, 8, 0),
    ]


def test_when_no_timestamps_then_fixed_default_reference_never_the_clock() -> None:
    turns = [("agent", "I'll email you the label by Friday.")]
    t = transcript(turns)
    assert reference_times(t) == [DEFAULT_REFERENCE]
    [entry] = build_ledger(t, [finding(turns, 0, "commitment", "I'll email")], ["en"])
    assert entry.deadline == "by Friday"
    assert entry.deadline_normalized == "2000-01-07"  # the Friday after Monday 3 January 2000


def test_when_later_turn_has_its_own_timestamp_then_its_deadline_is_relative_to_it() -> None:
    turns = [("customer", "Hello"), ("agent", "I'll email you the label by Friday.")]
    t = transcript(turns, ["2024-03-05T10:30:00", "2024-03-11T08:00:00"])
    [entry] = build_ledger(t, [finding(turns, 1, "commitment", "I'll email")], ["en", "en"])
    assert entry.deadline_normalized == "2024-03-15"


# -- entries -------------------------------------------------------------------------------------
def test_when_two_promises_in_one_sentence_then_two_entries_each_with_its_own_action_and_deadline() -> None:
    turns = [("agent", "I'll correct the reading now and I'll email you the new bill before 5 pm today.")]
    t = transcript(turns, ["2024-03-05T10:30:00"])
    fs = [finding(turns, 0, "commitment", "I'll correct"), finding(turns, 0, "commitment", "I'll email")]
    first, second = build_ledger(t, fs, ["en"])
    assert first.action == "I'll correct the reading now"
    assert first.deadline is None
    assert second.action == "I'll email you the new bill before 5 pm today"
    assert (second.deadline, second.deadline_normalized) == ("before 5 pm today", "2024-03-05T17:00:00")


def test_when_one_overpromise_has_two_nearby_evidences_then_one_entry_with_the_whole_promise() -> None:
    turns = [("agent", "I guarantee it won't happen again.")]
    fs = [
        finding(turns, 0, "overpromise", "I guarantee"),
        finding(turns, 0, "overpromise", "won't happen again"),
    ]
    [entry] = build_ledger(transcript(turns), fs, ["en"])
    assert entry.signal == "overpromise" and entry.role == "agent"
    assert entry.action == "I guarantee it won't happen again"


def test_when_deadline_comes_before_the_promise_then_it_is_found() -> None:
    turns = [("agent", "By Friday, I'll send you the label.")]
    [entry] = build_ledger(
        transcript(turns, ["2024-03-05T10:30:00"]), [finding(turns, 0, "commitment", "I'll send")], ["en"]
    )
    assert (entry.deadline, entry.deadline_normalized) == ("By Friday", "2024-03-08")


def test_when_no_promise_findings_then_empty_ledger() -> None:
    turns = [("customer", "I don't believe you.")]
    assert (
        build_ledger(
            transcript(turns), [finding(turns, 0, "customer_distrust", "I don't believe you")], ["en"]
        )
        == ()
    )


# -- links (ledger logic on given findings, in several languages) ---------------------------------
LINK_CASES = [
    # language, turns, promise evidence, distrust evidence or None, expected status
    (
        "en",
        [
            ("agent", "I'll call you back before 5 pm today."),
            ("customer", "You said you would call me back and nobody called."),
        ],
        "I'll call",
        "You said",
        "broken",
    ),
    (
        "en",
        [("agent", "I'll call you back before 5 pm today."), ("customer", "I don't believe you.")],
        "I'll call",
        "I don't believe you",
        "doubted",
    ),
    (
        "en",
        [("agent", "I'll call you back before 5 pm today."), ("customer", "You said that last time.")],
        "I'll call",
        "You said that",
        "doubted",
    ),
    (
        "en",
        [
            ("agent", "I'll email you the return label within the hour."),
            ("customer", "ok"),
            ("agent", "Done: I've sent the label to your inbox, as promised."),
        ],
        "I'll email",
        None,
        "fulfilled",
    ),
    (
        "en",
        [
            ("agent", "I'll email you the return label within the hour."),
            ("customer", "ok"),
            ("agent", "Sorry, I haven't sent the label yet."),
        ],
        "I'll email",
        None,
        "open",
    ),
    (
        "en",
        [
            ("agent", "I'll email you the return label within the hour."),
            ("customer", "ok"),
            ("agent", "Have you received the label I sent?"),
        ],
        "I'll email",
        None,
        "open",
    ),
    (
        "el",
        [
            ("agent", "Θα σας καλέσω αύριο το πρωί."),
            ("customer", "Μου είπατε ότι θα με καλέσετε και δεν με πήρε κανείς."),
        ],
        "Θα σας καλέσω",
        "δεν με πήρε κανείς",
        "broken",
    ),
    (
        "el",
        [
            ("agent", "Θα σας στείλω το email μέχρι την Παρασκευή."),
            ("customer", "Εντάξει."),
            ("agent", "Σας έστειλα το email, όπως σας υποσχέθηκα."),
        ],
        "Θα σας στείλω",
        None,
        "fulfilled",
    ),
    (
        "nl",
        [("agent", "Ik bel u morgen terug."), ("customer", "U heeft beloofd te bellen en niemand belde.")],
        "Ik bel u",
        "U heeft beloofd",
        "broken",
    ),
    (
        "nl",
        [
            ("agent", "U krijgt binnen 24 uur een bevestiging."),
            ("customer", "Prima."),
            ("agent", "De bevestiging is verstuurd, zoals beloofd."),
        ],
        "U krijgt",
        None,
        "fulfilled",
    ),
    (
        "pl",
        [("agent", "Wyślę to do piątku."), ("customer", "Obiecaliście to i nadal nic nie dostałem.")],
        "Wyślę",
        "Obiecaliście",
        "broken",
    ),
    (
        "pl",
        [("agent", "Wyślę to do piątku."), ("customer", "Obiecaliście mi to już w zeszłym tygodniu.")],
        "Wyślę",
        "Obiecaliście",
        "doubted",
    ),
    (
        "pt",
        [("agent", "Envio a etiqueta até sexta-feira."), ("customer", "Vocês prometeram e nunca enviaram.")],
        "Envio a etiqueta",
        "Vocês prometeram",
        "broken",
    ),
    (
        "pt",
        [
            ("agent", "Envio a etiqueta até sexta-feira."),
            ("customer", "Ok."),
            ("agent", "Já enviei a etiqueta, como prometido."),
        ],
        "Envio a etiqueta",
        None,
        "fulfilled",
    ),
]


@pytest.mark.parametrize(("language", "turns", "promise", "distrust", "status"), LINK_CASES)
def test_when_later_turn_speaks_of_the_promise_then_entry_links_to_it_with_status(
    language: str, turns: list[tuple[str, str]], promise: str, distrust: str | None, status: str
) -> None:
    fs = [finding(turns, 0, "commitment", promise, language)]
    if distrust:
        fs.append(finding(turns, 1, "customer_distrust", distrust, language))
    [entry] = build_ledger(transcript(turns), fs, [language] * len(turns))
    assert entry.status == status
    if status == "open":
        assert entry.links == ()
    else:
        last = entry.links[-1]
        assert last.kind == status
        assert last.turn == (1 if distrust else 2)
        assert last.signal == ("customer_distrust" if distrust else "fulfilment")
        assert last.text in turns[last.turn][1]


def test_when_distrust_names_one_of_two_promises_then_only_that_one_is_broken() -> None:
    turns = [
        ("agent", "I'll refund the duplicate charge today. I'll also send you the invoice by Friday."),
        ("customer", "The refund never arrived."),
    ]
    fs = [
        finding(turns, 0, "commitment", "I'll refund"),
        finding(turns, 0, "commitment", "I'll also send"),
        finding(turns, 1, "customer_distrust", "never arrived"),
    ]
    refund, invoice = build_ledger(transcript(turns), fs, ["en", "en"])
    assert refund.status == "broken" and invoice.status == "open"


def test_when_doubted_then_fulfilled_then_status_follows_the_latest_link() -> None:
    turns = [
        ("agent", "I'll email you the label within the hour."),
        ("customer", "I don't believe you."),
        ("agent", "Done, the label is sent."),
    ]
    fs = [
        finding(turns, 0, "commitment", "I'll email"),
        finding(turns, 1, "customer_distrust", "I don't believe"),
    ]
    [entry] = build_ledger(transcript(turns), fs, ["en"] * 3)
    assert [link.kind for link in entry.links] == ["doubted", "fulfilled"]
    assert entry.status == "fulfilled"


def test_when_distrust_comes_before_any_promise_then_nothing_links() -> None:
    turns = [("customer", "You promised a call last week."), ("agent", "I'll call you back today.")]
    fs = [
        finding(turns, 0, "customer_distrust", "You promised"),
        finding(turns, 1, "commitment", "I'll call"),
    ]
    [entry] = build_ledger(transcript(turns), fs, ["en", "en"])
    assert entry.status == "open" and entry.links == ()


# -- with the Analyzer and the scorer -------------------------------------------------------------
BROKEN = [
    ("customer", "My router still shows no internet."),
    ("agent", "Sorry about that. I'll call you back before 5 pm today with an update."),
    ("customer", "You said you would call me back before 5 and nobody called."),
]


def test_when_customer_calls_out_a_broken_promise_then_report_ledger_links_it(analyzer: Analyzer) -> None:
    report = analyze(analyzer, BROKEN)
    [entry] = report.ledger
    assert entry.turn == 1 and entry.signal == "commitment"
    assert entry.deadline == "before 5 pm today"
    assert entry.status == "broken"
    [link] = entry.links
    assert link.turn == 2 and link.kind == "broken" and link.signal == "customer_distrust"
    distrust_turns = {f.turn for f in report.findings if f.signal == "customer_distrust"}
    assert link.turn in distrust_turns


def test_when_promise_is_broken_then_score_drops_by_the_broken_weight(analyzer: Analyzer) -> None:
    with_ledger = analyze(analyzer, BROKEN)
    without = Analyzer(ledger=False, languages=["en"]).analyze(
        {"id": "conv", "turns": [{"role": r, "text": x} for r, x in BROKEN]}
    )
    weight = analyzer.scorer.config.promises["broken"]
    assert weight < 0
    [part] = [c for c in with_ledger.score.contributions if c.signal == "promise_broken"]
    assert part.points == weight and part.count == 1
    assert with_ledger.score.value == pytest.approx(max(0.0, without.score.value + weight))
    assert "promise_broken" in with_ledger.score.explanation


def test_when_scoring_overrides_promise_weights_then_ledger_status_uses_them() -> None:
    custom = Analyzer(languages=["en"], scoring={"promises": {"broken": -1}})
    report = custom.analyze({"id": "c", "turns": [{"role": r, "text": x} for r, x in BROKEN]})
    [part] = [c for c in report.score.contributions if c.signal == "promise_broken"]
    assert part.weight == -1 and part.points == -1


def test_when_promise_is_kept_then_fulfilled_adds_points(analyzer: Analyzer) -> None:
    turns = [
        ("agent", "I'll email you the return label within the hour."),
        ("customer", "ok thanks"),
        ("agent", "Done: I've sent the label to your inbox, as promised."),
    ]
    report = analyze(analyzer, turns)
    [entry] = report.ledger
    assert entry.status == "fulfilled"
    [part] = [c for c in report.score.contributions if c.signal == "promise_fulfilled"]
    assert part.points == analyzer.scorer.config.promises["fulfilled"] > 0


@pytest.mark.parametrize(
    ("language", "turns"),
    [
        (
            "el",
            [
                ("agent", "Θα σας καλέσω αύριο το πρωί."),
                ("customer", "Μου είπατε ότι θα με καλέσετε και δεν με πήρε κανείς."),
            ],
        ),
        (
            "nl",
            [
                ("agent", "Ik bel u morgen terug."),
                ("customer", "U zei dat u zou bellen en niemand heeft gebeld, ik geloof u niet meer."),
            ],
        ),
        (
            "pl",
            [
                ("agent", "Wyślę to do piątku."),
                ("customer", "Obiecaliście to i nadal nic nie dostałem, nie wierzę wam."),
            ],
        ),
        (
            "pt",
            [
                ("agent", "Vou enviar a etiqueta até sexta-feira."),
                ("customer", "Vocês prometeram e nunca enviaram, não acredito em vocês."),
            ],
        ),
    ],
)
def test_when_broken_promise_in_other_languages_then_analyzer_ledger_links_it(
    analyzer: Analyzer, language: str, turns: list[tuple[str, str]]
) -> None:
    if language not in analyzer.languages:
        pytest.skip(f"no {language} rules loaded")
    report = analyze(analyzer, turns, language=language)
    signals = {(f.turn, f.signal) for f in report.findings}
    if (0, "commitment") not in signals or (1, "customer_distrust") not in signals:
        pytest.skip(f"the {language} rules do not (yet) find this commitment and distrust: {sorted(signals)}")
    [entry] = report.ledger
    assert entry.deadline_normalized is not None
    assert entry.status == "broken" and entry.links[-1].turn == 1


def test_when_analyzed_twice_then_ledger_is_identical(analyzer: Analyzer) -> None:
    first = analyze(analyzer, BROKEN).to_json()
    second = (
        Analyzer(languages=["en"])
        .analyze({"id": "conv", "turns": [{"role": r, "text": x} for r, x in BROKEN]})
        .to_json()
    )
    assert first == second
    assert '"ledger":[{' in first


@pytest.mark.parametrize(
    ("pattern", "template", "text"),
    [
        (r"(a)(b)?", r"\1-\2x", "a"),
        (r"(?P<n>a)(b)", r"\g<n>\g<2>!", "ab"),
        (r"a", "literal", "a"),
        (r"(amanha|hoje) de manha", r"\1 09:00", "amanha de manha"),
        (r"(x)", r"\n\1", "x"),
    ],
)
def test_expand_is_match_expand(pattern: str, template: str, text: str) -> None:
    from trustsignals.ledger import _expand

    m = re.search(pattern, text)
    assert m is not None
    assert _expand(m, template) == m.expand(template)
