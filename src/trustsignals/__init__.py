"""trustsignals: find the signals that build or destroy customer trust in support conversations.

>>> import trustsignals
>>> analyzer = trustsignals.Analyzer()
>>> report = analyzer.analyze({"id": "c1", "turns": [
...     {"role": "agent", "text": "Sorry for the delay, that was our mistake."}]})
>>> sorted({f.signal for f in report.findings})
['apology', 'ownership']
"""

from . import spacy_component  # noqa: F401  (registers the "trustsignals" spaCy factory)
from .analyzer import Analyzer, analyze
from .errors import (
    BackendError,
    ConfigError,
    EncodingError,
    InputError,
    InternalError,
    LimitError,
    RoleError,
    RuleError,
    TrustSignalsError,
    UnsafeRegexError,
)
from .loaders import Limits
from .models import (
    SCHEMA_VERSION,
    ErrorRecord,
    Finding,
    LedgerEntry,
    Report,
    Transcript,
    TrustScore,
    Turn,
    report_json_schema,
)

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "Analyzer",
    "BackendError",
    "ConfigError",
    "EncodingError",
    "ErrorRecord",
    "Finding",
    "InputError",
    "InternalError",
    "LedgerEntry",
    "LimitError",
    "Limits",
    "Report",
    "RoleError",
    "RuleError",
    "Transcript",
    "TrustScore",
    "TrustSignalsError",
    "Turn",
    "UnsafeRegexError",
    "__version__",
    "analyze",
    "report_json_schema",
]
