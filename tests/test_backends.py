"""NLP backends: the stanza adapter, trained spaCy pipelines, configuration, parser variants.

stanza cannot download models here, so its tests run the adapter on real stanza ``Document``
objects read from CoNLL-U (``stanza.utils.conll.CoNLL.conll2doc``): gold analyses written
below, with ``start_char``/``end_char`` in the MISC column as stanza's tokenizer gives them.
The trained-spaCy tests train a small tagger and parser here, save it with ``to_disk`` and
load it by path, as a user loads ``el_core_news_sm`` by name.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from trustsignals import Analyzer
from trustsignals.backends.stanza import USER_DATA_KEY, StanzaBackend, doc_from_stanza
from trustsignals.cli import main
from trustsignals.errors import BackendError, ConfigError, RuleError
from trustsignals.models import Finding
from trustsignals.nlp import BlankBackend, SpacyModelBackend, load_config_file
from trustsignals.ruleset import Variant

VARIANT_RULE = "EN_BLAME_NAMED_PARTY"
VARIANT_ID = "DEP_PARTY_DID_IT"


# --------------------------------------------------------------------------- CoNLL-U helpers
def conllu(text: str, *sentences: str, allow_gaps: bool = False) -> str:
    """CoNLL-U for ``text``: each sentence as lines of ``ID FORM LEMMA UPOS XPOS FEATS HEAD
    DEPREL`` (space-separated; a multi-word token's range line is just ``ID FORM``). MISC gets
    each surface token's ``start_char``/``end_char`` in ``text``, found left to right; only
    whitespace may lie between tokens unless ``allow_gaps``."""
    cursor = 0
    blocks: list[str] = []
    for sentence in sentences:
        lines: list[str] = []
        inside_until = 0
        for raw in sentence.strip().splitlines():
            cols = raw.split()
            tid = cols[0]
            if "-" in tid:
                cols = [*cols[:2], *["_"] * 6]
                inside_until = int(tid.split("-")[1])
            if len(cols) != 8:
                raise ValueError(f"need 8 columns: {raw!r}")
            misc = "_"
            if "-" in tid or int(tid) > inside_until:  # a surface token
                start = text.index(cols[1], cursor)
                assert allow_gaps or text[cursor:start].isspace() or start == cursor, (cols[1], cursor)
                cursor = start + len(cols[1])
                misc = f"start_char={start}|end_char={cursor}"
            lines.append("\t".join([*cols, "_", misc]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n"


def stanza_doc(text: str, *sentences: str, allow_gaps: bool = False) -> Any:
    conll = pytest.importorskip("stanza.utils.conll")
    return conll.CoNLL.conll2doc(input_str=conllu(text, *sentences, allow_gaps=allow_gaps))


class GoldParses:
    """A stanza "pipeline" for texts whose analysis is known: it returns the stanza Document
    read from their gold CoNLL-U (real stanza objects; only the neural model is replaced)."""

    def __init__(self, parses: dict[str, tuple[str, ...]]) -> None:
        self.parses = parses

    def __call__(self, text: str) -> Any:
        if text not in self.parses:
            raise KeyError(f"no gold parse for {text!r}: add one to the test")
        return stanza_doc(text, *self.parses[text])


# --------------------------------------------------------------------------- gold analyses
PT_DO = """
1 O o DET _ Definite=Def|Gender=Masc|Number=Sing|PronType=Art 2 det
2 pacote pacote NOUN _ Gender=Masc|Number=Sing 3 nsubj
3 ficou ficar VERB _ Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 0 root
4-5 no
4 em em ADP _ _ 6 case
5 o o DET _ Definite=Def|Gender=Masc|Number=Sing|PronType=Art 6 det
6 armazém armazém NOUN _ Gender=Masc|Number=Sing 3 obl
7-8 do
7 de de ADP _ _ 9 case
8 o o DET _ Definite=Def|Gender=Masc|Number=Sing|PronType=Art 9 det
9 correio correio NOUN _ Gender=Masc|Number=Sing 6 nmod
10 . . PUNCT _ _ 3 punct
"""
PT_APOLOGY = """
1 Peço pedir VERB _ Mood=Ind|Number=Sing|Person=1|Tense=Pres|VerbForm=Fin 0 root
2 desculpa desculpa NOUN _ Gender=Fem|Number=Sing 1 obj
3-4 pelo
3 por por ADP _ _ 5 case
4 o o DET _ Definite=Def|Gender=Masc|Number=Sing|PronType=Art 5 det
5 atraso atraso NOUN _ Gender=Masc|Number=Sing 1 obl
6-7 na
6 em em ADP _ _ 8 case
7 a o DET _ Definite=Def|Gender=Fem|Number=Sing|PronType=Art 8 det
8 entrega entrega NOUN _ Gender=Fem|Number=Sing 5 nmod
9-10 do
9 de de ADP _ _ 12 case
10 o o DET _ Definite=Def|Gender=Masc|Number=Sing|PronType=Art 12 det
11 seu seu DET _ Gender=Masc|Number=Sing|Poss=Yes|PronType=Prs 12 det
12 pedido pedido NOUN _ Gender=Masc|Number=Sing 8 nmod
13 . . PUNCT _ _ 1 punct
"""
PL_APOLOGY = """
1 Przepraszamy przepraszać VERB fin:pl:pri:imperf Aspect=Imp|Number=Plur|Person=1|Tense=Pres 0 root
2 , , PUNCT interp PunctType=Comm 3 punct
3-4 zrobiliśmy
3 zrobili zrobić VERB praet:pl:m1:perf Aspect=Perf|Gender=Masc|Number=Plur|Tense=Past|VerbForm=Fin 1 parataxis
4 śmy być AUX aglt:pl:pri:imperf:nwok Aspect=Imp|Number=Plur|Person=1|Variant=Short 3 aux:clitic
5 błąd błąd NOUN subst:sg:acc:m3 Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing 3 obj
6 przy przy ADP prep:loc AdpType=Prep 7 case
7 wysyłce wysyłka NOUN subst:sg:loc:f Case=Loc|Gender=Fem|Number=Sing 3 obl
8 . . PUNCT interp PunctType=Peri 1 punct
"""
EL_APOLOGY = """
1 Ζητώ ζητώ VERB VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=1|Tense=Pres|VerbForm=Fin|Voice=Act 0 root
2 συγγνώμη συγγνώμη NOUN NOUN Case=Acc|Gender=Fem|Number=Sing 1 obj
3 για για ADP ADP _ 5 case
4 την ο DET DET Case=Acc|Definite=Def|Gender=Fem|Number=Sing|PronType=Art 5 det
5 καθυστέρηση καθυστέρηση NOUN NOUN Case=Acc|Gender=Fem|Number=Sing 1 obl
6-7 στην
6 σε σε ADP ADP _ 8 case
7 την ο DET DET Case=Acc|Definite=Def|Gender=Fem|Number=Sing|PronType=Art 8 det
8 παράδοση παράδοση NOUN NOUN Case=Acc|Gender=Fem|Number=Sing 5 nmod
9 . . PUNCT PUNCT _ 1 punct
"""
NL_APOLOGY = """
1 Het het PRON VNW|pers|pron|stan|red|3|ev|onz Person=3|PronType=Prs 2 nsubj
2 spijt spijten VERB WW|pv|tgw|met-t Number=Sing|Tense=Pres|VerbForm=Fin 0 root
3 me me PRON _ Person=1|PronType=Prs 2 iobj
4 , , PUNCT LET _ 10 punct
5 de de DET LID|bep|stan|rest Definite=Def 6 det
6 bezorger bezorger NOUN N|soort|ev|basis|zijd|stan Gender=Com|Number=Sing 10 nsubj
7 is zijn AUX WW|pv|tgw|ev Number=Sing|Tense=Pres|VerbForm=Fin 10 aux
8 het het DET LID|bep|stan|evon Definite=Def 9 det
9 pakket pakket NOUN N|soort|ev|basis|onz|stan Gender=Neut|Number=Sing 10 obj
10 kwijtgeraakt kwijtraken VERB WW|vd|vrij|zonder VerbForm=Part 2 parataxis
11 . . PUNCT LET _ 2 punct
"""

# An English conversation: (role, text, gold sentences)
EN_CONVERSATION: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "customer",
        "My parcel never arrived and nobody answers my emails.",
        (
            """
1 My my PRON PRP$ Case=Gen|Number=Sing|Person=1|Poss=Yes|PronType=Prs 2 nmod:poss
2 parcel parcel NOUN NN Number=Sing 4 nsubj
3 never never ADV RB _ 4 advmod
4 arrived arrive VERB VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 0 root
5 and and CCONJ CC _ 7 cc
6 nobody nobody PRON NN Number=Sing|PronType=Neg 7 nsubj
7 answers answer VERB VBZ Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin 4 conj
8 my my PRON PRP$ Case=Gen|Number=Sing|Person=1|Poss=Yes|PronType=Prs 9 nmod:poss
9 emails email NOUN NNS Number=Plur 7 obj
10 . . PUNCT . _ 4 punct
""",
        ),
    ),
    (
        "agent",
        "I'm so sorry about that. I understand how frustrating this must be.",
        (
            """
1 I I PRON PRP Case=Nom|Number=Sing|Person=1|PronType=Prs 4 nsubj
2 'm be AUX VBP Mood=Ind|Number=Sing|Person=1|Tense=Pres|VerbForm=Fin 4 cop
3 so so ADV RB _ 4 advmod
4 sorry sorry ADJ JJ Degree=Pos 0 root
5 about about ADP IN _ 6 case
6 that that PRON DT Number=Sing|PronType=Dem 4 obl
7 . . PUNCT . _ 4 punct
""",
            """
1 I I PRON PRP Case=Nom|Number=Sing|Person=1|PronType=Prs 2 nsubj
2 understand understand VERB VBP Mood=Ind|Number=Sing|Person=1|Tense=Pres|VerbForm=Fin 0 root
3 how how ADV WRB PronType=Int 4 advmod
4 frustrating frustrating ADJ JJ Degree=Pos 2 ccomp
5 this this PRON DT Number=Sing|PronType=Dem 4 nsubj
6 must must AUX MD VerbForm=Fin 4 aux
7 be be AUX VB VerbForm=Inf 4 cop
8 . . PUNCT . _ 2 punct
""",
        ),
    ),
    (
        "agent",
        "Honestly the courier lost it, there's nothing we could do.",
        (
            """
1 Honestly honestly ADV RB _ 4 advmod
2 the the DET DT Definite=Def|PronType=Art 3 det
3 courier courier NOUN NN Number=Sing 4 nsubj
4 lost lose VERB VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 0 root
5 it it PRON PRP Case=Acc|Gender=Neut|Number=Sing|Person=3|PronType=Prs 4 obj
6 , , PUNCT , _ 8 punct
7 there there PRON EX PronType=Dem 8 expl
8 's be VERB VBZ Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin 4 parataxis
9 nothing nothing PRON NN Number=Sing|PronType=Neg 8 nsubj
10 we we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 12 nsubj
11 could could AUX MD VerbForm=Fin 12 aux
12 do do VERB VB VerbForm=Inf 9 acl:relcl
13 . . PUNCT . _ 4 punct
""",
        ),
    ),
    (
        "agent",
        "I'll call you back before 5 pm today with the tracking number.",
        (
            """
1 I I PRON PRP Case=Nom|Number=Sing|Person=1|PronType=Prs 3 nsubj
2 'll will AUX MD VerbForm=Fin 3 aux
3 call call VERB VB VerbForm=Inf 0 root
4 you you PRON PRP Case=Acc|Person=2|PronType=Prs 3 obj
5 back back ADV RB _ 3 compound:prt
6 before before ADP IN _ 8 case
7 5 5 NUM CD NumForm=Digit|NumType=Card 8 nummod
8 pm pm NOUN NN Number=Sing 3 obl
9 today today NOUN NN Number=Sing 3 obl:tmod
10 with with ADP IN _ 13 case
11 the the DET DT Definite=Def|PronType=Art 13 det
12 tracking tracking NOUN NN Number=Sing 13 compound
13 number number NOUN NN Number=Sing 3 obl
14 . . PUNCT . _ 3 punct
""",
        ),
    ),
    (
        "customer",
        "Thank you, that's really helpful.",
        (
            """
1 Thank thank VERB VBP Mood=Ind|Tense=Pres|VerbForm=Fin 0 root
2 you you PRON PRP Case=Acc|Person=2|PronType=Prs 1 obj
3 , , PUNCT , _ 7 punct
4 that that PRON DT Number=Sing|PronType=Dem 7 nsubj
5 's be AUX VBZ Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin 7 cop
6 really really ADV RB _ 7 advmod
7 helpful helpful ADJ JJ Degree=Pos 1 parataxis
8 . . PUNCT . _ 1 punct
""",
        ),
    ),
    (
        "agent",
        "That was your mistake, you must have typed the wrong address.",
        (
            """
1 That that PRON DT Number=Sing|PronType=Dem 4 nsubj
2 was be AUX VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 4 cop
3 your your PRON PRP$ Person=2|Poss=Yes|PronType=Prs 4 nmod:poss
4 mistake mistake NOUN NN Number=Sing 0 root
5 , , PUNCT , _ 9 punct
6 you you PRON PRP Case=Nom|Person=2|PronType=Prs 9 nsubj
7 must must AUX MD VerbForm=Fin 9 aux
8 have have AUX VB VerbForm=Inf 9 aux
9 typed type VERB VBN Tense=Past|VerbForm=Part 4 parataxis
10 the the DET DT Definite=Def|PronType=Art 12 det
11 wrong wrong ADJ JJ Degree=Pos 12 amod
12 address address NOUN NN Number=Sing 9 obj
13 . . PUNCT . _ 4 punct
""",
        ),
    ),
    (
        "agent",
        "The courier who came on Monday lost your parcel.",
        (
            """
1 The the DET DT Definite=Def|PronType=Art 2 det
2 courier courier NOUN NN Number=Sing 7 nsubj
3 who who PRON WP PronType=Rel 4 nsubj
4 came come VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 2 acl:relcl
5 on on ADP IN _ 6 case
6 Monday Monday PROPN NNP Number=Sing 4 obl
7 lost lose VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 0 root
8 your your PRON PRP$ Person=2|Poss=Yes|PronType=Prs 9 nmod:poss
9 parcel parcel NOUN NN Number=Sing 7 obj
10 . . PUNCT . _ 7 punct
""",
        ),
    ),
]

# gold parses of the texts of the English variants' examples (brackets removed)
EN_VARIANT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "The courier who came on Monday lost your parcel.": EN_CONVERSATION[-1][2],
    "Your order was damaged by the courier.": (
        """
1 Your your PRON PRP$ Person=2|Poss=Yes|PronType=Prs 2 nmod:poss
2 order order NOUN NN Number=Sing 4 nsubj:pass
3 was be AUX VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 4 aux:pass
4 damaged damage VERB VBN Tense=Past|VerbForm=Part|Voice=Pass 0 root
5 by by ADP IN _ 7 case
6 the the DET DT Definite=Def|PronType=Art 7 det
7 courier courier NOUN NN Number=Sing 4 obl:agent
8 . . PUNCT . _ 4 punct
""",
    ),
    "The courier didn't lose it, it is at the depot.": (
        """
1 The the DET DT Definite=Def|PronType=Art 2 det
2 courier courier NOUN NN Number=Sing 5 nsubj
3 did do AUX VBD Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin 5 aux
4 n't not PART RB Polarity=Neg 5 advmod
5 lose lose VERB VB VerbForm=Inf 0 root
6 it it PRON PRP Case=Acc|Gender=Neut|Number=Sing|Person=3|PronType=Prs 5 obj
7 , , PUNCT , _ 12 punct
8 it it PRON PRP Case=Nom|Gender=Neut|Number=Sing|Person=3|PronType=Prs 12 nsubj
9 is be AUX VBZ Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin 12 cop
10 at at ADP IN _ 12 case
11 the the DET DT Definite=Def|PronType=Art 12 det
12 depot depot NOUN NN Number=Sing 5 parataxis
13 . . PUNCT . _ 5 punct
""",
    ),
    "We lost the courier's tracking number.": (
        """
1 We we PRON PRP Case=Nom|Number=Plur|Person=1|PronType=Prs 2 nsubj
2 lost lose VERB VBD Mood=Ind|Tense=Past|VerbForm=Fin 0 root
3 the the DET DT Definite=Def|PronType=Art 4 det
4 courier courier NOUN NN Number=Sing 7 nmod:poss
5 's 's PART POS _ 4 case
6 tracking tracking NOUN NN Number=Sing 7 compound
7 number number NOUN NN Number=Sing 2 obj
8 . . PUNCT . _ 2 punct
""",
    ),
    "Did the courier lose it?": (
        """
1 Did do AUX VBD Mood=Ind|Tense=Past|VerbForm=Fin 4 aux
2 the the DET DT Definite=Def|PronType=Art 3 det
3 courier courier NOUN NN Number=Sing 4 nsubj
4 lose lose VERB VB VerbForm=Inf 0 root
5 it it PRON PRP Case=Acc|Gender=Neut|Number=Sing|Person=3|PronType=Prs 4 obj
6 ? ? PUNCT . _ 4 punct
""",
    ),
}

OTHER_LANGUAGES: dict[str, tuple[str, str]] = {
    "pt": ("Peço desculpa pelo atraso na entrega do seu pedido.", PT_APOLOGY),
    "pl": ("Przepraszamy, zrobiliśmy błąd przy wysyłce.", PL_APOLOGY),
    "el": ("Ζητώ συγγνώμη για την καθυστέρηση στην παράδοση.", EL_APOLOGY),
    "nl": ("Het spijt me, de bezorger is het pakket kwijtgeraakt.", NL_APOLOGY),
}


def vocab(lang: str) -> Any:
    return spacy.blank(lang).vocab


def surface_offsets(sdoc: Any) -> list[tuple[int, int]]:
    return [(t.start_char, t.end_char) for s in sdoc.sentences for t in s.tokens]


def word_tokens(doc: Doc) -> list[Any]:
    return [t for t in doc if not t.is_space]


def assert_tree(doc: Doc) -> None:
    """Every token reaches a root by following heads."""
    for tok in doc:
        seen = set()
        cur = tok
        while cur.head.i != cur.i:
            assert cur.i not in seen, f"cycle through {cur.text!r}"
            seen.add(cur.i)
            cur = cur.head


# --------------------------------------------------------------------------- the adapter
def test_portuguese_contractions_are_one_token_each_with_the_head_words_analysis() -> None:
    text = "O pacote ficou no armazém do correio."
    sdoc = stanza_doc(text, PT_DO)
    doc = doc_from_stanza(sdoc, vocab("pt"), text)
    assert doc.text == text
    assert [(t.idx, t.idx + len(t)) for t in doc] == surface_offsets(sdoc)
    assert [t.text for t in doc] == ["O", "pacote", "ficou", "no", "armazém", "do", "correio", "."]
    no, do = doc[3], doc[5]
    # "no" = em + o, "do" = de + o: the surface stays; both words attach outside the token, so
    # the first ("em", "de": the preposition) represents it
    assert (no.lemma_, no.pos_, no.dep_, no.head.text) == ("em", "ADP", "case", "armazém")
    assert (do.lemma_, do.pos_, do.dep_, do.head.text) == ("de", "ADP", "case", "correio")
    assert doc.user_data[USER_DATA_KEY][3] == [("em", "em", "ADP", "case"), ("o", "o", "DET", "det")]
    assert [t.lemma_ for t in doc][:3] == ["o", "pacote", "ficar"]
    assert doc[2].dep_ == "ROOT" and doc[2].head.i == 2
    assert str(doc[2].morph) == "Mood=Ind|Number=Sing|Person=3|Tense=Past|VerbForm=Fin"
    assert doc[6].head.text == "armazém" and doc[4].head.text == "ficou"
    assert_tree(doc)


def test_polish_clitic_token_takes_the_verb_and_keeps_its_dependents() -> None:
    text, gold = OTHER_LANGUAGES["pl"]
    sdoc = stanza_doc(text, gold)
    doc = doc_from_stanza(sdoc, vocab("pl"), text)
    assert doc.text == text
    assert [(t.idx, t.idx + len(t)) for t in doc] == surface_offsets(sdoc)
    verb = doc[2]
    assert verb.text == "zrobiliśmy"
    # the head word is "zrobili" (its head is outside the token), not the clitic "śmy"
    assert (verb.lemma_, verb.pos_, verb.dep_) == ("zrobić", "VERB", "parataxis")
    assert verb.tag_ == "praet:pl:m1:perf" and verb.morph.get("Aspect") == ["Perf"]
    assert verb.head.text == "Przepraszamy"
    assert doc[3].text == "błąd" and doc[3].head.i == verb.i and doc[3].dep_ == "obj"
    assert doc[1].head.i == verb.i  # the comma pointed at "zrobili": now at the token
    assert [w[0] for w in doc.user_data[USER_DATA_KEY][2]] == ["zrobili", "śmy"]
    assert doc[5].lemma_ == "wysyłka" and doc[5].morph.get("Case") == ["Loc"]
    assert_tree(doc)


@pytest.mark.parametrize("lang", ["el", "nl"])
def test_greek_and_dutch(lang: str) -> None:
    text, gold = OTHER_LANGUAGES[lang]
    sdoc = stanza_doc(text, gold)
    doc = doc_from_stanza(sdoc, vocab(lang), text)
    assert doc.text == text
    assert [(t.idx, t.idx + len(t)) for t in doc] == surface_offsets(sdoc)
    words = [w for s in sdoc.sentences for w in s.words]
    if lang == "el":
        stin = doc[5]
        assert (stin.text, stin.lemma_, stin.pos_, stin.head.text) == ("στην", "σε", "ADP", "παράδοση")
        assert doc[1].lemma_ == "συγγνώμη" and doc[1].head.text == "Ζητώ" and doc[1].dep_ == "obj"
        assert len(doc) == len(words) - 1  # one multi-word token
    else:
        assert len(doc) == len(words)
        assert [t.lemma_ for t in doc] == [w.lemma for w in words]
        assert [t.pos_ for t in doc] == [w.upos for w in words]
        assert doc[5].head.text == "kwijtgeraakt" and doc[5].dep_ == "nsubj"
        assert doc[5].tag_ == "N|soort|ev|basis|zijd|stan"
        assert doc[2].tag_ == "PRON"  # no XPOS: the UPOS stands in
    assert_tree(doc)


def test_english_whitespace_is_preserved_and_sentences_follow_the_parse() -> None:
    text = " I'm so sorry about that.  \n\tI understand how frustrating this must be.\n"
    gold = EN_CONVERSATION[1][2]
    sdoc = stanza_doc(text, *gold)
    doc = doc_from_stanza(sdoc, vocab("en"), text)
    assert doc.text == text
    assert [(t.idx, t.idx + len(t)) for t in word_tokens(doc)] == surface_offsets(sdoc)
    assert [t.text for t in doc if t.is_space] == [" ", " \n\t", "\n"]
    assert [t.text for t in word_tokens(doc)][:4] == ["I", "'m", "so", "sorry"]
    assert [s.text.strip() for s in doc.sents] == [
        "I'm so sorry about that.",
        "I understand how frustrating this must be.",
    ]
    sorry = next(t for t in doc if t.text == "sorry")
    assert sorry.dep_ == "ROOT" and sorry.lemma_ == "sorry" and sorry.tag_ == "JJ"
    assert next(t for t in doc if t.text == "'m").lemma_ == "be"
    assert_tree(doc)


def test_tokens_without_offsets_are_found_in_the_text_and_docs_without_a_parse_keep_sentences() -> None:
    conll = pytest.importorskip("stanza.utils.conll")
    text = "Sorry about that.  Thanks!"
    plain = (
        "1\tSorry\tsorry\tINTJ\tUH\t_\t_\t_\t_\t_\n2\tabout\tabout\tADP\tIN\t_\t_\t_\t_\t_\n"
        "3\tthat\tthat\tPRON\tDT\t_\t_\t_\t_\t_\n4\t.\t.\tPUNCT\t.\t_\t_\t_\t_\t_\n\n"
        "1\tThanks\tthanks\tNOUN\tNNS\t_\t_\t_\t_\t_\n2\t!\t!\tPUNCT\t.\t_\t_\t_\t_\t_\n\n"
    )
    sdoc = conll.CoNLL.conll2doc(input_str=plain)
    assert sdoc.sentences[0].tokens[0].start_char is None
    doc = doc_from_stanza(sdoc, vocab("en"), text)
    assert doc.text == text
    assert not doc.has_annotation("DEP")
    assert [s.text for s in doc.sents] == ["Sorry about that.  ", "Thanks!"]
    assert [t.lemma_ for t in word_tokens(doc)] == ["sorry", "about", "that", ".", "thanks", "!"]


def test_text_the_tokenizer_skipped_becomes_tokens_and_offsets_that_do_not_fit_are_an_error() -> None:
    text = "Sorry \u0007 about that."
    gold = """
1 Sorry sorry INTJ UH _ 0 root
2 about about ADP IN _ 3 case
3 that that PRON DT _ 1 obl
4 . . PUNCT . _ 1 punct
"""
    doc = doc_from_stanza(stanza_doc(text, gold, allow_gaps=True), vocab("en"), text)
    assert doc.text == text
    assert doc[1].text == "\u0007" and doc[1].pos_ == "X" and doc[1].head.text == "Sorry"
    with pytest.raises(BackendError, match="do not fit the text"):
        doc_from_stanza(stanza_doc(text, gold, allow_gaps=True), vocab("en"), "Sorry")


def test_a_cycle_made_by_merging_words_is_broken() -> None:
    # "do" = de + o; "de" hangs on "correio", and "correio" on "o": merged, "do" and
    # "correio" would point at each other
    text = "Saiu do correio."
    gold = """
1 Saiu sair VERB _ _ 0 root
2-3 do
2 de de ADP _ _ 4 case
3 o o DET _ _ 1 obl
4 correio correio NOUN _ _ 3 nmod
5 . . PUNCT _ _ 1 punct
"""
    doc = doc_from_stanza(stanza_doc(text, gold), vocab("pt"), text)
    assert doc.text == text
    assert_tree(doc)
    assert doc[0].dep_ == "ROOT"


# --------------------------------------------------------------------------- the stanza backend
def test_stanza_backend_without_models_says_how_to_install_them(tmp_path: Path) -> None:
    pytest.importorskip("stanza")
    with pytest.raises(BackendError) as err:
        StanzaBackend("el", model_dir=tmp_path)
    assert "stanza.download('el'" in str(err.value) and str(tmp_path) in str(err.value)
    analyzer = Analyzer(languages=["en"], backends={"en": {"backend": "stanza", "model_dir": str(tmp_path)}})
    with pytest.raises(BackendError, match="not installed"):
        analyzer.compiled("en")


def offline_stanza_folder(root: Path) -> Path:
    """A stanza model folder for a pipeline of stanza's model-free processors only: its index
    (resources.json) lists no models, and the pipeline uses stanza's spaCy tokenizer variant and
    its identity lemmatizer, so a real ``stanza.Pipeline`` runs here without any download."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "resources.json").write_text(
        json.dumps({"en": {"lang_name": "English", "packages": {}, "tokenize": {}}}), encoding="utf-8"
    )
    return root


