"""Rule files: their schema, validation and loading.

A rule folder holds ``signals.yaml`` (the taxonomy) and one folder per language:

    rules/
      signals.yaml
      en/
        language.yaml        # how to tokenise, fold and detect the language; role aliases
        context.yaml         # negation, question, condition and reported-speech cues
        blame_targets.yaml   # words that name the blamed party, per target
        apology.yaml         # one file per signal: rules with their examples
        ...

Every file is read with ``yaml.safe_load`` and validated by the pydantic models below; errors
name the file, the rule id and the field. Loading builds new objects and hands them over only
when everything validated, so a broken file never leaves a rule set half-loaded.
"""

from __future__ import annotations

import re
import sre_constants
import sre_parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import RuleError, UnsafeRegexError
from .models import BLAME_TARGETS, ROLES

ContextCategory = Literal["negation", "question", "condition", "reported"]
CONTEXT_CATEGORIES: tuple[str, ...] = ("negation", "question", "condition", "reported")
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]{2,80}$")
_TOKEN_KEYS = {
    "ORTH",
    "TEXT",
    "LOWER",
    "NORM",
    "LEMMA",
    "POS",
    "TAG",
    "MORPH",
    "DEP",
    "LENGTH",
    "SHAPE",
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_STOP",
    "IS_SENT_START",
    "LIKE_NUM",
    "LIKE_EMAIL",
    "LIKE_URL",
    "OP",
    "ENT_TYPE",
}
# attributes a backend must provide for a token pattern that uses them
_PARSE_KEYS = {"POS": "POS", "TAG": "TAG", "MORPH": "MORPH", "DEP": "DEP"}


