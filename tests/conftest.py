from __future__ import annotations

import os

import pytest
from hypothesis import settings

from trustsignals import Analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer()


# Property tests: a bounded budget in CI; a long campaign on demand:
#   HYPOTHESIS_PROFILE=campaign python -m pytest tests/test_reliability.py -k property
settings.register_profile("ci", max_examples=150, deadline=None)
settings.register_profile("campaign", max_examples=35_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
