"""trustsignals as a spaCy pipeline component.

    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> _ = nlp.add_pipe("trustsignals")
    >>> doc = nlp("Sorry for the delay, that was our mistake.")
    >>> [(span.text, span.label_) for span in doc.spans["trustsignals"]]
    [('Sorry for the delay', 'apology'), ('that was our mistake', 'ownership')]

The factory ``"trustsignals"`` is registered when ``trustsignals`` is imported and, through the
``spacy_factories`` entry point, whenever spaCy looks it up. The component reads the whole doc as
one turn said by ``role`` (``agent``, ``bot`` or ``customer``) and puts each finding in
``doc.spans["trustsignals"]`` as a span labelled with its signal; the span's
``span._.trust_finding`` is the :class:`~trustsignals.models.Finding` (rule id, polarity,
explanation, blame target...) and ``doc._.trust_report`` the whole
:class:`~trustsignals.models.Report`. ``language`` (default: the pipeline's language when
trustsignals has rules for it, else detected per doc) chooses the rule set.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from .analyzer import Analyzer
from .errors import ConfigError
from .models import ROLES, Transcript, Turn
from .ruleset import default_rules_dir

SPANS_KEY = "trustsignals"

if not Span.has_extension("trust_finding"):
    Span.set_extension("trust_finding", default=None)
if not Doc.has_extension("trust_report"):
    Doc.set_extension("trust_report", default=None)


def has_rules(language: str) -> bool:
    """True when trustsignals ships rules for ``language``."""
    return language.isidentifier() and (default_rules_dir() / language / "language.yaml").is_file()


@lru_cache(maxsize=16)
def _analyzer(language: str | None) -> Analyzer:
    if language is None:
        return Analyzer()
    return Analyzer(language=language, languages=[language])


class TrustSignalsComponent:
    """Finds trust signals in a doc (one turn) and stores them as spans."""

    def __init__(
        self,
        nlp: Language,
        name: str = "trustsignals",
        *,
        language: str | None = None,
        role: str = "agent",
        spans_key: str = SPANS_KEY,
    ) -> None:
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r}", field="role", expected=f"one of {list(ROLES)}")
        if language is None and nlp.lang and has_rules(nlp.lang):
            language = nlp.lang
        self.name = name
        self.language = language
        self.role = role
        self.spans_key = spans_key

    @property
    def analyzer(self) -> Analyzer:
        return _analyzer(self.language)

    def __call__(self, doc: Doc) -> Doc:
        turn = Turn(role=self.role, text=doc.text)  # type: ignore[arg-type]
        report = self.analyzer.analyze_transcript(Transcript(id="doc", turns=(turn,), language=self.language))
        spans: list[Span] = []
        for f in report.findings:
            span = doc.char_span(f.start, f.end, label=f.signal, alignment_mode="expand")
            if span is None:
                continue
            span._.trust_finding = f
            spans.append(span)
        doc.spans[self.spans_key] = spans
        doc._.trust_report = report
        return doc


@Language.factory(
    "trustsignals",
    default_config={"language": None, "role": "agent"},
    assigns=["doc.spans", "doc._.trust_report", "span._.trust_finding"],
)
def make_component(nlp: Language, name: str, language: str | None, role: str) -> TrustSignalsComponent:
    """The ``trustsignals`` spaCy factory: ``nlp.add_pipe("trustsignals", config={"role": "customer"})``."""
    return TrustSignalsComponent(nlp, name, language=language, role=role)