def _check_id(value: str, what: str, example: str) -> str:
    if not _RULE_ID.match(value):
        raise ValueError(f"{what} {value!r} must be upper case letters, digits and _ (like {example})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- regex safety
def check_regex(pattern: str, *, folded: bool, where: str, field_name: str, token: bool = True) -> None:
    """Reject a regular expression that RE2 cannot run or that could backtrack catastrophically.

    Whole-turn regexes (``token=False``) run on RE2, in linear time whatever the pattern.
    Token regexes run in the token matcher on Python's ``re``, so they must also have no
    nested unbounded repetition. ``folded`` asks that the literal letters be in folded form
    (lower case, no accents), since NORM text is.
    """
    import re2

    opts = re2.Options()
    opts.log_errors = False
    try:
        re2.compile(pattern, opts)
    except re2.error as exc:
        raise UnsafeRegexError(
            f"regular expression {pattern!r} is not supported by RE2: {exc}",
            source=where,
            field=field_name,
            expected="a regex without look-around or back-references",
        ) from exc
    if not token:
        tree = None
    else:
        try:
            tree = sre_parse.parse(pattern)
        except (re.error, sre_constants.error) as exc:
            raise RuleError(
                f"invalid regular expression {pattern!r}: {exc}", source=where, field=field_name
            ) from exc
    if tree is not None and _nested_repeat(tree, inside=False):
        raise UnsafeRegexError(
            f"regular expression {pattern!r} nests unbounded repetition and could backtrack catastrophically",
            source=where,
            field=field_name,
            expected="no repeated group that itself repeats, like (a+)+",
        )
    if folded:
        literal = re.sub(r"\\.", "", pattern)
        for ch in literal:
            if ch.isalpha():
                from .text import base_fold_char

                if base_fold_char(ch) != ch:
                    raise RuleError(
                        f"regular expression {pattern!r} contains {ch!r}, which folded text never "
                        f"contains; write {base_fold_char(ch)!r}",
                        source=where,
                        field=field_name,
                        expected="lower case letters without accents",
                    )


def _nested_repeat(tree: Any, inside: bool) -> bool:
    for op, av in tree:
        if op in (
            sre_constants.MAX_REPEAT,
            sre_constants.MIN_REPEAT,
            getattr(sre_constants, "POSSESSIVE_REPEAT", None),
        ):
            _lo, hi, sub = av
            unbounded = hi == sre_constants.MAXREPEAT or hi > 50
            if unbounded and inside:
                return True
            if _nested_repeat(sub, inside or unbounded):
                return True
        elif (op == sre_constants.SUBPATTERN and _nested_repeat(av[-1], inside)) or (
            op == sre_constants.BRANCH and any(_nested_repeat(b, inside) for b in av[1])
        ):
            return True
    return False


# --------------------------------------------------------------------------- match specs
TokenPattern = list[dict[str, Any]]


class MatchSpec(_Strict):
    """What to look for: spaCy token patterns, phrases (on folded text) and whole-turn regexes."""

    patterns: list[TokenPattern] = Field(default_factory=list, description="spaCy Matcher token patterns")
    phrases: list[str] = Field(default_factory=list, description="phrases matched on folded tokens")
    regex: list[str] = Field(default_factory=list, description="RE2 regexes on the folded turn text")
    description: str | None = None

    @field_validator("patterns")
    @classmethod
    def _check_patterns(cls, value: list[TokenPattern]) -> list[TokenPattern]:
        for i, pattern in enumerate(value):
            if not isinstance(pattern, list) or not pattern:
                raise ValueError(f"pattern {i} must be a non-empty list of token objects")
            for j, tok in enumerate(pattern):
                if not isinstance(tok, dict):
                    raise ValueError(f"pattern {i} token {j} must be an object like {{LOWER: sorry}}")
                for key in tok:
                    if key.upper() not in _TOKEN_KEYS and key != "_":
                        raise ValueError(
                            f"pattern {i} token {j}: unknown key {key!r}; use one of {sorted(_TOKEN_KEYS)}"
                        )
        return value

    @field_validator("phrases")
    @classmethod
    def _check_phrases(cls, value: list[str]) -> list[str]:
        for p in value:
            if not p.strip():
                raise ValueError("empty phrase")
        return value

    def is_empty(self) -> bool:
        return not (self.patterns or self.phrases or self.regex)

    def needs(self) -> set[str]:
        """Token attributes beyond the blank pipeline's that the patterns use."""
        out: set[str] = set()
        for pattern in self.patterns:
            for tok in pattern:
                for key in tok:
                    if key.upper() in _PARSE_KEYS:
                        out.add(_PARSE_KEYS[key.upper()])
        return out

    def uses_lemma(self) -> bool:
        return any(key.upper() == "LEMMA" for p in self.patterns for t in p for key in t)

    def regexes_for_check(self) -> Iterable[tuple[str, bool]]:
        """(pattern, folded?) of every regex in the spec, whole-turn and token-level."""
        for r in self.regex:
            yield r, True
        for pattern in self.patterns:
            for tok in pattern:
                for key, value in tok.items():
                    if isinstance(value, dict) and "REGEX" in {k.upper() for k in value}:
                        rx = next(v for k, v in value.items() if k.upper() == "REGEX")
                        yield str(rx), key.upper() in ("NORM", "LEMMA", "LOWER")


class AntiPattern(MatchSpec):
    """What must never fire for the rules it belongs to (e.g. "sorry to hear" for apology)."""

    id: str


ContextAction = Literal["suppress", "ignore"]


class Convert(_Strict):
    convert: str


class Example(_Strict):
    text: str
    role: Literal["agent", "bot", "customer", "system"] | None = None
    signal: str | None = Field(default=None, description="expected signal, when context converts it")
    target: str | None = Field(default=None, description="expected blame target")
    note: str | None = None


def _to_example(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class Examples(_Strict):
    match: list[Example] = Field(
        default_factory=list, description="texts the rule must match; the evidence in [brackets]"
    )
    no_match: list[Example] = Field(default_factory=list, description="texts the rule must not match")
    known_misses: list[Example] = Field(
        default_factory=list, description="texts it should match but does not yet (honest gaps)"
    )

    @field_validator("match", "no_match", "known_misses", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return [_to_example(v) for v in value] if isinstance(value, list) else value


DepPattern = list[dict[str, Any]]
_DEP_NODE_KEYS = {"RIGHT_ID", "RIGHT_ATTRS", "LEFT_ID", "REL_OP"}


class Variant(MatchSpec):
    """A rule variant that needs parser output (POS, TAG, MORPH, DEP) from the backend.

    A variant is used when the backend provides everything in ``requires``; otherwise the rule
    falls back to its base patterns. ``mode: replace`` (the default) runs the variant instead of
    the base patterns; ``mode: add`` runs it beside them (it catches what they miss).
    ``dep_patterns`` are spaCy ``DependencyMatcher`` patterns (they need ``DEP``); a match's
    evidence is the text from its first to its last matched token.
    """

    id: str
    requires: list[Literal["POS", "TAG", "MORPH", "DEP"]]
    mode: Literal["replace", "add"] = "replace"
    dep_patterns: list[DepPattern] = Field(
        default_factory=list, description="spaCy DependencyMatcher patterns"
    )
    examples: Examples = Field(
        default_factory=Examples, description="run with a backend that provides what the variant requires"
    )

    @field_validator("id")
    @classmethod
    def _variant_id(cls, value: str) -> str:
        return _check_id(value, "variant id", "DEP_SUBJECT")

    @field_validator("dep_patterns")
    @classmethod
    def _check_dep_patterns(cls, value: list[DepPattern]) -> list[DepPattern]:
        for i, pattern in enumerate(value):
            if not isinstance(pattern, list) or not pattern:
                raise ValueError(f"dep pattern {i} must be a non-empty list of nodes")
            for j, node in enumerate(pattern):
                if not isinstance(node, dict):
                    raise ValueError(
                        f"dep pattern {i} node {j} must be an object with RIGHT_ID and RIGHT_ATTRS"
                    )
                unknown = set(node) - _DEP_NODE_KEYS
                if unknown:
                    raise ValueError(
                        f"dep pattern {i} node {j}: unknown keys {sorted(unknown)}; use "
                        f"{sorted(_DEP_NODE_KEYS)}"
                    )
                if "RIGHT_ID" not in node:
                    raise ValueError(f"dep pattern {i} node {j} needs RIGHT_ID")
                if j == 0 and ("LEFT_ID" in node or "REL_OP" in node):
                    raise ValueError(
                        f"dep pattern {i}: the first node is the anchor and has no LEFT_ID or REL_OP"
                    )
                if j > 0 and ("LEFT_ID" not in node or "REL_OP" not in node):
                    raise ValueError(f"dep pattern {i} node {j} needs LEFT_ID and REL_OP")
                attrs = node.get("RIGHT_ATTRS", {})
                if not isinstance(attrs, dict):
                    raise ValueError(f"dep pattern {i} node {j}: RIGHT_ATTRS must be an object")
                for key in attrs:
                    if key.upper() not in _TOKEN_KEYS or key.upper() == "OP":
                        raise ValueError(f"dep pattern {i} node {j}: unknown RIGHT_ATTRS key {key!r}")
        return value

    @model_validator(mode="after")
    def _requires_what_it_uses(self) -> Variant:
        if self.is_empty():
            raise ValueError("a variant needs at least one of patterns, dep_patterns, phrases or regex")
        missing = sorted(self.needs() - set(self.requires))
        if missing:
            raise ValueError(f"the variant uses {missing} but does not list them in requires")
        return self

    def dep_nodes(self) -> Iterable[dict[str, Any]]:
        for pattern in self.dep_patterns:
            for node in pattern:
                yield node.get("RIGHT_ATTRS", {})

    def is_empty(self) -> bool:
        return super().is_empty() and not self.dep_patterns

    def needs(self) -> set[str]:
        out = super().needs()
        if self.dep_patterns:
            out.add("DEP")
        for attrs in self.dep_nodes():
            out |= {_PARSE_KEYS[k.upper()] for k in attrs if k.upper() in _PARSE_KEYS}
        return out

    def uses_lemma(self) -> bool:
        return super().uses_lemma() or any(k.upper() == "LEMMA" for a in self.dep_nodes() for k in a)

    def regexes_for_check(self) -> Iterable[tuple[str, bool]]:
        yield from super().regexes_for_check()
        for attrs in self.dep_nodes():
            for key, value in attrs.items():
                if isinstance(value, dict) and "REGEX" in {k.upper() for k in value}:
                    rx = next(v for k, v in value.items() if k.upper() == "REGEX")
                    yield str(rx), key.upper() in ("NORM", "LEMMA", "LOWER")


class Rule(MatchSpec):
    id: str
    roles: list[Literal["agent", "bot", "customer", "system"]] | None = None
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    explanation: str | None = None
    seed: str | None = None
    target: Literal["customer", "colleague", "third_party", "system", "unspecified", "auto"] | None = None
    context: dict[ContextCategory, ContextAction | Convert] = Field(default_factory=dict)
    antipatterns: list[AntiPattern] = Field(default_factory=list)
    examples: Examples = Field(default_factory=Examples)
    variants: list[Variant] = Field(
        default_factory=list,
        description="parser-based variants used instead of the base patterns "
        "when the backend provides what they require",
    )
    disabled: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, "rule id", "EN_APOLOGY_SORRY")

    @field_validator("context", mode="before")
    @classmethod
    def _ctx(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"convert": v["convert"]} if isinstance(v, dict) else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _has_something(self) -> Rule:
        if self.is_empty():
            raise ValueError("a rule needs at least one of patterns, phrases or regex")
        return self


class RuleFile(_Strict):
    """One file of rules for one signal in one language."""

    signal: str
    seed: str | None = None
    explanation: str | None = None
    antipatterns: list[AntiPattern] = Field(default_factory=list)
    rules: list[Rule]


class SignalDef(_Strict):
    id: str
    polarity: Literal["builds", "erodes", "customer_negative", "customer_positive"]
    roles: list[Literal["agent", "bot", "customer", "system"]]
    description: str
    seed: str
    explanation: str = "{signal}: '{text}'"
    context: dict[ContextCategory, ContextAction | Convert] = Field(default_factory=dict)

    @field_validator("context", mode="before")
    @classmethod
    def _ctx(cls, value: Any) -> Any:
        return Rule._ctx(value)


class SignalsFile(_Strict):
    signals: list[SignalDef]


class FoldSpec(_Strict):
    map: dict[str, str] = Field(default_factory=dict, description="extra character (sequence) mappings")
    collapse_repeats: bool = False


class DetectionSpec(_Strict):
    """Clues for language detection beyond the statistical detector."""

    script: str | None = Field(default=None, description="Unicode script name prefix, e.g. GREEK")
    markers: list[str] = Field(
        default_factory=list, description="words that mark romanised text of this language"
    )
    min_markers: int = 2


class LanguageSpec(_Strict):
    code: str
    name: str
    spacy_lang: str | None = None
    lemmatize: bool = True
    fold: FoldSpec = Field(default_factory=FoldSpec)
    sentence_ends: list[str] = Field(default_factory=lambda: [".", "!", "?", "…"])
    question_marks: list[str] = Field(default_factory=lambda: ["?"])
    roles: dict[str, Literal["agent", "bot", "customer", "system"]] = Field(default_factory=dict)
    detection: DetectionSpec = Field(default_factory=DetectionSpec)


class Cue(MatchSpec):
    id: str
    category: ContextCategory
    direction: Literal["forward", "backward", "both"] = "forward"
    max_scope: int = Field(default=6, ge=1, le=50)
    pseudo: bool = Field(default=False, description="looks like a cue but is not one (e.g. 'not only')")
    cross_comma: bool = Field(
        default=False, description="scope continues past commas (conditions: 'if X, we...')"
    )


class ContextFile(_Strict):
    cues: list[Cue] = Field(default_factory=list)
    terminators: MatchSpec = Field(default_factory=MatchSpec)


class BlameTargetsFile(_Strict):
    targets: dict[Literal["customer", "colleague", "third_party", "system"], MatchSpec]
    fallback: dict[Literal["customer", "colleague", "third_party", "system"], MatchSpec] = Field(
        default_factory=dict, description="weak words (pronouns) used only when no target word is near"
    )


# --------------------------------------------------------------------------- loaded sets
@dataclass
class LoadedRule:
    rule: Rule
    signal: str
    language: str
    path: str
    file_antipatterns: list[AntiPattern]
    seed: str
    explanation: str


@dataclass
class LanguageRules:
    """Everything one language's folder declares, validated."""

    spec: LanguageSpec
    rules: list[LoadedRule] = field(default_factory=list)
    context: ContextFile = field(default_factory=ContextFile)
    blame_targets: BlameTargetsFile | None = None
    paths: list[str] = field(default_factory=list)


@dataclass
class RuleSet:
    signals: dict[str, SignalDef]
    languages: dict[str, LanguageRules]

    def rule_ids(self) -> list[str]:
        return [r.rule.id for lang in self.languages.values() for r in lang.rules]


def default_rules_dir() -> Path:
    """The rule folder shipped with the package (or the checkout's, in an editable install)."""
    packaged = resources.files("trustsignals") / "rules"
    if packaged.is_dir():
        if isinstance(packaged, Path):
            return packaged
        return _extracted(packaged)
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if (checkout / "signals.yaml").is_file():
        return checkout
    raise RuleError(
        "the packaged rules are missing",
        source=str(packaged),
        expected="a trustsignals install that includes its rules/ folder",
    )


def _extracted(tree: Any) -> Path:
    """A real folder holding a copy of packaged rules that are not files on disk (a zipped wheel,
    as shipped to Spark executors with ``--py-files``); made once per process."""
    global _EXTRACTED
    if _EXTRACTED is None:
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="trustsignals-rules-"))

        def copy(node: Any, dest: Path) -> None:
            for child in node.iterdir():
                if child.is_dir():
                    (dest / child.name).mkdir()
                    copy(child, dest / child.name)
                else:
                    (dest / child.name).write_bytes(child.read_bytes())

        copy(tree, root)
        _EXTRACTED = root
    return _EXTRACTED


