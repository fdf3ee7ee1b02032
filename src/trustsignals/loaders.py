"""Read conversations from every input form the library accepts.

Accepted: a ``Transcript``; a dict; a JSON document (one transcript or a list); JSONL (one
transcript a line); CSV (one turn a row, grouped by a conversation id column); plain text with
speaker prefixes ("Agent: ..."); a pandas DataFrame of turns. Each input record becomes a
``Record``: a transcript, or the error that kept it from being one, with its position and
source, so that a batch never loses a record.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import EncodingError, InputError, LimitError, RoleError, TrustSignalsError
from .models import ROLES, Transcript, Turn
from .text import base_fold_char

# English and format-level aliases; each language adds its own in rules/<lang>/language.yaml.
CORE_ROLE_ALIASES: dict[str, str] = {
    **{r: r for r in ROLES},
    "rep": "agent",
    "representative": "agent",
    "operator": "agent",
    "support": "agent",
    "advisor": "agent",
    "adviser": "agent",
    "staff": "agent",
    "employee": "agent",
    "csr": "agent",
    "human": "agent",
    "human_agent": "agent",
    "specialist": "agent",
    "chatbot": "bot",
    "virtual_assistant": "bot",
    "assistant": "bot",
    "automated": "bot",
    "ivr": "bot",
    "client": "customer",
    "user": "customer",
    "caller": "customer",
    "consumer": "customer",
    "visitor": "customer",
    "member": "customer",
    "guest": "customer",
    "notice": "system",
    "event": "system",
}

_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8 (surrogateescape)
_ID_COLUMNS = ("conversation_id", "transcript_id", "conversation", "dialog_id", "chat_id", "id")
_TEXT_KEYS = ("text", "message", "content", "body", "utterance")
_ROLE_KEYS = ("role", "speaker_role", "author_role", "sender_role", "from")


@dataclass(frozen=True)
class Limits:
    """Size limits: inputs above them become clear errors, never hangs."""

    max_turn_chars: int = 200_000
    max_turns: int = 20_000
    max_record_bytes: int = 20_000_000


@dataclass(frozen=True)
class Record:
    """One input record: a transcript, or the error that kept it from being one."""

    index: int
    source: str
    transcript: Transcript | None = None
    error: TrustSignalsError | None = None
    record_id: str | None = None


def _fold_key(name: str) -> str:
    return "".join(base_fold_char(c) for c in name.strip()).replace(" ", "_").replace("-", "_")


@dataclass
class RoleMapper:
    """Maps role names, in any supported language and any case, to the four roles."""

    aliases: dict[str, str] = field(default_factory=lambda: dict(CORE_ROLE_ALIASES))

    def add(self, mapping: Mapping[str, str]) -> None:
        for name, role in mapping.items():
            if role not in ROLES:
                raise InputError(f"role alias '{name}' maps to '{role}'", expected=f"one of {ROLES}")
            self.aliases[_fold_key(name)] = role

    def __call__(self, name: object, *, source: str, field: str = "role") -> str:
        if not isinstance(name, str) or not name.strip():
            raise RoleError(
                f"missing or empty role ({name!r})",
                source=source,
                field=field,
                expected=f"a role: one of {ROLES} or an alias",
            )
        role = self.aliases.get(_fold_key(name))
        if role is None:
            raise RoleError(
                f"unknown role '{name}'",
                source=source,
                field=field,
                expected=f"one of {ROLES}, a known alias, or a mapping given with role_map",
            )
        return role


class TranscriptBuilder:
    """Validates raw turn data into ``Transcript`` objects, with limits and role mapping."""

    def __init__(self, roles: RoleMapper | None = None, limits: Limits | None = None) -> None:
        self.roles = roles or RoleMapper()
        self.limits = limits or Limits()

    def from_dict(self, data: Any, *, source: str, default_id: str) -> Transcript:
        if isinstance(data, Transcript):
            self._check_limits(data, source)
            return data
        if not isinstance(data, Mapping):
            raise InputError(
                f"a transcript must be a JSON object, got {type(data).__name__}",
                source=source,
                expected='{"id": ..., "turns": [...]}',
            )
        raw_id = data.get("id", data.get("transcript_id", data.get("conversation_id", default_id)))
        if raw_id is None or isinstance(raw_id, (dict, list, bool)):
            raise InputError(
                f"invalid id {raw_id!r}", source=source, field="id", expected="a string or number"
            )
        tid = str(raw_id)
        where = f"{source} (id {tid})"
        turns_raw = data.get("turns", data.get("messages"))
        if turns_raw is None:
            raise InputError("no turns", source=where, field="turns", expected="a list of turns")
        if not isinstance(turns_raw, list):
            raise InputError(
                f"turns is a {type(turns_raw).__name__}",
                source=where,
                field="turns",
                expected="a list of turns",
            )
        if len(turns_raw) > self.limits.max_turns:
            raise LimitError(
                f"{len(turns_raw)} turns, more than the limit of {self.limits.max_turns}",
                source=where,
                field="turns",
                expected="fewer turns, or a higher Limits.max_turns",
            )
        turns = [self.turn(t, source=where, index=i) for i, t in enumerate(turns_raw)]
        language = data.get("language")
        if language is not None and not isinstance(language, str):
            raise InputError(
                f"language is {language!r}", source=where, field="language", expected="an ISO 639-1 code"
            )
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise InputError(
                "metadata is not an object", source=where, field="metadata", expected="an object"
            )
        extra = {
            k: v
            for k, v in data.items()
            if k
            not in {"id", "transcript_id", "conversation_id", "turns", "messages", "language", "metadata"}
        }
        try:
            return Transcript(
                id=tid, turns=tuple(turns), language=language or None, metadata={**extra, **dict(metadata)}
            )
        except ValidationError as exc:  # pragma: no cover - turns are validated above
            raise InputError(str(exc), source=where) from exc

    def turn(self, raw: Any, *, source: str, index: int) -> Turn:
        where = f"{source} turn {index}"
        if isinstance(raw, Turn):
            self._check_text(raw.text, where)
            return raw
        if not isinstance(raw, Mapping):
            raise InputError(
                f"a turn must be an object, got {type(raw).__name__}",
                source=where,
                expected='{"role": ..., "text": ...}',
            )
        role_raw = next((raw[k] for k in _ROLE_KEYS if k in raw), None)
        role = self.roles(role_raw, source=where)
        text = next((raw[k] for k in _TEXT_KEYS if k in raw), None)
        if text is None:
            raise InputError("missing text", source=where, field="text", expected="a string")
        if not isinstance(text, str):
            raise InputError(
                f"text is a {type(text).__name__}", source=where, field="text", expected="a string"
            )
        self._check_text(text, where)
        opt: dict[str, str | None] = {}
        for key in ("speaker", "timestamp", "language"):
            value = raw.get(key)
            if value is not None and not isinstance(value, (str, int, float)):
                raise InputError(
                    f"{key} is {type(value).__name__}", source=where, field=key, expected="a string"
                )
            opt[key] = None if value is None or value == "" else str(value)
        return Turn(role=role, text=text, **opt)  # type: ignore[arg-type]

    def _check_text(self, text: str, where: str) -> None:
        if len(text) > self.limits.max_turn_chars:
            raise LimitError(
                f"turn text has {len(text)} characters, more than the limit of {self.limits.max_turn_chars}",
                source=where,
                field="text",
                expected="a shorter turn, or a higher Limits.max_turn_chars",
            )
        if _SURROGATE.search(text) is not None:
            raise EncodingError(
                "text holds bytes that are not valid UTF-8", source=where, field="text", expected="UTF-8 text"
            )

    def _check_limits(self, t: Transcript, source: str) -> None:
        if len(t.turns) > self.limits.max_turns:
            raise LimitError(
                f"{len(t.turns)} turns, more than the limit of {self.limits.max_turns}",
                source=f"{source} (id {t.id})",
                field="turns",
            )
        for i, turn in enumerate(t.turns):
            self._check_text(turn.text, f"{source} (id {t.id}) turn {i}")


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"invalid UTF-8 at byte {exc.start}", source=source, expected="UTF-8 text"
        ) from exc


_PREFIX = re.compile(r"^\s*(?:\[[^\]\n]{1,40}\]\s*)?([^\W\d][\w .\-]{0,30}?)\s*:\s?(.*)$", re.UNICODE)


def parse_text(text: str, *, source: str, tid: str, builder: TranscriptBuilder) -> Transcript:
    """Plain text with speaker prefixes ("Agent: ..."); lines without a prefix continue a turn."""
    turns: list[dict[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _PREFIX.match(line)
        role = None
        if m:
            try:
                role = builder.roles(m.group(1), source=f"{source}:{lineno}")
            except RoleError:
                role = None
        if role is not None and m is not None:
            turns.append({"role": role, "text": m.group(2), "speaker": m.group(1).strip()})
        elif turns:
            turns[-1]["text"] += "\n" + line
        elif line.strip():
            raise InputError(
                "text before the first speaker prefix",
                source=f"{source}:{lineno}",
                expected='lines like "Agent: ..." or "Customer: ..."',
            )
    if not turns:
        raise InputError(
            "no turns found", source=source, expected='lines like "Agent: ..." or "Customer: ..."'
        )
    for t in turns:
        t["text"] = t["text"].strip()
    return builder.from_dict({"id": tid, "turns": turns}, source=source, default_id=tid)


def iter_jsonl(
    lines: Iterable[bytes], *, source: str, builder: TranscriptBuilder, start_index: int = 0
) -> Iterator[Record]:
    index = start_index
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{source}:{lineno}"
        rid: str | None = None
        try:
            if len(raw) > builder.limits.max_record_bytes:
                raise LimitError(
                    f"record has {len(raw)} bytes, more than the limit of {builder.limits.max_record_bytes}",
                    source=where,
                )
            text = _decode(raw, where)
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON: {exc.msg} at column {exc.colno}",
                    source=where,
                    expected="one JSON object a line",
                ) from exc
            if isinstance(data, Mapping) and "id" in data:
                rid = str(data["id"])
            yield Record(
                index,
                where,
                builder.from_dict(data, source=where, default_id=f"{source}:{lineno}"),
                record_id=rid,
            )
        except TrustSignalsError as exc:
            yield Record(index, where, error=exc, record_id=rid)
        index += 1


def iter_csv(
    text: str, *, source: str, builder: TranscriptBuilder, start_index: int = 0, id_column: str | None = None
) -> Iterator[Record]:
    """One turn a row, grouped by a conversation id column; conversations keep first-seen order."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        yield Record(
            start_index, source, error=InputError("empty CSV", source=source, expected="a header row")
        )
        return
    reader.fieldnames = header
    folded = {_fold_key(h): h for h in header}
    id_col = id_column or next((folded[c] for c in _ID_COLUMNS if c in folded), None)
    if id_col is None or id_col not in header:
        yield Record(
            start_index,
            source,
            error=InputError(
                "no conversation id column",
                source=source,
                field="header",
                expected=f"one of the columns {_ID_COLUMNS}",
            ),
        )
        return
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row in reader:
        line = reader.line_num
        key = (row.get(id_col) or "").strip()
        groups.setdefault(key, []).append((line, {k: v for k, v in row.items() if k is not None}))
    for offset, (cid, rows) in enumerate(groups.items()):
        where = f"{source}:{rows[0][0]}"
        try:
            if not cid:
                raise InputError("empty conversation id", source=where, field=id_col, expected="a value")
            turns = []
            for line, row in rows:
                for key, value in row.items():
                    if isinstance(value, str) and _SURROGATE.search(value) is not None:
                        raise EncodingError(
                            "cell holds bytes that are not valid UTF-8",
                            source=f"{source}:{line}",
                            field=key,
                            expected="UTF-8 text",
                        )
                turns.append({k: v for k, v in row.items() if k != id_col and v is not None})
            yield Record(
                start_index + offset,
                where,
                builder.from_dict({"id": cid, "turns": turns}, source=where, default_id=cid),
                record_id=cid,
            )
        except TrustSignalsError as exc:
            yield Record(start_index + offset, where, error=exc, record_id=cid or None)


