"""The rule engine: one language's rules compiled into one matcher pass, plus context.

All token patterns of a language go into one ``TokenMatcher`` (spaCy ``Matcher`` semantics, with
predicates evaluated once per token type; patterns it cannot run go to a spaCy ``Matcher``), all
phrases into one ``PhraseMatcher`` on the folded ``NORM`` attribute, the ``dep_patterns`` of rule
variants into one ``DependencyMatcher`` (run only on parsed docs), and whole-turn regexes run on
RE2 over the folded turn text (RE2's ``FilteredRE2`` tells, from the literal strings each regex
needs, which regexes can match at all).
Antipatterns, context cues, terminators and blame-target words are compiled
into the same matchers under their own keys, so a turn is matched once.

Context follows medspaCy's ConText: a cue (negation, condition, reported speech) affects what
follows it (``forward``), precedes it (``backward``) or both, within ``max_scope`` tokens of the
same sentence and up to a terminator ("but"); pseudo cues ("not only") cancel cues they
overlap; a sentence that ends in a question mark puts its findings in ``question`` context.
What a context does to a finding (suppress it, ignore, or convert it to another signal) is
declared per signal in ``signals.yaml`` and per rule.
"""

from __future__ import annotations

import string
import unicodedata
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import re2
from spacy.attrs import IDX, LENGTH, ORTH, SPACY
from spacy.matcher import DependencyMatcher, Matcher, PhraseMatcher
from spacy.tokens import Doc

from .errors import RuleError
from .models import Finding
from .nlp import Pipeline
from .ruleset import (
    CONTEXT_CATEGORIES,
    Convert,
    Cue,
    LanguageRules,
    LoadedRule,
    MatchSpec,
    SignalDef,
    Variant,
)
from .tokenmatch import TokenMatcher

_CONCRETE_TARGETS = ("customer", "colleague", "third_party", "system", "unspecified")
_CLAUSE_PUNCT = frozenset({",", ";", ":", "—", "–", "،", "、", "，", "(", ")"})
_TEMPLATE_FIELDS = {"signal", "text", "rule_id", "target", "language", "role"}


@dataclass(slots=True)
class _Match:
    key: str
    s: int  # token start
    e: int  # token end (exclusive)
    cs: int  # char start
    ce: int  # char end
    anchor: tuple[int, int] | None = None  # tokens whose context counts (dependency matches: the anchor)


@dataclass
class _RuleEntry:
    rule: LoadedRule
    variant: str | None
    anti_keys: tuple[str, ...]
    effects: dict[str, str | Convert]
    roles: tuple[str, ...] = ()  # the roles the rule applies to (its own, else its signal's)


@dataclass
class TurnContext:
    """Sentence ids, question sentences and cue spans of one turn's doc."""

    sent: list[int]
    questions: set[int]
    cues: list[tuple[Cue, int, int, str]] = field(default_factory=list)
    terminators: list[int] = field(default_factory=list)
    commas: list[int] = field(default_factory=list)


def _regex_options() -> Any:
    opts = re2.Options()
    opts.log_errors = False
    return opts