_EXTRACTED: Path | None = None


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"not UTF-8 (byte {exc.start})", source=str(path)) from exc
    except OSError as exc:
        raise RuleError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    try:
        # the C (libyaml) safe loader when PyYAML has it: same safe subset, much faster
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RuleError(f"invalid YAML: {getattr(exc, 'problem', exc)}", source=where) from exc


def _validate(model: type[BaseModel], data: Any, path: Path, rule_ids: Sequence[str] = ()) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        where = str(path)
        # name the rule id when the error is inside a rule
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(data, dict):
            rules = data.get("rules") or []
            if loc[1] < len(rules) and isinstance(rules[loc[1]], dict) and rules[loc[1]].get("id"):
                where = f"{path} rule {rules[loc[1]]['id']}"
        field_path = ".".join(str(p) for p in loc)
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise RuleError(f"{first['msg']}{more}", source=where, field=field_path or None) from exc


def load_signals(root: Path) -> dict[str, SignalDef]:
    path = root / "signals.yaml"
    sf: SignalsFile = _validate(SignalsFile, _read_yaml(path), path)
    out = {s.id: s for s in sf.signals}
    for s in sf.signals:
        for action in s.context.values():
            if isinstance(action, Convert) and action.convert not in out:
                raise RuleError(
                    f"converts to unknown signal {action.convert!r}", source=f"{path} {s.id}", field="context"
                )
    return out