def iter_path(path: Path, *, builder: TranscriptBuilder, start_index: int = 0) -> Iterator[Record]:
    """Records of one file, by its extension: .jsonl, .json, .csv, .txt (anything else: text)."""
    source = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            with path.open("rb") as fh:
                yield from iter_jsonl(fh, source=source, builder=builder, start_index=start_index)
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Record(
            start_index, source, error=InputError(f"cannot read file: {exc.strerror}", source=source)
        )
        return
    yield from iter_bytes(
        data,
        source=source,
        fmt=suffix.lstrip(".") or "txt",
        builder=builder,
        start_index=start_index,
        default_id=path.stem,
    )


def iter_bytes(
    data: bytes,
    *,
    source: str,
    fmt: str,
    builder: TranscriptBuilder,
    start_index: int = 0,
    default_id: str = "stdin",
) -> Iterator[Record]:
    if fmt in ("jsonl", "ndjson"):
        yield from iter_jsonl(io.BytesIO(data), source=source, builder=builder, start_index=start_index)
        return
    if fmt == "csv":
        yield from iter_csv(
            data.decode("utf-8-sig", errors="surrogateescape"),
            source=source,
            builder=builder,
            start_index=start_index,
        )
        return
    try:
        text = _decode(data, source)
        if fmt == "json":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=source
                ) from exc
            items = doc if isinstance(doc, list) else [doc]
            for i, item in enumerate(items):
                where = f"{source}[{i}]" if isinstance(doc, list) else source
                try:
                    yield Record(
                        start_index + i,
                        where,
                        builder.from_dict(item, source=where, default_id=f"{default_id}-{i}"),
                        record_id=str(item.get("id")) if isinstance(item, Mapping) else None,
                    )
                except TrustSignalsError as exc:
                    yield Record(start_index + i, where, error=exc)
            return
        yield Record(
            start_index,
            source,
            parse_text(text, source=source, tid=default_id, builder=builder),
            record_id=default_id,
        )
    except TrustSignalsError as exc:
        yield Record(start_index, source, error=exc)


