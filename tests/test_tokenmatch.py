"""TokenMatcher finds what spaCy's Matcher(greedy="LONGEST") finds.

The engine runs token patterns on TokenMatcher instead of spaCy's Matcher for speed; these tests
hold it to spaCy's results on generated patterns and docs, and on the shipped rule sets.
"""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from hypothesis import given
from hypothesis import strategies as st
from spacy.matcher import Matcher
from spacy.tokens import Doc

from trustsignals import Analyzer
from trustsignals.tokenmatch import TokenMatcher

WORDS = ["i", "we", "will", "call", "you", "back", "sorry", "for", "the", "delay", ",", ".", "!", "?", "not"]
OPS = [None, None, None, "?", "*", "+", "{2}", "{0,3}", "{1,}", "{,2}", "{1,2}"]

nlp = spacy.blank("en")


def _value() -> st.SearchStrategy[Any]:
    words = st.sampled_from(WORDS)
    return st.one_of(
        words,
        st.fixed_dictionaries({"IN": st.lists(words, min_size=1, max_size=4)}),
        st.fixed_dictionaries({"NOT_IN": st.lists(words, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"REGEX": st.sampled_from(["^w", "l+", "[.,!?]", "^(the|you)$"])}),
    )


def _spec() -> st.SearchStrategy[dict[str, Any]]:
    attrs = st.one_of(
        st.fixed_dictionaries({"LOWER": _value()}),
        st.fixed_dictionaries({"NORM": _value()}),
        st.fixed_dictionaries({"IS_PUNCT": st.booleans()}),
        st.fixed_dictionaries({"LENGTH": st.integers(1, 5)}),
        st.fixed_dictionaries({"LOWER": _value(), "IS_PUNCT": st.booleans()}),
        st.just({}),
    )
    return st.tuples(attrs, st.sampled_from(OPS)).map(lambda a: {**a[0], **({"OP": a[1]} if a[1] else {})})


patterns = st.lists(st.lists(_spec(), min_size=1, max_size=4), min_size=1, max_size=3)
docs = st.lists(st.sampled_from([*WORDS, "We", "CALL"]), min_size=0, max_size=14)


def _both(pattern_sets: list[list[list[dict[str, Any]]]], words: list[str]) -> tuple[list[Any], list[Any]]:
    doc = Doc(nlp.vocab, words=words)
    spacy_matcher = Matcher(nlp.vocab)
    ours = TokenMatcher(nlp.vocab)
    for i, pats in enumerate(pattern_sets):
        spacy_matcher.add(f"K{i}", pats, greedy="LONGEST")
        ours.add(f"K{i}", pats)
    strings = nlp.vocab.strings
    expected = sorted((strings[k], s, e) for k, s, e in spacy_matcher(doc))
    return expected, sorted(ours(doc))


@given(st.lists(patterns, min_size=1, max_size=3), docs)
def test_property_same_matches_as_spacy(pattern_sets: list[Any], words: list[str]) -> None:
    expected, got = _both(pattern_sets, words)
    assert got == expected


def test_known_shapes() -> None:
    pats = [[{"LOWER": {"IN": ["i", "we"]}}, {"IS_PUNCT": False, "OP": "{0,2}"}, {"LOWER": "call"}]]
    expected, got = _both([pats], ["so", "we", "will", "call", "you", ",", "i", "call"])
    assert got == expected == [("K0", 1, 4), ("K0", 6, 8)]


def test_supports_says_no_to_what_it_cannot_run() -> None:
    assert TokenMatcher.supports([{"LOWER": "a"}, {"OP": "+"}])
    assert not TokenMatcher.supports([{"LOWER": "a", "OP": "!"}])
    assert not TokenMatcher.supports([{"LENGTH": {">=": 3}}])
    assert not TokenMatcher.supports([{"_": {"custom": True}}])
    assert not TokenMatcher.supports([{"LOWER": {"FUZZY": "call"}}])
    assert not TokenMatcher.supports([])
    with pytest.raises(ValueError, match="not supported"):
        TokenMatcher(nlp.vocab).add("K", [[{"LOWER": "a", "OP": "!"}]])


@pytest.mark.parametrize("lang", ["en", "el", "nl", "pl", "pt"])
def test_shipped_patterns_match_like_spacy(analyzer: Analyzer, lang: str) -> None:
    """Every token pattern of a shipped rule set, on every rule example text of that language."""
    comp = analyzer.compiled(lang)
    assert len(comp.token_matcher) > 0 and len(comp.matcher) == 0  # all run on TokenMatcher
    spacy_matcher = Matcher(comp.pipeline.vocab)
    specs: dict[str, Any] = {}
    for lr in comp.rules.rules:
        specs[f"R|{lr.rule.id}"] = lr.rule
        for anti in lr.rule.antipatterns:
            specs[f"a|{lr.rule.id}|{anti.id}"] = anti
    for cue in comp.rules.context.cues:
        specs[f"C|{cue.id}"] = cue
    texts: list[str] = []
    for key, spec in specs.items():
        if spec.patterns:
            spacy_matcher.add(
                key, [[comp._fold_token(t) for t in p] for p in spec.patterns], greedy="LONGEST"
            )
    for lr in comp.rules.rules:
        for ex in (*lr.rule.examples.match, *lr.rule.examples.no_match):
            texts.append(ex.text)
    assert texts
    strings = comp.pipeline.vocab.strings
    for text in texts:
        doc = comp.pipeline.make_doc(text.replace("[", "").replace("]", ""))
        expected = sorted((strings[k], s, e) for k, s, e in spacy_matcher(doc))
        got = sorted(m for m in comp.token_matcher(doc) if m[0] in specs)
        assert got == expected, text