_SPECIAL_FILES = {"language.yaml", "context.yaml", "blame_targets.yaml"}


def load_language(
    folder: Path, signals: dict[str, SignalDef], base: LanguageRules | None = None
) -> LanguageRules:
    """Load one language folder. With ``base``, the folder extends an already loaded language."""
    lang_path = folder / "language.yaml"
    if lang_path.is_file():
        spec: LanguageSpec = _validate(LanguageSpec, _read_yaml(lang_path), lang_path)
        if spec.code != folder.name:
            raise RuleError(
                f"code {spec.code!r} differs from the folder name {folder.name!r}",
                source=str(lang_path),
                field="code",
            )
    elif base is not None:
        spec = base.spec
    else:
        raise RuleError(
            "a new language folder needs a language.yaml",
            source=str(folder),
            expected="language.yaml with at least code and name",
        )
    out = LanguageRules(
        spec=spec,
        rules=list(base.rules) if base else [],
        context=base.context if base else ContextFile(),
        blame_targets=base.blame_targets if base else None,
        paths=list(base.paths) if base else [],
    )
    ctx_path = folder / "context.yaml"
    if ctx_path.is_file():
        ctx: ContextFile = _validate(ContextFile, _read_yaml(ctx_path), ctx_path)
        out.context = ContextFile(
            cues=[*out.context.cues, *ctx.cues],
            terminators=MatchSpec(
                patterns=[*out.context.terminators.patterns, *ctx.terminators.patterns],
                phrases=[*out.context.terminators.phrases, *ctx.terminators.phrases],
                regex=[*out.context.terminators.regex, *ctx.terminators.regex],
            ),
        )
        for cue in ctx.cues:
            _check_spec_regexes(cue, f"{ctx_path} cue {cue.id}")
    bt_path = folder / "blame_targets.yaml"
    if bt_path.is_file():
        bt: BlameTargetsFile = _validate(BlameTargetsFile, _read_yaml(bt_path), bt_path)
        for name, spec_ in bt.targets.items():
            _check_spec_regexes(spec_, f"{bt_path} target {name}")
        out.blame_targets = bt
    for path in sorted(folder.glob("*.yaml")):
        if path.name in _SPECIAL_FILES:
            continue
        data = _read_yaml(path)
        rf: RuleFile = _validate(RuleFile, data, path)
        if rf.signal not in signals:
            raise RuleError(
                f"unknown signal {rf.signal!r}",
                source=str(path),
                field="signal",
                expected=f"one of {sorted(signals)}",
            )
        sig = signals[rf.signal]
        for anti in rf.antipatterns:
            _check_spec_regexes(anti, f"{path} antipattern {anti.id}")
        for rule in rf.rules:
            where = f"{path} rule {rule.id}"
            _check_rule(rule, rf.signal, sig, signals, where)
            out.rules.append(
                LoadedRule(
                    rule=rule,
                    signal=rf.signal,
                    language=spec.code,
                    path=str(path),
                    file_antipatterns=rf.antipatterns,
                    seed=rule.seed or rf.seed or sig.seed,
                    explanation=rule.explanation or rf.explanation or sig.explanation,
                )
            )
        out.paths.append(str(path))
    return out