def sniff_format(data: bytes) -> str:
    """Guess the format of standard input: jsonl, json, csv or txt."""
    head = data.lstrip()[:4096].decode("utf-8", errors="ignore").lstrip("\ufeff")
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        first = head.split("\n", 1)[0].strip()
        try:
            json.loads(first)
            return "jsonl"
        except json.JSONDecodeError:
            return "json"
    first_line = head.split("\n", 1)[0]
    if "," in first_line and any(c in _fold_key(first_line) for c in _ID_COLUMNS) and ":" not in first_line:
        return "csv"
    return "txt"


def iter_dataframe(
    df: Any, *, builder: TranscriptBuilder, id_column: str | None = None, source: str = "DataFrame"
) -> Iterator[Record]:
    """A pandas DataFrame of turns (one a row), grouped like CSV by a conversation id column."""
    columns = [str(c) for c in df.columns]
    folded = {_fold_key(c): c for c in columns}
    id_col = id_column or next((folded[c] for c in _ID_COLUMNS if c in folded), None)
    if id_col is None:
        yield Record(
            0,
            source,
            error=InputError(
                "no conversation id column", source=source, expected=f"one of the columns {_ID_COLUMNS}"
            ),
        )
        return
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for pos, row in enumerate(df.to_dict(orient="records")):
        groups.setdefault(str(row[id_col]), []).append((pos, row))
    for i, (cid, rows) in enumerate(groups.items()):
        where = f"{source} row {rows[0][0]}"
        try:
            turns = [
                {k: (None if _is_missing(v) else v) for k, v in row.items() if k != id_col} for _, row in rows
            ]
            yield Record(
                i,
                where,
                builder.from_dict({"id": cid, "turns": turns}, source=where, default_id=cid),
                record_id=cid,
            )
        except TrustSignalsError as exc:
            yield Record(i, where, error=exc, record_id=cid)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN
    except Exception:  # pragma: no cover - exotic objects
        return False