MODEL_FREE = {"tokenize": "spacy", "lemma": "identity"}


def test_a_real_stanza_pipeline_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("stanza")
    folder = offline_stanza_folder(tmp_path / "stanza_resources")
    backend = StanzaBackend("en", processors=MODEL_FREE, model_dir=folder)
    assert backend.provides == frozenset({"LEMMA"})  # no pos, no depparse: no POS, TAG, MORPH, DEP
    text = "I'm so sorry about that.  \nThe courier lost it!"
    doc = backend.make_doc(text)
    assert doc.text == text
    assert [t.text for t in doc if not t.is_space][:4] == ["I", "'m", "so", "sorry"]
    assert not doc.has_annotation("DEP") and len(list(doc.sents)) == 2
    assert backend.tokenize("sorry about that").text == "sorry about that"
    # through the Analyzer, configured as a user would: same findings as the blank backend
    turns = [{"role": role, "text": text} for role, text, _ in EN_CONVERSATION]
    conversation = {"id": "real", "language": "en", "turns": turns}
    options = {"backend": "stanza", "model_dir": str(folder), "processors": MODEL_FREE}
    parsed = Analyzer(languages=["en"], backends={"en": options}).analyze(conversation)
    blank = Analyzer(languages=["en"]).analyze(conversation)
    assert {f.backend for f in parsed.findings} == {"stanza"}
    assert [(f.turn, f.rule_id, f.start, f.end) for f in parsed.findings] == [
        (f.turn, f.rule_id, f.start, f.end) for f in blank.findings
    ]
    assert not any(f.variant for f in parsed.findings)  # no parse: the dependency variant is not used


