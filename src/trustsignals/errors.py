"""One exception hierarchy with stable codes.

Every error says where it happened (``source``: a file, line, record id or rule id), which
``field`` was wrong, and what was expected. Codes are stable: tools may match on them.

| code     | class              | meaning                                              |
|----------|--------------------|------------------------------------------------------|
| TS100    | InputError         | an input record could not be read or is malformed    |
| TS101    | RoleError          | a turn's role is unknown and not mapped              |
| TS102    | LimitError         | a configured size limit was exceeded                 |
| TS103    | EncodingError      | bytes are not valid text in the declared encoding    |
| TS200    | RuleError          | a rule file is invalid                               |
| TS201    | UnsafeRegexError   | a rule's regular expression could backtrack or is not RE2 |
| TS300    | ConfigError        | analyzer configuration is invalid                    |
| TS301    | BackendError       | an NLP backend or model is missing                   |
| TS900    | InternalError      | a bug: an unexpected exception while analysing       |
"""

from __future__ import annotations


class TrustSignalsError(Exception):
    """Base class of every error raised by trustsignals on purpose."""

    code = "TS000"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.field = field
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"[{self.code}]"]
        if self.source:
            parts.append(f"{self.source}:")
        if self.field:
            parts.append(f"field '{self.field}':")
        parts.append(self.message)
        if self.expected:
            parts.append(f"(expected {self.expected})")
        return " ".join(parts)

    def __reduce__(self) -> tuple[object, ...]:  # keep the fields across processes
        return (_rebuild, (type(self), self.message, self.source, self.field, self.expected, self.code))

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "type": type(self).__name__,
            "message": self.message,
            "source": self.source,
            "field": self.field,
            "expected": self.expected,
        }


class InputError(TrustSignalsError, ValueError):
    code = "TS100"


class RoleError(InputError):
    code = "TS101"


class LimitError(InputError):
    code = "TS102"


class EncodingError(InputError):
    code = "TS103"


class RuleError(TrustSignalsError, ValueError):
    code = "TS200"


class UnsafeRegexError(RuleError):
    code = "TS201"


class ConfigError(TrustSignalsError, ValueError):
    code = "TS300"


class BackendError(TrustSignalsError, RuntimeError):
    code = "TS301"


class InternalError(TrustSignalsError, RuntimeError):
    code = "TS900"


def _rebuild(
    cls: type[TrustSignalsError],
    message: str,
    source: str | None,
    field: str | None,
    expected: str | None,
    code: str,
) -> TrustSignalsError:
    err = cls(message, source=source, field=field, expected=expected)
    err.code = code
    return err