def to_records(obj: Any, *, builder: TranscriptBuilder) -> Iterator[Record]:
    """Records of any single object or iterable the API accepts."""
    if _is_dataframe(obj):
        yield from iter_dataframe(obj, builder=builder)
        return
    if isinstance(obj, (Transcript, Mapping, str, bytes, Path)):
        obj = [obj]
    for i, item in enumerate(obj):
        yield from _one(item, i, builder)


def _one(item: Any, index: int, builder: TranscriptBuilder) -> Iterator[Record]:
    source = f"record {index}"
    raw_id = item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)
    known_id = None if raw_id is None or isinstance(raw_id, (dict, list)) else str(raw_id)
    try:
        if isinstance(item, Transcript):
            yield Record(
                index, source, builder.from_dict(item, source=source, default_id=item.id), record_id=item.id
            )
        elif isinstance(item, Mapping):
            rid = item.get("id")
            yield Record(
                index,
                source,
                builder.from_dict(item, source=source, default_id=str(index)),
                record_id=None if rid is None else str(rid),
            )
        elif isinstance(item, Path):
            yield from iter_path(item, builder=builder, start_index=index)
        elif isinstance(item, (str, bytes)):
            data = item.encode("utf-8") if isinstance(item, str) else item
            fmt = sniff_format(data)
            yield from iter_bytes(
                data, source=source, fmt=fmt, builder=builder, start_index=index, default_id=str(index)
            )
        else:
            raise InputError(
                f"cannot read a {type(item).__name__}",
                source=source,
                expected="a Transcript, dict, JSON or transcript text",
            )
    except TrustSignalsError as exc:
        yield Record(index, source, error=exc, record_id=known_id)


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict") and hasattr(obj, "columns")
