"""Shared fixtures: the real samples (skipped with a message where absent) and one smoke-sized
embedded set per test session."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from rsclip_utils.config import get_profile
from rsclip_utils.paths import find_realdata
from rsclip_utils.synth import generate_embedded

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

REALDATA = find_realdata()
SKIP_REAL = (
    "../shared/realdata is absent (set RSCLIP_REALDATA to its path): real-format tests skipped"
)


@pytest.fixture(scope="session")
def realdata():
    if REALDATA is None:
        pytest.skip(SKIP_REAL)
    return REALDATA


@pytest.fixture(scope="session")
def smoke_embedded(tmp_path_factory):
    """(root, summary) of the smoke embedded set, generated once with two worker processes."""
    root = tmp_path_factory.mktemp("embedded") / "smoke"
    summary = generate_embedded(root, get_profile("smoke").synth, seed=0, workers=2, progress=False)
    return root, summary