def test_stanza_backend_options_are_checked() -> None:
    analyzer = Analyzer(languages=["en"], backends={"en": {"backend": "stanza", "modeldir": "x"}})
    with pytest.raises(ConfigError, match="modeldir"):
        analyzer.compiled("en")


def en_stanza_analyzer(parses: dict[str, tuple[str, ...]]) -> Analyzer:
    return Analyzer(
        languages=["en"],
        language="en",
        backends={"en": {"backend": "stanza", "pipeline": GoldParses(parses)}},
    )


@functools.cache
def en_stanza_rules() -> Any:
    return en_stanza_analyzer(EN_VARIANT_EXAMPLES).compiled("en")


def key(f: Finding) -> tuple[int, str, str]:
    return (f.turn, f.signal, f.rule_id)


def test_acceptance_blank_and_stanza_give_findings_at_the_same_offsets() -> None:
    pytest.importorskip("stanza")
    turns = [{"role": role, "text": text} for role, text, _ in EN_CONVERSATION]
    conversation = {"id": "acceptance", "language": "en", "turns": turns}
    blank = Analyzer(languages=["en"], language="en").analyze(conversation)
    parsed = en_stanza_analyzer({text: gold for _, text, gold in EN_CONVERSATION}).analyze(conversation)
    assert {f.backend for f in blank.findings} == {"blank"}
    assert {f.backend for f in parsed.findings} == {"stanza"}
    by_blank: dict[tuple[int, str, str], set[tuple[int, int]]] = {}
    by_stanza: dict[tuple[int, str, str], set[tuple[int, int]]] = {}
    for f in blank.findings:
        by_blank.setdefault(key(f), set()).add((f.start, f.end))
    for f in parsed.findings:
        by_stanza.setdefault(key(f), set()).add((f.start, f.end))
        assert turns[f.turn]["text"][f.start : f.end] == f.text
    both = set(by_blank) & set(by_stanza)
    assert len(both) >= 6, (by_blank, by_stanza)
    for k in both:
        assert by_blank[k] == by_stanza[k], k
    # the parser variant finds what the regexes cannot: subject and verb far apart
    last = len(EN_CONVERSATION) - 1
    extra = [f for f in parsed.findings if f.turn == last and f.rule_id == VARIANT_RULE]
    assert [(f.text, f.variant, f.target) for f in extra] == [
        ("courier who came on Monday lost", VARIANT_ID, "third_party")
    ]
    assert not [f for f in blank.findings if f.turn == last and f.rule_id == VARIANT_RULE]


