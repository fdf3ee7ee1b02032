"""Analyse conversations at scale with Apache Spark.

    from trustsignals.spark import analyze_spark

    turns = spark.read.parquet("turns/")          # conversation_id, role, text [, turn, timestamp, ...]
    findings, conversations = analyze_spark(turns, order_col="turn")
    findings.write.parquet("out/findings")
    conversations.write.parquet("out/conversations")

The input is a Spark DataFrame with one row per turn: a conversation id column, ``role`` and
``text``, and optionally ``timestamp``, ``speaker`` and ``language`` (column names are
parameters). Rows are grouped by conversation id (``groupBy(id).applyInPandas``) and each
conversation is analysed whole, exactly like ``Analyzer.analyze_many`` would analyse it: the
same reports, the same findings, the same scores.

Turn order: give ``order_col`` (a turn number or timestamp column), since Spark does not keep
row order through a ``groupBy``. Without it, turns keep the order in which the DataFrame's
rows come (a ``monotonically_increasing_id`` taken before grouping): right for a DataFrame
read straight from files in turn order, wrong after a shuffle (a join, a ``repartition``).

Every executor's Python worker builds one :class:`~trustsignals.Analyzer` the first time it
needs it, from ``analyzer_config`` (the keyword arguments of ``Analyzer``, which must be
picklable), and keeps it in a module global for every later task (Spark reuses Python
workers by default: ``spark.python.worker.reuse``). Rule folders named in the configuration
must exist at the same path on every executor.

A conversation that cannot be analysed (an unknown role, a missing text, a turn over the size
limits, a bug) is never dropped: its row in ``conversations`` has ``error_code`` (``TS101``,
``TS100``, ...) and ``error_message`` set, and it has no findings. A configuration that cannot
build an analyzer fails the job.

Outputs (schemas: :func:`findings_schema`, :func:`conversations_schema`):

- ``findings``: one row per finding, with ``conversation_id`` and ``finding_index`` (its
  position in the report: findings are ordered by turn, then offset);
- ``conversations``: one row per conversation, with the language, the trust score and its
  contributions, counts per signal and role, blame targets, warnings, the commitment ledger
  as JSON, and the error columns.

Both come from one analysis pass (:func:`analyze_spark_reports`, one row per conversation with
its findings nested); ``persist=True`` caches that pass so that writing both outputs analyses
each conversation once.

pyspark and pyarrow are an optional extra: ``pip install 'trustsignals[spark]'``.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InputError, InternalError, TrustSignalsError
from .loaders import Record
from .models import ErrorRecord, Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from .analyzer import Analyzer

__all__ = [
    "analyze_spark",
    "analyze_spark_reports",
    "conversations_schema",
    "findings_schema",
    "reports_schema",
]

_INSTALL_HINT = "pip install 'trustsignals[spark]' (pyspark>=3.5, pyarrow, pandas)"
_ORDER = "__trustsignals_order"

# (name, Spark SQL type, nullable) of one finding; the same names as the Finding model
_FINDING_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("turn", "int", False),
    ("role", "string", False),
    ("signal", "string", False),
    ("polarity", "string", False),
    ("start", "int", False),
    ("end", "int", False),
    ("text", "string", False),
    ("rule_id", "string", False),
    ("language", "string", False),
    ("confidence", "double", False),
    ("explanation", "string", False),
    ("seed", "string", False),
    ("target", "string", True),
    ("context", "array<string>", False),
    ("backend", "string", False),
    ("variant", "string", True),
)
_CONTRIBUTION_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("signal", "string", False),
    ("role", "string", False),
    ("count", "int", False),
    ("counted", "int", False),
    ("weight", "double", False),
    ("points", "double", False),
)
# one conversation (its findings are the extra column "findings" of the reports DataFrame)
_CONVERSATION_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("conversation_id", "string", True),
    ("schema_version", "string", False),
    ("language", "string", True),
    ("turn_languages", "array<string>", True),
    ("turn_roles", "array<string>", True),
    ("n_turns", "int", True),
    ("n_findings", "int", True),
    ("score", "double", True),
    ("score_baseline", "double", True),
    ("score_explanation", "string", True),
    ("score_contributions", "array<contribution>", True),
    ("counts", "map<string,map<string,int>>", True),
    ("blame_targets", "map<string,int>", True),
    ("warnings", "array<string>", True),
    ("ledger_json", "string", True),
    ("error_code", "string", True),
    ("error_type", "string", True),
    ("error_message", "string", True),
    ("error_source", "string", True),
    ("error_field", "string", True),
)


# --------------------------------------------------------------------------- pyspark, lazily
def _types() -> Any:
    try:
        from pyspark.sql import types
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"trustsignals.spark needs pyspark: {_INSTALL_HINT}") from exc
    return types


def _functions() -> Any:
    try:
        from pyspark.sql import functions
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"trustsignals.spark needs pyspark: {_INSTALL_HINT}") from exc
    return functions


def _spark_type(name: str) -> Any:
    T = _types()
    simple = {"string": T.StringType(), "int": T.IntegerType(), "double": T.DoubleType()}
    if name in simple:
        return simple[name]
    if name == "array<string>":
        return T.ArrayType(T.StringType(), containsNull=False)
    if name == "array<contribution>":
        return T.ArrayType(_struct(_CONTRIBUTION_FIELDS), containsNull=False)
    if name == "map<string,int>":
        return T.MapType(T.StringType(), T.IntegerType(), valueContainsNull=False)
    if name == "map<string,map<string,int>>":
        return T.MapType(T.StringType(), _spark_type("map<string,int>"), valueContainsNull=False)
    raise AssertionError(name)  # pragma: no cover


def _struct(fields: tuple[tuple[str, str, bool], ...]) -> StructType:
    T = _types()
    schema: StructType = T.StructType(
        [T.StructField(n, _spark_type(t), nullable) for n, t, nullable in fields]
    )
    return schema


def findings_schema() -> StructType:
    """Schema of the findings DataFrame: ``conversation_id``, ``finding_index``, then the
    fields of :class:`~trustsignals.Finding` (``turn``, ``role``, ``signal``, ``polarity``,
    ``start``, ``end``, ``text``, ``rule_id``, ``language``, ``confidence``, ``explanation``,
    ``seed``, ``target``, ``context``, ``backend``, ``variant``)."""
    T = _types()
    schema: StructType = T.StructType(
        [
            T.StructField("conversation_id", T.StringType(), True),
            T.StructField("finding_index", T.IntegerType(), False),
            *_struct(_FINDING_FIELDS).fields,
        ]
    )
    return schema


def conversations_schema() -> StructType:
    """Schema of the conversations DataFrame: one row per conversation.

    ``conversation_id``, ``schema_version``, ``language`` (of the conversation),
    ``turn_languages`` and ``turn_roles`` (one per turn), ``n_turns``, ``n_findings``,
    ``score`` (0-100), ``score_baseline``, ``score_explanation``, ``score_contributions``
    (signal, role, count, counted, weight, points), ``counts`` (signal -> role -> findings),
    ``blame_targets`` (target -> findings), ``warnings``, ``ledger_json`` (the commitment
    ledger, a JSON array of ``LedgerEntry``), and ``error_code``, ``error_type``,
    ``error_message``, ``error_source``, ``error_field``: null for an analysed conversation;
    for one that could not be analysed, the error (the other columns are then null).
    """
    return _struct(_CONVERSATION_FIELDS)


def reports_schema(*, with_report_json: bool = False) -> StructType:
    """Schema of :func:`analyze_spark_reports`: the conversation columns, ``findings`` (an
    array of finding structs, in report order) and, optionally, ``report_json`` (the report
    exactly as ``Report.to_json()`` writes it)."""
    T = _types()
    fields = [
        *conversations_schema().fields,
        T.StructField("findings", T.ArrayType(_struct(_FINDING_FIELDS), containsNull=False), True),
    ]
    if with_report_json:
        fields.append(T.StructField("report_json", T.StringType(), True))
    schema: StructType = T.StructType(fields)
    return schema


# --------------------------------------------------------------------------- executor side
@dataclass(frozen=True)
class _Settings:
    """What every executor needs: picklable, small."""

    key: str  # identifies the analyzer configuration in the executor's cache
    analyzer_config: tuple[tuple[str, Any], ...]
    id_col: str
    role_col: str
    text_col: str
    optional_cols: tuple[tuple[str, str], ...]  # (turn field, column) of the columns present
    order_col: str | None
    with_report_json: bool
    columns: tuple[str, ...]


_ANALYZERS: dict[str, Analyzer] = {}
_LOCK = threading.Lock()


def _executor_analyzer(settings: _Settings) -> Analyzer:
    """This process's analyzer for the configuration (built on first use, then reused)."""
    analyzer = _ANALYZERS.get(settings.key)
    if analyzer is None:
        with _LOCK:
            analyzer = _ANALYZERS.get(settings.key)
            if analyzer is None:
                from .analyzer import Analyzer

                analyzer = Analyzer(**dict(settings.analyzer_config))
                _ANALYZERS[settings.key] = analyzer
    return analyzer


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):  # pragma: no cover - exotic objects
        return False