def _check_spec_regexes(spec: MatchSpec, where: str) -> None:
    whole_turn = set(spec.regex)
    for rx, folded in spec.regexes_for_check():
        check_regex(rx, folded=folded, where=where, field_name="regex", token=rx not in whole_turn)


def _check_rule(rule: Rule, signal: str, sig: SignalDef, signals: dict[str, SignalDef], where: str) -> None:
    _check_spec_regexes(rule, where)
    for anti in rule.antipatterns:
        _check_spec_regexes(anti, f"{where} antipattern {anti.id}")
    if rule.roles:
        allowed = set(sig.roles) | ({"bot"} if "agent" in sig.roles else set())
        bad = [r for r in rule.roles if r not in allowed]
        if bad:
            raise RuleError(
                f"roles {bad} are outside the roles of {signal} {sig.roles}", source=where, field="roles"
            )
    for action in rule.context.values():
        if isinstance(action, Convert) and action.convert not in signals:
            raise RuleError(f"converts to unknown signal {action.convert!r}", source=where, field="context")
    if rule.target is not None and signal != "blame_shifting":
        raise RuleError("only blame_shifting rules have a target", source=where, field="target")
    if not rule.disabled and (not rule.examples.match or not rule.examples.no_match):
        raise RuleError(
            "every rule needs examples it must match and examples it must not match",
            source=where,
            field="examples",
            expected="examples: {match: [...], no_match: [...]}",
        )
    _check_examples(rule.examples, where, "examples")
    seen: set[str] = set()
    for i, variant in enumerate(rule.variants):
        vwhere = f"{where} variant {variant.id}"
        if variant.id in seen:
            raise RuleError(f"variant id {variant.id} appears twice", source=where, field=f"variants.{i}.id")
        seen.add(variant.id)
        _check_spec_regexes(variant, vwhere)
        if not rule.disabled and (not variant.examples.match or not variant.examples.no_match):
            raise RuleError(
                "every variant needs examples it must match and examples it must not match",
                source=vwhere,
                field=f"variants.{i}.examples",
                expected="examples: {match: [...], no_match: [...]}",
            )
        _check_examples(variant.examples, vwhere, f"variants.{i}.examples")