@pytest.mark.parametrize("lang", sorted(OTHER_LANGUAGES))
def test_acceptance_in_other_languages(lang: str) -> None:
    pytest.importorskip("stanza")
    text, gold = OTHER_LANGUAGES[lang]
    conversation = {"id": lang, "language": lang, "turns": [{"role": "agent", "text": text}]}
    blank = Analyzer(languages=[lang], language=lang).analyze(conversation)
    parsed = Analyzer(
        languages=[lang],
        language=lang,
        backends={lang: {"backend": "stanza", "pipeline": GoldParses({text: (gold,)})}},
    ).analyze(conversation)
    spans_blank = {key(f): (f.start, f.end) for f in blank.findings}
    spans_stanza = {key(f): (f.start, f.end) for f in parsed.findings}
    both = set(spans_blank) & set(spans_stanza)
    assert both, (blank.findings, parsed.findings)
    for k in both:
        assert spans_blank[k] == spans_stanza[k], k


def variant_cases() -> list[tuple[str, str, Any]]:
    analyzer = Analyzer(languages=["en"])
    out = []
    for lr in analyzer.ruleset.languages["en"].rules:
        for v in lr.rule.variants:
            for kind in ("match", "no_match", "known_misses"):
                for ex in getattr(v.examples, kind):
                    out.append((f"{lr.rule.id}/{v.id}", kind, ex))
    return out