class CompiledLanguage:
    """One language's rules, compiled for one pipeline (backend)."""

    def __init__(self, rules: LanguageRules, signals: dict[str, SignalDef], pipeline: Pipeline) -> None:
        self.rules = rules
        self.signals = signals
        self.pipeline = pipeline
        self.code = rules.spec.code
        vocab = pipeline.vocab
        self.matcher = Matcher(vocab, validate=True)  # token patterns TokenMatcher cannot run
        self.token_matcher = TokenMatcher(vocab)
        self._validator: Matcher | None = Matcher(vocab, validate=True)  # checks every pattern on load
        self.phrases = PhraseMatcher(vocab, attr="NORM")
        self.dep_matcher = DependencyMatcher(vocab, validate=True)
        self._regex_specs: list[tuple[str, str, str]] = []  # (key, pattern, where it comes from)
        self._flag_cache: dict[int, int] = {}
        self.entries: dict[str, _RuleEntry] = {}
        self.cues: dict[str, Cue] = {}
        self.order: dict[str, int] = {}
        provides = pipeline.backend.provides
        self.sentence_ends = set(rules.spec.sentence_ends)
        self.question_marks = set(rules.spec.question_marks)
        for i, lr in enumerate(rules.rules):
            rule = lr.rule
            where = f"{lr.path} rule {rule.id}"
            _check_template(lr.explanation, where)
            anti_keys: list[str] = []
            for anti in lr.file_antipatterns:
                key = f"A|{lr.path}|{anti.id}"
                if key not in self.entries and key not in self.order:
                    self._add(key, anti, where=f"{lr.path} antipattern {anti.id}")
                    self.order[key] = -1
                anti_keys.append(key)
            for anti in rule.antipatterns:
                key = f"a|{rule.id}|{anti.id}"
                self._add(key, anti, where=f"{where} antipattern {anti.id}")
                anti_keys.append(key)
            effects: dict[str, str | Convert] = {str(k): v for k, v in signals[lr.signal].context.items()}
            effects.update({str(k): v for k, v in rule.context.items()})
            roles = tuple(rule.roles or signals[lr.signal].roles)
            usable = [v for v in rule.variants if set(v.requires) <= provides]
            for v in usable:
                key = f"R|{rule.id}|{v.id}"
                self._add(key, v, where=f"{where} variant {v.id}")
                self.entries[key] = _RuleEntry(lr, v.id, tuple(anti_keys), effects, roles)
                self.order[key] = i
            # the base patterns are the fallback: they run unless a usable variant replaces them
            if not any(v.mode == "replace" for v in usable):
                key = f"R|{rule.id}"
                self._add(key, rule, where=where)
                self.entries[key] = _RuleEntry(lr, None, tuple(anti_keys), effects, roles)
                self.order[key] = i
        for cue in rules.context.cues:
            key = f"C|{cue.id}"
            if key in self.cues:
                raise RuleError(f"cue id {cue.id} appears twice", source=f"{self.code}/context.yaml")
            self.cues[key] = cue
            self._add(key, cue, where=f"{self.code}/context.yaml cue {cue.id}")
        if not rules.context.terminators.is_empty():
            self._add("T", rules.context.terminators, where=f"{self.code}/context.yaml terminators")
        self.targets: list[str] = []
        if rules.blame_targets is not None:
            for target, spec in rules.blame_targets.targets.items():
                self._add(f"B|{target}", spec, where=f"{self.code}/blame_targets.yaml {target}")
                self.targets.append(target)
            for target, spec in rules.blame_targets.fallback.items():
                self._add(f"b|{target}", spec, where=f"{self.code}/blame_targets.yaml fallback {target}")
        self._regex_filter = RegexFilter(
            [pattern for _key, pattern, _where in self._regex_specs],
            [where for _key, _pattern, where in self._regex_specs],
        )
        self._regex_keys = [key for key, _p, _w in self._regex_specs]
        self._validator = None

    # -- compilation --------------------------------------------------------------------
    def _add(self, key: str, spec: MatchSpec, *, where: str) -> None:
        if spec.patterns:
            patterns = [[self._fold_token(tok) for tok in p] for p in spec.patterns]
            assert self._validator is not None
            try:
                self._validator.add(key, patterns, greedy="LONGEST")
                if all(TokenMatcher.supports(p) for p in patterns):
                    self.token_matcher.add(key, patterns)
                else:
                    self.matcher.add(key, patterns, greedy="LONGEST")
            except (ValueError, KeyError, TypeError) as exc:
                raise RuleError(f"invalid token pattern: {exc}", source=where, field="patterns") from exc
        if spec.phrases:
            docs = [self.pipeline.fold_phrase_doc(p) for p in spec.phrases]
            empty = [p for p, d in zip(spec.phrases, docs, strict=True) if len(d) == 0]
            if empty:
                raise RuleError(f"phrase {empty[0]!r} has no tokens", source=where, field="phrases")
            self.phrases.add(key, docs)
        if isinstance(spec, Variant) and spec.dep_patterns:
            dep_patterns = [
                [{**node, "RIGHT_ATTRS": self._fold_token(node.get("RIGHT_ATTRS", {}))} for node in p]
                for p in spec.dep_patterns
            ]
            try:
                self.dep_matcher.add(key, dep_patterns)
            except (ValueError, KeyError, TypeError) as exc:
                raise RuleError(
                    f"invalid dependency pattern: {exc}", source=where, field="dep_patterns"
                ) from exc
        self._regex_specs.extend((key, rx, where) for rx in spec.regex)

    def _fold_token(self, tok: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        fold = self.pipeline.folder.fold
        for key, value in tok.items():
            ukey = key.upper() if key != "_" else key
            if ukey in ("NORM", "LEMMA"):
                out[ukey] = _map_values(value, fold)
            elif ukey == "LOWER":
                out[ukey] = _map_values(value, str.lower)
            elif ukey == "TEXT":
                out["ORTH"] = value
            else:
                out[ukey] = value
        return out

    # -- matching -----------------------------------------------------------------------
    def matches(self, doc: Doc, text: str | None = None) -> list[_Match]:
        """Every match of every key in one turn (``text`` is ``doc.text``, passed when known)."""
        if text is None:
            text = doc.text
        strings = doc.vocab.strings
        found: list[_Match] = []
        hits: list[tuple[str, int, int]] = self.token_matcher(doc)
        if len(self.matcher):
            hits.extend((strings[match_id], s, e) for match_id, s, e in self.matcher(doc))
        hits.extend((strings[match_id], s, e) for match_id, s, e in self.phrases(doc))
        bounds: _Bounds | None = None
        if hits:
            bounds = _Bounds(doc)
            starts, ends = bounds.starts, bounds.ends
            for key, s, e in hits:
                found.append(_Match(key, s, e, starts[s], ends[e - 1]))
        if len(self.dep_matcher) and doc.has_annotation("DEP"):
            for match_id, token_ids in self.dep_matcher(doc):
                # evidence: first to last matched token; context: the pattern's anchor (first node),
                # so that "the courier didn't lose it" is negated at "lose"
                s, e = min(token_ids), max(token_ids) + 1
                span = doc[s:e]
                anchor = (token_ids[0], token_ids[0] + 1)
                found.append(_Match(strings[match_id], s, e, span.start_char, span.end_char, anchor))
        if self._regex_keys:
            folded, offsets = self.pipeline.folder.fold_text(text)
            data = folded.encode("utf-8")
            # the regexes whose required literal strings all occur (a superset of those that match)
            candidates = self._regex_filter.candidates(data)
            if candidates:
                one_byte = len(data) == len(folded)
                if bounds is None:
                    bounds = _Bounds(doc)
                regex_keys, regex = self._regex_keys, self._regex_filter.regex
                for index in candidates:
                    key = regex_keys[index]
                    for a, b in _byte_spans(regex(index), data):
                        if b <= a:
                            continue
                        if not one_byte:  # byte offsets to character offsets
                            a, b = len(data[:a].decode("utf-8")), len(data[:b].decode("utf-8"))
                        if offsets is None:
                            cs, ce = a, b
                        else:
                            cs = offsets[a]
                            ce = _extend_marks(text, offsets[b - 1] + 1)
                        # the evidence is the words: not the spaces a regex took around them
                        while ce > cs and text[ce - 1].isspace():
                            ce -= 1
                        while cs < ce and text[cs].isspace():
                            cs += 1
                        if ce <= cs:
                            continue
                        aligned = bounds.expand(cs, ce)
                        if aligned is not None:
                            found.append(_Match(key, aligned[0], aligned[1], cs, ce))
        return found

    def _token_flags(self, orth: int, vocab: Any) -> int:
        """Bit flags of a word (by its orth id): 1 clause punctuation, 2 question mark, 4 ends a
        sentence."""
        flags = self._flag_cache.get(orth)
        if flags is None:
            lex = vocab[orth]
            word, is_punct, is_space = lex.orth_, lex.is_punct, lex.is_space
            ends, qmarks = self.sentence_ends, self.question_marks
            flags = 0
            if word in _CLAUSE_PUNCT:
                flags |= 1
            if any(c in qmarks for c in word) and (is_punct or all(c in qmarks or c in ends for c in word)):
                flags |= 2
            if (word and all(c in ends for c in word)) or (is_space and "\n" in word) or _is_emoji(word):
                flags |= 4
            self._flag_cache[orth] = flags
        return flags

    def context_of(self, doc: Doc, matches: list[_Match], text: str | None = None) -> TurnContext:
        sent: list[int] = []
        sid = 0
        questions: set[int] = set()
        commas: list[int] = []
        cache = self._flag_cache
        vocab = doc.vocab
        for i, orth in enumerate(doc.to_array(ORTH).tolist()):
            sent.append(sid)
            flags = cache.get(orth)
            if flags is None:
                flags = self._token_flags(orth, vocab)
            if flags:
                if flags & 1:
                    commas.append(i)
                if flags & 2:
                    questions.add(sid)
                if flags & 4:
                    sid += 1
        ctx = TurnContext(sent=sent, questions=questions, commas=commas)
        pseudo = [(m.s, m.e) for m in matches if m.key.startswith("C|") and self.cues[m.key].pseudo]
        for m in matches:
            if m.key.startswith("C|"):
                cue = self.cues[m.key]
                if cue.pseudo or any(ps < m.e and m.s < pe for ps, pe in pseudo):
                    continue
                ctx.cues.append((cue, m.s, m.e, (text if text is not None else doc.text)[m.cs : m.ce]))
            elif m.key == "T":
                ctx.terminators.append(m.s)
        return ctx

    def find(
        self, doc: Doc, *, role: str, turn: int, dedupe: bool = True, text: str | None = None
    ) -> list[Finding]:
        """Findings of one turn (``text`` is ``doc.text``, passed when the caller has it)."""
        if text is None:
            text = doc.text
        matches = self.matches(doc, text)
        # a rule whose roles exclude this turn's role finds nothing, whatever the context
        entries = self.entries
        rule_matches = [m for m in matches if m.key.startswith("R|") and _role_ok(role, entries[m.key].roles)]
        if not rule_matches:
            return []
        ctx = self.context_of(doc, matches, text)
        anti: dict[str, list[tuple[int, int]]] = {}
        targets: list[_Match] = []
        for m in matches:
            if m.key[0] in "Aa":
                anti.setdefault(m.key, []).append((m.cs, m.ce))
            elif m.key.startswith(("B|", "b|")):
                targets.append(m)
        candidates: list[tuple[tuple[Any, ...], Finding]] = []
        for m in rule_matches:
            entry = entries[m.key]
            if any(a < m.ce and m.cs < b for k in entry.anti_keys for a, b in anti.get(k, ())):
                continue
            finding = self._finding(text, m, entry, ctx, role, turn, targets)
            if finding is not None:
                key = (finding.start, -(finding.end - finding.start), self.order[m.key], finding.rule_id)
                candidates.append((key, finding))
        candidates.sort(key=lambda kv: kv[0])
        if not dedupe:
            return [f for _, f in candidates]
        kept: list[Finding] = []
        for _, f in candidates:
            if any(k.signal == f.signal and k.start < f.end and f.start < k.end for k in kept):
                continue
            kept.append(f)
        return kept

    def _finding(
        self,
        doc_text: str,
        m: _Match,
        entry: _RuleEntry,
        ctx: TurnContext,
        role: str,
        turn: int,
        targets: list[_Match],
    ) -> Finding | None:
        lr = entry.rule
        rule = lr.rule
        signal = lr.signal
        allowed = rule.roles or self.signals[signal].roles
        if not _role_ok(role, allowed):
            return None
        notes: list[str] = []
        active = self._active_context(m, ctx)
        for category in CONTEXT_CATEGORIES:
            if category not in active:
                continue
            effect = entry.effects.get(category, "ignore")
            cue_text = active[category]
            if effect == "suppress":
                return None
            if isinstance(effect, Convert):
                notes.append(f"{category} ({cue_text}) turned {signal} into {effect.convert}")
                signal = effect.convert
                if not _role_ok(role, self.signals[signal].roles):
                    return None
                break
        text = doc_text[m.cs : m.ce]
        target: str | None = None
        target_note = ""
        if signal == "blame_shifting":
            target, target_note = self._target(doc_text, m, ctx, rule.target, targets)
        sig = self.signals[signal]
        explanation = lr.explanation if signal == lr.signal else sig.explanation
        try:
            message = explanation.format(
                signal=signal, text=text, rule_id=rule.id, target=target or "", language=self.code, role=role
            )
        except (KeyError, IndexError, ValueError):
            message = f"{signal}: '{text}'"
        message += f" [rule {rule.id}" + (f", variant {entry.variant}" if entry.variant else "") + "]"
        if target_note:
            message += f"; {target_note}"
        if notes:
            message += "; " + "; ".join(notes)
        return Finding(
            signal=signal,
            polarity=sig.polarity,
            role=role,  # type: ignore[arg-type]
            turn=turn,
            start=m.cs,
            end=m.ce,
            text=text,
            rule_id=rule.id,
            language=self.code,
            confidence=rule.confidence,
            explanation=message,
            seed=lr.seed if signal == lr.signal else sig.seed,
            target=target,  # type: ignore[arg-type]
            context=tuple(notes),
            backend=self.pipeline.backend.name,
            variant=entry.variant,
        )

    def _active_context(self, m: _Match, ctx: TurnContext) -> dict[str, str]:
        active: dict[str, str] = {}
        ms, me = m.anchor or (m.s, m.e)
        if ms < len(ctx.sent) and ctx.sent[ms] in ctx.questions:
            active["question"] = "?"
        sid = ctx.sent[ms] if ms < len(ctx.sent) else -1
        for cue, cs, ce, cue_text in ctx.cues:
            if cue.category in active or (cs < me and ms < ce):
                continue
            if ctx.sent[cs] != sid:
                continue
            hit = False
            stops = ctx.terminators if cue.cross_comma else ctx.terminators + ctx.commas
            if cue.direction in ("forward", "both") and ce <= ms and ms - ce < cue.max_scope:
                hit = not any(ce <= t < ms for t in stops)
            if not hit and cue.direction in ("backward", "both") and me <= cs and cs - me < cue.max_scope:
                hit = not any(me <= t < cs for t in stops)
            if hit:
                active[cue.category] = f"'{cue_text}'"
        return active

    def _target(
        self, doc_text: str, m: _Match, ctx: TurnContext, declared: str | None, targets: list[_Match]
    ) -> tuple[str, str]:
        if declared in _CONCRETE_TARGETS:
            return str(declared), f"blame goes to {declared} (declared by the rule)"
        sid = ctx.sent[m.s] if m.s < len(ctx.sent) else -1
        # target words inside the finding, then nearest in its sentence; weak (fallback) words
        # such as pronouns only when no target word is there
        for prefix in ("B|", "b|"):
            words = [t for t in targets if t.key.startswith(prefix)]
            inside = [t for t in words if t.cs < m.ce and m.cs < t.ce]
            near = inside or sorted(
                (t for t in words if t.s < len(ctx.sent) and ctx.sent[t.s] == sid),
                key=lambda t: (min(abs(t.s - m.e), abs(m.s - t.e)), t.s, t.key),
            )
            if near:
                best = min(near, key=lambda t: (t.s, t.key)) if inside else near[0]
                name = best.key.split("|", 1)[1]
                return name, f"blame goes to {name} (from the words '{doc_text[best.cs : best.ce]}')"
        return "unspecified", "blame goes to nobody named"


class _Bounds:
    """Character bounds of a doc's tokens, read once, for aligning character spans."""

    __slots__ = ("ends", "reach", "starts")

    def __init__(self, doc: Doc) -> None:
        arr = doc.to_array([IDX, LENGTH, SPACY]).tolist() if len(doc) else []
        self.starts: list[int] = [r[0] for r in arr]
        self.ends: list[int] = [r[0] + r[1] for r in arr]
        self.reach: list[int] = [r[0] + r[1] + r[2] for r in arr]  # with trailing whitespace

    def _token_at(self, char: int) -> int:
        i = bisect_right(self.starts, char) - 1
        return i if i >= 0 and char < self.reach[i] else -1

    def expand(self, cs: int, ce: int) -> tuple[int, int] | None:
        """Token start and end of every token the span [cs, ce) touches, as spaCy's
        ``Doc.char_span(..., alignment_mode="expand")``; None when no token is touched."""
        start = self._token_at(cs)
        end = self._token_at(ce - 1)
        if start < 0 or end < 0:
            return None
        if cs == self.ends[start]:  # trailing whitespace is not part of the token before it
            start += 1
        end += 1
        return (start, end) if end > start else None


_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


def _byte_spans(rx: Any, data: bytes) -> list[tuple[int, int]]:
    """Byte spans of the successive matches of ``rx`` in ``data``, as ``finditer`` finds them."""
    out: list[tuple[int, int]] = []
    pos, end = 0, len(data)
    while True:
        span = rx.Match(_UNANCHORED, data, pos, end)[0]
        if span[0] < 0:
            return out
        out.append(span)
        if pos == end:
            return out
        if pos == span[1]:  # an empty match where the search started: step one character
            pos += 1
            while pos < end and data[pos] & 0xC0 == 0x80:
                pos += 1
        else:
            pos = span[1]


def _role_ok(role: str, allowed: Collection[str]) -> bool:
    return role in allowed or (role == "bot" and "agent" in allowed)


def _map_values(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.upper() in ("IN", "NOT_IN") and isinstance(v, list):
                out[k.upper()] = [fn(x) if isinstance(x, str) else x for x in v]
            else:
                out[k.upper()] = v
        return out
    return value


# How much pattern text one prefilter takes (see RegexFilter). A non-ASCII character weighs more:
# RE2 matches the atoms case-insensitively byte by byte, and a two-byte letter with its other case
# multiplies the automaton's states. Measured on the shipped rules (benchmarks/, unseen text):
# the Greek set (359 patterns, 51k non-ASCII characters, weight 222k) thrashed as one filter
# (150-230 us a turn, warm or not) and runs at 26 us a turn in two; the Latin-script sets
# (40k-100k) run at 5-14 us a turn in one and slower when split.
FILTER_BUDGET = 160_000


def _weight(pattern: str) -> int:
    return sum(1 if ord(c) < 128 else 4 for c in pattern)


class RegexFilter:
    """Which of many regexes can match a text, in one pass per part over their literal strings.

    Each part is an RE2 ``FilteredRE2``: it finds the literal strings ("atoms") each pattern
    needs and gives the patterns whose atoms all occur (a superset of those that match; a
    pattern without atoms is always a candidate). Patterns are compiled without capture groups
    (RE2 has no backreferences, so groups never change what matches, and a match then needs no
    submatch pass). The patterns are split into parts of at most ``budget`` weight, so that each
    part's automaton fits its memory (see ``FILTER_BUDGET``). This replaced an ``RE2::Set`` of
    all patterns, whose DFA kept outgrowing its memory on Greek text and rebuilt itself turn after
    turn. ``sources`` name where each pattern comes from, for errors.
    """

    def __init__(self, patterns: list[str], sources: list[str] | None = None, *, budget: int = FILTER_BUDGET):
        opts = _regex_options()
        opts.never_capture = True
        self.parts: list[tuple[int, Any]] = []  # (index of its first pattern, FilteredRE2)
        weight = 0
        for n, pattern in enumerate(patterns):
            w = _weight(pattern)
            if not self.parts or (weight + w > budget and weight > 0):
                self.parts.append((n, re2._re2.Filter()))
                weight = 0
            weight += w
            first, part = self.parts[-1]
            # Add gives the pattern's index in its part; -1 when it does not compile
            if part.Add(pattern.encode("utf-8"), opts) != n - first:
                source = sources[n] if sources else None
                try:
                    re2.compile(pattern, _regex_options())
                except re2.error as exc:
                    raise RuleError(f"regex {pattern!r}: {exc}", source=source, field="regex") from exc
                raise RuleError(f"regex {pattern!r} cannot be compiled", source=source, field="regex")
        self._regexes: list[Any] = []
        ends = [first for first, _ in self.parts[1:]] + [len(patterns)]  # a part ends where the next starts
        for (first, part), end in zip(self.parts, ends, strict=False):  # no pattern: no part
            if not part.Compile():  # pragma: no cover
                raise RuleError("cannot build the regex filter")
            # each regex as the filter compiled it (without capture groups), to find its spans
            self._regexes.extend(part.GetRE2(i) for i in range(end - first))

    def candidates(self, data: bytes) -> list[int]:
        """Indexes, in increasing order, of the patterns that may match ``data`` (UTF-8)."""
        if len(self.parts) == 1:
            return sorted(self.parts[0][1].Match(data, True))
        out: list[int] = []
        for offset, part in self.parts:
            out.extend(offset + i for i in sorted(part.Match(data, True)))
        return out

    def regex(self, index: int) -> Any:
        """Pattern ``index`` as compiled (an RE2 object without capture groups)."""
        return self._regexes[index]

    def __len__(self) -> int:
        return len(self._regexes)


def _is_emoji(word: str) -> bool:
    """A token made only of pictographs (emoji end a chat sentence like a full stop)."""
    return bool(word) and all(
        unicodedata.category(c) == "So" or c in "\u200d\ufe0f" or 0x1F3FB <= ord(c) <= 0x1F3FF for c in word
    )


def _extend_marks(text: str, end: int) -> int:
    while end < len(text) and unicodedata.category(text[end]) in ("Mn", "Mc", "Me", "Cf"):
        end += 1
    return end


def _check_template(template: str, where: str) -> None:
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None and name not in _TEMPLATE_FIELDS:
            raise RuleError(
                f"explanation uses unknown field {{{name}}}",
                source=where,
                field="explanation",
                expected=f"fields among {sorted(_TEMPLATE_FIELDS)}",
            )


def finding_sort_key(f: Finding) -> tuple[Any, ...]:
    return (f.turn, f.start, f.end, f.signal, f.rule_id)
