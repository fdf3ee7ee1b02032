"""trustsignals as a spaCy pipeline component: factory, spans, extensions, entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import spacy
from spacy.language import Language

import trustsignals
from trustsignals import ConfigError, Finding, Report
from trustsignals.spacy_component import SPANS_KEY, TrustSignalsComponent


def spans(doc: spacy.tokens.Doc) -> list[tuple[str, str]]:
    return [(span.text, span.label_) for span in doc.spans[SPANS_KEY]]


def test_when_added_to_a_blank_english_pipeline_then_findings_are_spans_labelled_by_signal() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("trustsignals")
    doc = nlp("Sorry for the delay, that was our mistake. I'll call you back before 5 pm today.")
    labels = [label for _, label in spans(doc)]
    assert {"apology", "ownership", "commitment"} <= set(labels)
    for span in doc.spans[SPANS_KEY]:
        f = span._.trust_finding
        assert isinstance(f, Finding)
        assert f.signal == span.label_ and f.rule_id.startswith("EN_")
        assert doc.text[f.start : f.end] == f.text
        assert span.start_char <= f.start and f.end <= span.end_char


def test_when_doc_is_processed_then_doc_carries_the_report_with_its_ledger() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("trustsignals")
    doc = nlp("I'll email you the label by Friday.")
    report = doc._.trust_report
    assert isinstance(report, Report)
    [entry] = report.ledger
    assert entry.deadline == "by Friday"
    assert [f.signal for f in report.findings] == [label for _, label in spans(doc)]


def test_when_role_is_customer_then_customer_signals_are_found() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("trustsignals", config={"role": "customer"})
    doc = nlp("I don't believe you, this is the third time I'm calling.")
    assert {label for _, label in spans(doc)} == {"customer_distrust"}
    agent = spacy.blank("en")
    agent.add_pipe("trustsignals")
    assert spans(agent("I don't believe you, this is the third time I'm calling.")) == []


@pytest.mark.parametrize(
    ("lang", "text", "signal"),
    [
        ("el", "Λυπάμαι πολύ για την καθυστέρηση.", "apology"),
        ("nl", "Sorry voor het wachten, dat was onze fout.", "apology"),
        ("pl", "Przepraszam za opóźnienie.", "apology"),
        ("pt", "Peço desculpa pela demora.", "apology"),
    ],
)
def test_when_pipeline_language_has_rules_then_its_rules_are_used(lang: str, text: str, signal: str) -> None:
    if not (trustsignals.spacy_component.has_rules(lang)):
        pytest.skip(f"no {lang} rules yet")
    nlp = spacy.blank(lang)
    component = nlp.add_pipe("trustsignals")
    assert isinstance(component, TrustSignalsComponent) and component.language == lang
    doc = nlp(text)
    assert signal in {label for _, label in spans(doc)}
    assert all(span._.trust_finding.language == lang for span in doc.spans[SPANS_KEY])


def test_when_language_configured_then_it_overrides_the_pipeline_language() -> None:
    nlp = spacy.blank("xx")
    nlp.add_pipe("trustsignals", config={"language": "en"})
    assert "apology" in {label for _, label in spans(nlp("Sorry for the delay."))}


def test_when_many_docs_are_piped_then_each_gets_its_own_spans() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("trustsignals")
    docs = list(nlp.pipe(["Sorry for the delay.", "Calm down please.", "Hello."]))
    assert [sorted({label for _, label in spans(d)}) for d in docs] == [["apology"], ["dismissive"], []]


def test_when_role_is_unknown_then_config_error() -> None:
    nlp = spacy.blank("en")
    with pytest.raises(ConfigError):
        nlp.add_pipe("trustsignals", config={"role": "manager"})


def test_when_trustsignals_is_imported_then_the_factory_is_registered() -> None:
    assert Language.has_factory("trustsignals")
    meta = Language.get_factory_meta("trustsignals")
    assert meta.default_config == {"language": None, "role": "agent"}


def test_when_installed_then_spacy_factories_entry_point_points_to_the_factory() -> None:
    [ep] = [ep for ep in entry_points(group="spacy_factories") if ep.name == "trustsignals"]
    assert ep.value == "trustsignals.spacy_component:make_component"
    assert ep.load() is trustsignals.spacy_component.make_component


def test_when_spacy_alone_is_imported_then_entry_point_makes_add_pipe_work() -> None:
    code = (
        "import sys, spacy\n"
        "assert 'trustsignals' not in sys.modules\n"
        "nlp = spacy.blank('en')\n"  # spaCy loads the spacy_factories entry points here
        "nlp.add_pipe('trustsignals')\n"
        "doc = nlp('Sorry for the delay.')\n"
        "print([s.label_ for s in doc.spans['trustsignals']])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['apology']"