@pytest.mark.parametrize("where,kind,example", variant_cases(), ids=lambda x: str(getattr(x, "text", x)))
def test_english_variant_examples_on_gold_parses(where: str, kind: str, example: Any) -> None:
    """Every example of every English variant, on a gold stanza parse of its text."""
    pytest.importorskip("stanza")
    rule_id, variant_id = where.split("/")
    raw = example.text
    text = raw.replace("[", "", 1).replace("]", "", 1)
    assert text in EN_VARIANT_EXAMPLES, f"add a gold CoNLL-U parse of {text!r} to EN_VARIANT_EXAMPLES"
    comp = en_stanza_rules()
    findings = comp.find(comp.pipeline.make_doc(text), role=example.role or "agent", turn=0, dedupe=False)
    mine = [f for f in findings if f.rule_id == rule_id and f.variant == variant_id]
    if kind == "no_match":
        assert not mine, mine
        return
    a, b = raw.index("["), raw.index("]") - 1
    hit = [f for f in mine if (f.start, f.end) == (a, b) and f.target == (example.target or f.target)]
    assert bool(hit) == (kind == "match"), (text[a:b], [(f.text, f.target) for f in mine])


# --------------------------------------------------------------------------- trained spaCy pipelines
TRAIN = [
    (
        "The courier who came on Monday lost your parcel.",
        ["DT", "NN", "WP", "VBD", "IN", "NNP", "VBD", "PRP$", "NN", "."],
        [1, 6, 3, 1, 5, 3, 6, 8, 6, 6],
        ["det", "nsubj", "nsubj", "relcl", "case", "obl", "ROOT", "poss", "dobj", "punct"],
    ),
    (
        "We lost the courier's tracking number.",
        ["PRP", "VBD", "DT", "NN", "POS", "NN", "NN", "."],
        [1, 1, 3, 6, 3, 6, 1, 1],
        ["nsubj", "ROOT", "det", "poss", "case", "compound", "dobj", "punct"],
    ),
    (
        "The driver forgot your box.",
        ["DT", "NN", "VBD", "PRP$", "NN", "."],
        [1, 2, 2, 4, 2, 2],
        ["det", "nsubj", "ROOT", "poss", "dobj", "punct"],
    ),
    (
        "I will send it today.",
        ["PRP", "MD", "VB", "PRP", "NN", "."],
        [2, 2, 2, 2, 2, 2],
        ["nsubj", "aux", "ROOT", "dobj", "npadvmod", "punct"],
    ),
]