def _check_examples(examples: Examples, where: str, field_name: str) -> None:
    for ex in examples.match + examples.known_misses:
        if ex.text.count("[") != 1 or ex.text.count("]") != 1 or ex.text.index("[") > ex.text.index("]"):
            raise RuleError(
                f"example {ex.text!r} must mark its evidence once, in [brackets]",
                source=where,
                field=f"{field_name}.match",
            )
        if ex.target is not None and ex.target not in BLAME_TARGETS:
            raise RuleError(
                f"example target {ex.target!r} is not a blame target",
                source=where,
                field=f"{field_name}.match.target",
                expected=str(BLAME_TARGETS),
            )
        if ex.role is not None and ex.role not in ROLES:  # pragma: no cover - pydantic checks it
            raise RuleError(f"example role {ex.role!r}", source=where)


def load_ruleset(
    dirs: Sequence[Path] | None = None,
    *,
    include_default: bool = True,
    disable: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> RuleSet:
    """Load the default rules and any user folders, all or nothing.

    A user folder holds language folders (``<dir>/<lang>/*.yaml``) and optionally its own
    ``signals.yaml``; a folder for a language already loaded adds rules to it. ``only``
    restricts loading to some languages.
    """
    wanted = set(only) if only else None
    roots = ([default_rules_dir()] if include_default else []) + [Path(d) for d in dirs or []]
    if not roots:
        raise RuleError("no rule folders given", expected="the default rules or --rules DIR")
    signals: dict[str, SignalDef] = {}
    for root in roots:
        if not root.is_dir():
            raise RuleError("not a folder", source=str(root), expected="a folder of language folders")
        if (root / "signals.yaml").is_file():
            signals.update(load_signals(root))
    if not signals:
        raise RuleError("no signals.yaml found", source=", ".join(map(str, roots)))
    languages: dict[str, LanguageRules] = {}
    for root in roots:
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            if not any(folder.glob("*.yaml")) or (wanted is not None and folder.name not in wanted):
                continue
            languages[folder.name] = load_language(folder, signals, languages.get(folder.name))
    seen: dict[str, str] = {}
    for lang in languages.values():
        for lr in lang.rules:
            if lr.rule.id in seen and seen[lr.rule.id] != lr.path:
                raise RuleError(
                    f"rule id {lr.rule.id} is also used in {seen[lr.rule.id]}",
                    source=lr.path,
                    field="id",
                    expected="ids unique across all rule files",
                )
            if lr.rule.id in seen:
                raise RuleError(f"rule id {lr.rule.id} appears twice", source=lr.path, field="id")
            seen[lr.rule.id] = lr.path
    disabled = set(disable)
    unknown = disabled - set(seen)
    if unknown:
        raise RuleError(f"cannot disable unknown rule ids {sorted(unknown)}", field="disable")
    for lang in languages.values():
        lang.rules = [lr for lr in lang.rules if lr.rule.id not in disabled and not lr.rule.disabled]
    return RuleSet(signals=signals, languages=languages)
