"""The Analyzer: build once, analyse many conversations."""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from .engine import CompiledLanguage, finding_sort_key
from .errors import ConfigError, InputError, InternalError, TrustSignalsError
from .langid import Guess, LanguageIdentifier
from .loaders import Limits, Record, RoleMapper, TranscriptBuilder, to_records
from .models import ErrorRecord, Finding, LedgerEntry, Report, Transcript
from .nlp import BackendConfig, Pipeline, load_config_file, make_backend
from .ruleset import RuleSet, load_ruleset
from .scoring import Scorer, ScoringConfig

Result = Report | ErrorRecord


class Analyzer:
    """Finds trust signals in conversations.

    Build it once and reuse it: rules are loaded and validated here (all or nothing), while
    each language's NLP pipeline and matchers are built the first time a conversation needs
    them.

    Args:
        rules: extra rule folders (each holds ``<lang>/`` folders) to add to the default rules.
        include_default_rules: set False to use only ``rules``.
        disable: rule ids to switch off.
        language: force this language for every conversation and turn (no detection).
        backends: per-language NLP backend, e.g. ``{"el": "stanza"}`` or
            ``{"pt": {"backend": "spacy", "model": "pt_core_news_sm"}}``; default ``blank``.
            These override the ``config`` file's.
        config: a YAML configuration file with a ``backends:`` section (see ``docs/backends.md``).
        scoring: a scoring YAML file or mapping overriding the default weights.
        limits: size limits for inputs.
        role_map: extra role aliases, e.g. ``{"Tier 2": "agent"}``.
        ledger: build the commitment ledger of each report.
        languages: load only these languages' rules (default: all; or the comma-separated
            ``TRUSTSIGNALS_LANGUAGES`` environment variable).
    """

    def __init__(
        self,
        rules: Sequence[str | Path] | None = None,
        *,
        include_default_rules: bool = True,
        disable: Iterable[str] = (),
        language: str | None = None,
        backends: Mapping[str, Any] | None = None,
        scoring: str | Path | Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        role_map: Mapping[str, str] | None = None,
        ledger: bool = True,
        languages: Iterable[str] | None = None,
        config: str | Path | None = None,
    ) -> None:
        if languages is None and os.environ.get("TRUSTSIGNALS_LANGUAGES"):
            languages = [x.strip() for x in os.environ["TRUSTSIGNALS_LANGUAGES"].split(",") if x.strip()]
        self._init_args: dict[str, Any] = {
            "rules": [str(r) for r in rules or []],
            "include_default_rules": include_default_rules,
            "disable": list(disable),
            "language": language,
            "backends": dict(backends or {}),
            "scoring": scoring if not isinstance(scoring, Mapping) else dict(scoring),
            "limits": limits,
            "role_map": dict(role_map or {}),
            "ledger": ledger,
            "languages": list(languages) if languages is not None else None,
            "config": str(config) if config is not None else None,
        }
        self.ruleset: RuleSet = load_ruleset(
            [Path(r) for r in rules or []],
            include_default=include_default_rules,
            disable=disable,
            only=languages,
        )
        self.forced_language = language
        self.backend_config = load_config_file(config) if config is not None else {}
        if languages is not None:  # the file may name languages that this run does not load
            self.backend_config = {
                k: v for k, v in self.backend_config.items() if k in self.ruleset.languages
            }
        stray = set(self.backend_config) - set(self.ruleset.languages)
        if stray:
            raise ConfigError(
                f"backends configured for languages without rules: {sorted(stray)}",
                source=str(config),
                field=f"backends.{sorted(stray)[0]}",
                expected=f"languages among {sorted(self.ruleset.languages)}",
            )
        self.backend_config.update(
            {k: BackendConfig.parse(v, language=k) for k, v in (backends or {}).items()}
        )
        unknown = set(self.backend_config) - set(self.ruleset.languages)
        if unknown:
            raise ConfigError(
                f"backends configured for languages without rules: {sorted(unknown)}",
                field="backends",
                expected=f"languages among {sorted(self.ruleset.languages)}",
            )
        self.scorer = Scorer(ScoringConfig.load(scoring))
        roles = RoleMapper()
        for lang in self.ruleset.languages.values():
            roles.add(lang.spec.roles)
        roles.add(role_map or {})
        self.builder = TranscriptBuilder(roles, limits or Limits())
        self.identifier = LanguageIdentifier([lang.spec for lang in self.ruleset.languages.values()])
        self.with_ledger = ledger
        self._compiled: dict[str, CompiledLanguage] = {}

    # -- configuration ------------------------------------------------------------------
    @property
    def languages(self) -> list[str]:
        """Languages that have a rule set."""
        return sorted(self.ruleset.languages)

    def compiled(self, language: str) -> CompiledLanguage:
        """The compiled rules of one language (built on first use)."""
        comp = self._compiled.get(language)
        if comp is None:
            rules = self.ruleset.languages.get(language)
            if rules is None:
                raise ConfigError(
                    f"no rule set for language {language!r}",
                    field="language",
                    expected=f"one of {self.languages}",
                )
            backend = make_backend(rules.spec, self.backend_config.get(language, BackendConfig()))
            need_lemmas = any(
                lr.rule.uses_lemma() or any(v.uses_lemma() for v in lr.rule.variants) for lr in rules.rules
            )
            comp = CompiledLanguage(rules, self.ruleset.signals, Pipeline(rules.spec, backend, need_lemmas))
            self._compiled[language] = comp
        return comp

    # -- analysis -----------------------------------------------------------------------
    def analyze(self, item: Any) -> Report:
        """Analyse one conversation (a Transcript, dict, JSON text or transcript text).

        Raises a ``TrustSignalsError`` subclass when the input is invalid.
        """
        records = list(itertools.islice(to_records(item, builder=self.builder), 2))
        if not records:
            raise InputError("no conversation in the input")
        if len(records) > 1:
            raise InputError("the input holds several conversations; use analyze_many")
        rec = records[0]
        if rec.error is not None:
            raise rec.error
        assert rec.transcript is not None
        return self.analyze_transcript(rec.transcript)

    def analyze_many(
        self,
        items: Any,
        *,
        n_process: int = 1,
        batch_size: int = 64,
        strict: bool = False,
        progress: bool = False,
    ) -> Iterator[Result]:
        """Analyse many conversations; one result per input record, in input order.

        A record that cannot be read or analysed yields an ``ErrorRecord`` in its place (or,
        with ``strict=True``, raises). ``n_process > 1`` analyses in worker processes, with at
        most ``n_process * batch_size`` records in flight, so memory stays bounded on streams.
        """
        records = self.records(items)
        results = self._run(records, n_process=n_process, batch_size=batch_size)
        if progress:
            results = _progress(results)
        for result in results:
            if strict and isinstance(result, ErrorRecord):
                raise _error_from_record(result)
            yield result

    def records(self, items: Any) -> Iterator[Record]:
        """Input records of anything the API accepts (renumbered in stream order)."""
        for i, rec in enumerate(to_records(items, builder=self.builder)):
            yield Record(i, rec.source, rec.transcript, rec.error, rec.record_id)

    def _run(self, records: Iterator[Record], *, n_process: int, batch_size: int) -> Iterator[Result]:
        if n_process < 1:
            raise ConfigError(f"n_process is {n_process}", field="n_process", expected="1 or more")
        with _long_lived_set_aside():
            yield from self._results(records, n_process, batch_size)

    def _results(self, records: Iterator[Record], n_process: int, batch_size: int) -> Iterator[Result]:
        if n_process == 1:
            for rec in records:
                yield self.result(rec)
            return
        ctx = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        )
        # Forked workers inherit this analyzer (rules loaded, languages compiled so far)
        # instead of building their own; spawned workers build one from the init arguments.
        token = None
        if ctx.get_start_method() == "fork":
            token = next(_TOKENS)
            _PARENTS[token] = self
        chunk_size = max(1, batch_size // 4)
        max_pending = max(1, (n_process * batch_size) // chunk_size)

        def executor(workers: int) -> ProcessPoolExecutor:
            return ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_worker_init, initargs=(self._init_args, token)
            )

        pool = executor(n_process)
        # chunks stream through the workers: a new one is sent as soon as the oldest is taken
        # back, so workers never wait for a whole window to drain
        pending: deque[tuple[list[Record], Future[list[Result]] | None]] = deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < max_pending:
                    chunk = list(itertools.islice(records, chunk_size))
                    if not chunk:
                        exhausted = True
                    else:
                        try:
                            pending.append((chunk, pool.submit(_worker_run_many, chunk)))
                        except BrokenProcessPool:  # the pool broke since the last result
                            pending.append((chunk, None))
                            break
                if not pending:
                    break
                done, future = pending.popleft()
                try:
                    results = future.result() if future is not None else None
                except BrokenProcessPool:
                    results = None
                if results is None:
                    # a worker died (killed, out of memory, a crash in native code): the records
                    # in flight are analysed again, one per task, so that only one that kills a
                    # worker becomes an error record; then a new pool goes on with the rest
                    pool.shutdown(wait=True, cancel_futures=True)
                    again = [rec for c in (done, *(c for c, _ in pending)) for rec in c]
                    pending.clear()
                    yield from self._isolated(again, executor)
                    pool = executor(n_process)
                    continue
                yield from _rejoined(done, results)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if token is not None:
                _PARENTS.pop(token, None)

    def _isolated(self, records: list[Record], executor: Any) -> Iterator[Result]:
        """Each record in a worker of its own pool, in order; one that kills it is an error."""
        pool = _started(executor)
        try:
            for rec in records:
                try:
                    results = pool.submit(_worker_run_many, [rec]).result()
                except BrokenProcessPool:
                    pool.shutdown(wait=True)
                    pool = _started(executor)
                    yield _error_record(
                        rec,
                        InternalError(
                            "the worker process died while analysing this record "
                            "(killed, out of memory, or a crash in native code)",
                            source=rec.source,
                        ),
                    )
                    continue
                yield from _rejoined([rec], results)
        finally:
            pool.shutdown(wait=True)

    def result(self, rec: Record) -> Result:
        """A report for one record, or an error record; never raises for bad input."""
        if rec.error is not None:
            return _error_record(rec, rec.error)
        assert rec.transcript is not None
        try:
            return self.analyze_transcript(rec.transcript)
        except TrustSignalsError as exc:
            return _error_record(rec, exc)
        except Exception as exc:  # a bug: keep the record, say what happened
            return _error_record(rec, InternalError(f"{type(exc).__name__}: {exc}", source=rec.source))

    def analyze_transcript(self, t: Transcript) -> Report:
        texts = [turn.text for turn in t.turns]
        roles = [turn.role for turn in t.turns]
        warnings: list[str] = []
        forced = self.forced_language or t.language
        votes: list[Guess] | None = None  # each turn's function-word vote, computed once
        if forced:
            conv_lang = forced
        elif texts:
            votes = [self.identifier.vote(text) for text in texts]
            conv_lang, _how = self.identifier.conversation(texts, roles, votes)
        else:
            conv_lang = "und"
        turn_langs: list[str] = []
        for i, turn in enumerate(t.turns):
            if turn.language:
                turn_langs.append(turn.language)
            elif self.forced_language or not turn.text.strip():
                turn_langs.append(conv_lang)
            else:
                vote = votes[i] if votes is not None else None
                turn_langs.append(
                    self.identifier.turn(turn.text, conv_lang, vote, statistical=turn.role != "system")
                )
        findings: list[Finding] = []
        missing: dict[str, list[int]] = {}
        for i, turn in enumerate(t.turns):
            if turn.role == "system" or not turn.text.strip():
                continue
            lang = turn_langs[i]
            if lang not in self.ruleset.languages:
                missing.setdefault(lang, []).append(i)
                continue
            comp = self.compiled(lang)
            doc = comp.pipeline.make_doc(turn.text)
            findings.extend(comp.find(doc, role=turn.role, turn=i, text=turn.text))
        for lang, turns in sorted(missing.items()):
            warnings.append(
                f"no rule set for language '{lang}' (turns {', '.join(map(str, turns))}); "
                f"those turns were not analysed"
            )
        if not t.turns:
            warnings.append("the conversation has no turns")
        findings.sort(key=finding_sort_key)
        ledger: tuple[LedgerEntry, ...] = ()
        if self.with_ledger:
            from .ledger import build_ledger

            ledger = build_ledger(t, findings, turn_langs)
        counts: dict[str, dict[str, int]] = {}
        for f in findings:
            counts.setdefault(f.signal, {}).setdefault(f.role, 0)
            counts[f.signal][f.role] += 1
        targets = Counter(f.target for f in findings if f.signal == "blame_shifting" and f.target)
        report = Report(
            transcript_id=t.id,
            language=conv_lang,
            turn_languages=tuple(turn_langs),
            turn_roles=tuple(turn.role for turn in t.turns),
            findings=tuple(findings),
            counts={k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
            blame_targets=dict(sorted(targets.items())),
            score=self.scorer.score(findings, ledger),
            ledger=ledger,
            warnings=tuple(warnings),
        )
        report._transcript = t  # for the views; a private attribute, not serialised
        return report


def _error_record(rec: Record, exc: TrustSignalsError) -> ErrorRecord:
    return ErrorRecord(error=exc.to_dict(), index=rec.index, transcript_id=rec.record_id, source=rec.source)


def _error_from_record(rec: ErrorRecord) -> TrustSignalsError:
    err = TrustSignalsError(
        str(rec.error.get("message")),
        source=rec.error.get("source"),
        field=rec.error.get("field"),
        expected=rec.error.get("expected"),
    )
    err.code = str(rec.error.get("code"))
    return err


_WORKER: Analyzer | None = None
_PARENTS: dict[int, Analyzer] = {}  # analyzers running a pool; forked workers find theirs here
_TOKENS = itertools.count()


@contextlib.contextmanager
def _long_lived_set_aside() -> Iterator[None]:
    """While a batch runs, garbage collections skip the objects that existed before it.

    Loaded rules, compiled languages and the imported libraries are some 300,000 objects that
    every full collection walked although none of them is garbage; a batch allocates its
    reports fast enough to trigger one every few hundred conversations (about 0.2 s each, the
    parent's main cost with worker processes). ``gc.freeze()`` sets them aside and
    ``gc.unfreeze()`` gives them back to the collector when the batch ends (or its generator is
    closed). Nothing is done when the collector is off or something else froze objects.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _worker_init(args: dict[str, Any], token: int | None = None) -> None:
    global _WORKER
    parent = _PARENTS.get(token) if token is not None else None
    _WORKER = parent if parent is not None else Analyzer(**args)
    # The worker's process is ours: move what it starts with (rules, compiled languages, the
    # parent's heap when forked) out of the collector's sight, so that garbage collections
    # walk only what analysis allocates.
    gc.freeze()


def _worker_run_many(chunk: list[Record]) -> list[Result]:
    assert _WORKER is not None
    results = [_WORKER.result(rec) for rec in chunk]
    for result in results:
        if isinstance(result, Report):
            # the parent holds the transcript it sent: not sending it back halves what the
            # parent unpickles (rebuilding the turns cost more than rebuilding the findings)
            result._transcript = None
    return results


def _started(executor: Any) -> Any:
    """A one-worker pool that has shown it can start (else no record is to blame)."""
    pool = executor(1)
    try:
        pool.submit(_worker_ready).result()
    except BrokenProcessPool as exc:
        pool.shutdown(wait=True)
        raise InternalError(
            "worker processes cannot start (see the log above for the cause); "
            "run with n_process=1 to analyse in this process"
        ) from exc
    return pool


def _worker_ready() -> bool:
    return _WORKER is not None


def _rejoined(chunk: list[Record], results: list[Result]) -> Iterator[Result]:
    """A chunk's results from a worker, each report given back the transcript it was made from."""
    for rec, result in zip(chunk, results, strict=True):
        if isinstance(result, Report):
            result._transcript = rec.transcript
        yield result


def _progress(results: Iterator[Result]) -> Iterator[Result]:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the notebook extra
        yield from results
        return
    yield from tqdm(results, unit="conv")


_DEFAULT: Analyzer | None = None


def analyze(item: Any) -> Report:
    """Analyse one conversation with a shared default Analyzer (for one-off use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT.analyze(item)