@pytest.fixture(scope="module")
def trained_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """blank English + tagger + parser, trained on four sentences and saved to disk."""
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("tagger")
    nlp.add_pipe("parser", config={"min_action_freq": 1})  # learn every label, however rare
    examples = []
    for text, tags, heads, deps in TRAIN:
        doc = nlp.make_doc(text)
        assert len(doc) == len(tags) == len(heads) == len(deps), text
        examples.append(Example.from_dict(doc, {"tags": tags, "heads": heads, "deps": deps}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("pipeline") / "en_tiny"
    nlp.to_disk(path)
    return path


def test_trained_spacy_pipeline_loads_by_path_and_reports_what_it_provides(trained_pipeline: Path) -> None:
    backend = SpacyModelBackend(str(trained_pipeline))
    assert backend.provides == frozenset({"TAG", "DEP"})
    doc = backend.make_doc(TRAIN[0][0])
    assert [t.dep_ for t in doc] == TRAIN[0][3]  # it learnt its four sentences
    assert doc.text == TRAIN[0][0]


def test_dependency_variant_fires_only_where_the_backend_parses(trained_pipeline: Path) -> None:
    text = TRAIN[0][0]
    conversation = {"id": "c", "language": "en", "turns": [{"role": "agent", "text": text}]}
    parsed = Analyzer(
        languages=["en"], backends={"en": {"backend": "spacy", "model": str(trained_pipeline)}}
    ).analyze(conversation)
    found = [f for f in parsed.findings if f.rule_id == VARIANT_RULE]
    assert [(f.text, f.backend, f.variant, f.target) for f in found] == [
        ("courier who came on Monday lost", "spacy", VARIANT_ID, "third_party")
    ]
    blank = Analyzer(languages=["en"]).analyze(conversation)
    assert not [f for f in blank.findings if f.rule_id == VARIANT_RULE]
    # the subject must be a named party: "We lost ..." is no blame
    other = {"id": "d", "language": "en", "turns": [{"role": "agent", "text": TRAIN[1][0]}]}
    parsed_other = Analyzer(
        languages=["en"], backends={"en": {"backend": "spacy", "model": str(trained_pipeline)}}
    ).analyze(other)
    assert not [f for f in parsed_other.findings if f.signal == "blame_shifting"]


def test_missing_spacy_package_or_folder_is_a_backend_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="python -m spacy download el_core_news_xl"):
        SpacyModelBackend("el_core_news_xl")
    with pytest.raises(BackendError, match="no spaCy pipeline at"):
        SpacyModelBackend(str(tmp_path / "nothing"))


def test_blank_backend_provides_nothing() -> None:
    assert BlankBackend("en").provides == frozenset()


# --------------------------------------------------------------------------- variants in the rule schema
def write_rule(root: Path, body: str) -> Path:
    folder = root / "en"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zz_test.yaml").write_text(body, encoding="utf-8")
    return root


POS_VARIANT_RULE = """
signal: apology
rules:
  - id: EN_TEST_RUE_VARIANT
    regex: ["we rue"]
    variants:
      - id: POS_RUE
        requires: [POS]
        patterns: [[{LOWER: we}, {LEMMA: rue, POS: VERB}]]
        examples:
          match: ["[We rue] the delay."]
          no_match: ["Our rue is real."]
    examples:
      match: ["[We rue] the delay."]
      no_match: ["No rue."]
"""


def test_a_replacing_variant_runs_instead_of_the_base_where_the_backend_provides_it(tmp_path: Path) -> None:
    pytest.importorskip("stanza")
    root = write_rule(tmp_path, POS_VARIANT_RULE)
    text = "We rue the delay."
    gold = """
1 We we PRON PRP _ 2 nsubj
2 rue rue VERB VBP _ 0 root
3 the the DET DT _ 4 det
4 delay delay NOUN NN _ 2 obj
5 . . PUNCT . _ 2 punct
"""
    conversation = {"id": "v", "language": "en", "turns": [{"role": "agent", "text": text}]}
    blank = Analyzer(rules=[root], languages=["en"]).analyze(conversation)
    parsed = Analyzer(
        rules=[root],
        languages=["en"],
        backends={"en": {"backend": "stanza", "pipeline": GoldParses({text: (gold,)})}},
    ).analyze(conversation)
    pick: Callable[[Any], list[tuple[str, str | None, int, int]]] = lambda r: [  # noqa: E731
        (f.backend, f.variant, f.start, f.end) for f in r.findings if f.rule_id == "EN_TEST_RUE_VARIANT"
    ]
    assert pick(blank) == [("blank", None, 0, 6)]
    assert pick(parsed) == [("stanza", "POS_RUE", 0, 6)]


@pytest.mark.parametrize(
    "variant,message",
    [
        ({"id": "X_ONE", "requires": [], "patterns": [[{"POS": "VERB"}]]}, "does not list them in requires"),
        (
            {"id": "X_TWO", "requires": ["POS"], "dep_patterns": [[{"RIGHT_ID": "a", "RIGHT_ATTRS": {}}]]},
            "does not list them in requires",
        ),
        (
            {
                "id": "X_THREE",
                "requires": ["DEP"],
                "dep_patterns": [
                    [{"RIGHT_ID": "a", "RIGHT_ATTRS": {}}, {"RIGHT_ID": "b", "RIGHT_ATTRS": {}}]
                ],
            },
            "needs LEFT_ID and REL_OP",
        ),
        ({"id": "X_FOUR", "requires": ["DEP"]}, "at least one of"),
        (
            {
                "id": "X_FIVE",
                "requires": ["DEP"],
                "dep_patterns": [[{"RIGHT_ID": "a", "RIGHT_ATTRS": {"FOO": 1}}]],
            },
            "unknown RIGHT_ATTRS key",
        ),
    ],
)
def test_variant_schema(variant: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Variant.model_validate(variant)


def test_a_variant_error_in_a_rule_file_names_the_file_rule_and_field(tmp_path: Path) -> None:
    root = write_rule(tmp_path, POS_VARIANT_RULE.replace("requires: [POS]", "requires: []"))
    with pytest.raises(RuleError) as err:
        Analyzer(rules=[root], languages=["en"])
    assert "zz_test.yaml rule EN_TEST_RUE_VARIANT" in str(err.value)
    assert "variants.0" in str(err.value)
    root = write_rule(tmp_path, POS_VARIANT_RULE.replace('no_match: ["Our rue is real."]', "no_match: []"))
    with pytest.raises(RuleError, match="every variant needs examples"):
        Analyzer(rules=[root], languages=["en"])


# --------------------------------------------------------------------------- configuration file
def test_config_file_sets_backends_and_resolves_paths_against_the_file(
    tmp_path: Path, trained_pipeline: Path
) -> None:
    cfg = tmp_path / "conf" / "trustsignals.yaml"
    cfg.parent.mkdir()
    (tmp_path / "models").mkdir()
    model = os.path.relpath(trained_pipeline, cfg.parent)
    assert model.startswith("..")
    cfg.write_text(
        "backends:\n"
        f"  en: {{backend: spacy, model: {model}}}\n"
        "  el: {backend: stanza, model_dir: ../models, processors: 'tokenize,pos'}\n"
        "  pt: blank\n",
        encoding="utf-8",
    )
    config = load_config_file(cfg)
    assert config["pt"].backend == "blank"
    el = dict(config["el"].options)
    assert el == {"model_dir": str((tmp_path / "models").resolve()), "processors": "tokenize,pos"}
    analyzer = Analyzer(config=cfg, languages=["en"])  # el and pt are not loaded: ignored
    assert set(analyzer.backend_config) == {"en"}
    assert analyzer.compiled("en").pipeline.backend.name == "spacy"
    # Python settings override the file's
    overridden = Analyzer(config=cfg, languages=["en"], backends={"en": "blank"})
    assert overridden.compiled("en").pipeline.backend.name == "blank"


@pytest.mark.parametrize(
    "body,field,message",
    [
        ("backends:\n  el: {backend: spacy}\n", "backends.el", "needs model"),
        ("backends:\n  el: {backend: stanza, modle_dir: x}\n", "backends.el.modle_dir", "Extra inputs"),
        ("backends:\n  el: {backend: udpipe}\n", "backends.el.backend", "Input should be"),
        ("backends:\n  el: {backend: blank, model_dir: x}\n", "backends.el", "options of the stanza backend"),
        ("backend:\n  el: stanza\n", "backend", "Extra inputs"),
        ("backends: [el]\n", "backends", "dictionary"),
    ],
)
def test_config_file_errors_name_file_and_field(tmp_path: Path, body: str, field: str, message: str) -> None:
    cfg = tmp_path / "trustsignals.yaml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config_file(cfg)
    assert err.value.source == str(cfg)
    assert err.value.field == field
    assert message in err.value.message


def test_config_file_that_is_not_yaml_or_missing(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("backends: {el: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(str(cfg)) + ":"):
        load_config_file(cfg)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "nope.yaml")


def test_config_for_a_language_without_rules_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "trustsignals.yaml"
    cfg.write_text("backends:\n  xx: blank\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Analyzer(config=cfg)
    assert err.value.source == str(cfg) and err.value.field == "backends.xx"


def test_cli_config_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "trustsignals.yaml"
    cfg.write_text("backends:\n  en: {backend: spacy}\n", encoding="utf-8")
    conv = tmp_path / "c.jsonl"
    conv.write_text(json.dumps({"id": "1", "turns": [{"role": "agent", "text": "Sorry about that."}]}))
    args = ["analyze", str(conv), "--config", str(cfg), "--language", "en"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "backends.en" in err
    cfg.write_text("backends:\n  en: blank\n", encoding="utf-8")
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["backend"] for f in report["findings"]] == ["blank"]
    # a configured model that is missing stops the run before any record (stanza or not installed)
    (tmp_path / "empty").mkdir()
    cfg.write_text("backends:\n  en: {backend: stanza, model_dir: empty}\n", encoding="utf-8")
    assert main(args) == 2
    out = capsys.readouterr()
    assert out.out == "" and "[TS301]" in out.err and out.err.count("\n") == 1