def _plain(value: Any) -> Any:
    """A cell as the loaders expect it: None for missing, ISO text for times, Python scalars."""
    if _missing(value):
        return None
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):  # datetime, date, pandas Timestamp
        return isoformat()
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


def _analyze_group(settings: _Settings, pdf: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    analyzer = _executor_analyzer(settings)
    if settings.order_col is not None and len(pdf) > 1:
        pdf = pdf.sort_values(settings.order_col, kind="mergesort")
    row = _conversation_row(analyzer, settings, pdf)
    return pd.DataFrame([row], columns=list(settings.columns))


def _conversation_row(analyzer: Analyzer, settings: _Settings, pdf: pd.DataFrame) -> dict[str, Any]:
    raw_id = _plain(pdf[settings.id_col].iloc[0]) if len(pdf) else None
    cid = None if raw_id is None else str(raw_id)
    source = f"conversation {cid}"
    try:
        if cid is None:
            raise InputError(
                "missing conversation id", source="spark input", field=settings.id_col, expected="a value"
            )
        turns: list[dict[str, Any]] = []
        cols = [settings.role_col, settings.text_col, *(c for _, c in settings.optional_cols)]
        names = ["role", "text", *(f for f, _ in settings.optional_cols)]
        for values in pdf[cols].itertuples(index=False, name=None):
            turn = {}
            for name, value in zip(names, values, strict=True):
                plain = _plain(value)
                if plain is not None or name in ("role", "text"):
                    turn[name] = plain
            turns.append(turn)
        transcript = analyzer.builder.from_dict({"id": cid, "turns": turns}, source=source, default_id=cid)
        result = analyzer.result(Record(0, source, transcript, record_id=cid))
    except TrustSignalsError as exc:
        result = ErrorRecord(error=exc.to_dict(), index=0, transcript_id=cid, source=source)
    except Exception as exc:  # a bug: keep the conversation, say what happened
        err = InternalError(f"{type(exc).__name__}: {exc}", source=source)
        result = ErrorRecord(error=err.to_dict(), index=0, transcript_id=cid, source=source)
    row = dict.fromkeys(settings.columns)
    row["conversation_id"] = cid
    row["schema_version"] = result.schema_version
    if isinstance(result, Report):
        _fill_report(row, result, settings.with_report_json)
    else:
        row["findings"] = []
        for key in ("code", "type", "message", "source", "field"):
            row[f"error_{key}"] = result.error.get(key)
    return row


def _fill_report(row: dict[str, Any], report: Report, with_json: bool) -> None:
    finding_names = [n for n, _, _ in _FINDING_FIELDS]
    contribution_names = [n for n, _, _ in _CONTRIBUTION_FIELDS]
    row.update(
        language=report.language,
        turn_languages=list(report.turn_languages),
        turn_roles=list(report.turn_roles),
        n_turns=len(report.turn_roles),
        n_findings=len(report.findings),
        score=float(report.score.value),
        score_baseline=float(report.score.baseline),
        score_explanation=report.score.explanation,
        score_contributions=[
            {n: getattr(c, n) for n in contribution_names} for c in report.score.contributions
        ],
        counts={k: dict(v) for k, v in report.counts.items()},
        blame_targets=dict(report.blame_targets),
        warnings=list(report.warnings),
        ledger_json=json.dumps(
            [e.model_dump(mode="json") for e in report.ledger], ensure_ascii=False, separators=(",", ":")
        ),
        findings=[_finding_dict(f.model_dump(mode="json"), finding_names) for f in report.findings],
    )
    if with_json:
        row["report_json"] = report.to_json()


def _finding_dict(data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    out = {n: data.get(n) for n in names}
    out["context"] = list(out["context"] or [])
    return out


# --------------------------------------------------------------------------- driver side
def _check_config(config: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    from .analyzer import Analyzer

    config = dict(config or {})
    allowed = set(inspect.signature(Analyzer.__init__).parameters) - {"self"}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown analyzer settings {unknown}",
            field="analyzer_config",
            expected=f"keyword arguments of Analyzer: {sorted(allowed)}",
        )
    if isinstance(config.get("rules"), (str, bytes)) or hasattr(config.get("rules"), "__fspath__"):
        config["rules"] = [config["rules"]]
    if config.get("rules") is not None:
        config["rules"] = [str(r) for r in config["rules"]]
    return tuple(sorted(config.items()))


def analyze_spark_reports(
    df: DataFrame,
    id_col: str = "conversation_id",
    analyzer_config: Mapping[str, Any] | None = None,
    *,
    role_col: str = "role",
    text_col: str = "text",
    order_col: str | None = None,
    timestamp_col: str = "timestamp",
    speaker_col: str = "speaker",
    language_col: str = "language",
    with_report_json: bool = False,
) -> DataFrame:
    """One row per conversation: the conversation columns plus its ``findings`` (nested).

    See :func:`analyze_spark` for the arguments; the schema is :func:`reports_schema`.
    """
    F = _functions()
    config = _check_config(analyzer_config)
    columns = set(df.columns)
    for name, col in (("id_col", id_col), ("role_col", role_col), ("text_col", text_col)):
        if col not in columns:
            raise ConfigError(
                f"the DataFrame has no column {col!r}", field=name, expected=f"one of {sorted(columns)}"
            )
    if order_col is not None and order_col not in columns:
        raise ConfigError(
            f"the DataFrame has no column {order_col!r}",
            field="order_col",
            expected=f"one of {sorted(columns)}",
        )
    optional = tuple(
        (name, col)
        for name, col in (("speaker", speaker_col), ("timestamp", timestamp_col), ("language", language_col))
        if col in columns
    )
    if order_col is None:
        df = df.withColumn(_ORDER, F.monotonically_increasing_id())
        order = _ORDER
    else:
        order = order_col
    keep = list(dict.fromkeys([id_col, order, role_col, text_col, *(c for _, c in optional)]))
    schema = reports_schema(with_report_json=with_report_json)
    settings = _Settings(
        key=json.dumps(config, default=repr, sort_keys=True),
        analyzer_config=config,
        id_col=id_col,
        role_col=role_col,
        text_col=text_col,
        optional_cols=optional,
        order_col=order,
        with_report_json=with_report_json,
        columns=tuple(schema.fieldNames()),
    )
    # a plain lambda: Spark infers nothing from it (no type hints) and cloudpickle ships only
    # the settings; _analyze_group is found by reference in this module on the executors
    return (
        df.select(*keep)
        .groupBy(id_col)
        .applyInPandas(lambda pdf: _analyze_group(settings, pdf), schema=schema)
    )


def analyze_spark(
    df: DataFrame,
    id_col: str = "conversation_id",
    analyzer_config: Mapping[str, Any] | None = None,
    *,
    role_col: str = "role",
    text_col: str = "text",
    order_col: str | None = None,
    timestamp_col: str = "timestamp",
    speaker_col: str = "speaker",
    language_col: str = "language",
    persist: bool = False,
) -> tuple[DataFrame, DataFrame]:
    """Analyse a Spark DataFrame of turns; return ``(findings, conversations)`` DataFrames.

    Args:
        df: one row per turn.
        id_col: the conversation id column (any type; written as a string).
        analyzer_config: keyword arguments of :class:`~trustsignals.Analyzer` (e.g.
            ``{"languages": ["en", "nl"], "disable": ["EN_APOLOGY_SORRY"]}``); picklable.
        role_col, text_col: the turn's role and text columns.
        order_col: the column that orders turns within a conversation (turn number or time).
            Without it, the DataFrame's row order is used (see the module documentation).
        timestamp_col, speaker_col, language_col: optional turn columns, used when present.
        persist: cache the analysis pass (``MEMORY_AND_DISK``) so that writing both outputs
            analyses each conversation once; ``spark.catalog.clearCache()`` frees it (or call
            :func:`analyze_spark_reports` and persist and unpersist its result yourself).

    Returns:
        ``(findings, conversations)`` with the schemas :func:`findings_schema` and
        :func:`conversations_schema`. Conversations that could not be analysed are rows of
        ``conversations`` with ``error_code`` set.
    """
    F = _functions()
    reports = analyze_spark_reports(
        df,
        id_col,
        analyzer_config,
        role_col=role_col,
        text_col=text_col,
        order_col=order_col,
        timestamp_col=timestamp_col,
        speaker_col=speaker_col,
        language_col=language_col,
    )
    if persist:
        from pyspark import StorageLevel

        reports = reports.persist(StorageLevel.MEMORY_AND_DISK)
    conversations = reports.select(*conversations_schema().fieldNames())
    exploded = reports.select("conversation_id", F.posexplode("findings").alias("finding_index", "f"))
    findings = exploded.select(
        "conversation_id",
        F.col("finding_index").cast("int").alias("finding_index"),
        *(F.col(f"f.{name}").alias(name) for name, _, _ in _FINDING_FIELDS),
    )
    return findings, conversations
