"""Shared fixtures: the real samples (skipped with a message where absent) and one smoke-sized
embedded set per test session."""

from __future__ import annotations

import pytest
from helpers.standin import build_standin
from hypothesis import HealthCheck, settings

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import write_manifest
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


@pytest.fixture(scope="session")
def manifest(smoke_embedded, tmp_path_factory):
    """A training manifest of the smoke set's RET and DOTA-like images."""
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    path = tmp_path_factory.mktemp("train") / "manifest.tsv"
    write_manifest(list(sets["ret"]) + list(sets["dota"]), path, progress=False)
    return path


@pytest.fixture()
def standin(tmp_path, monkeypatch):
    """A data root with RSICD, RSITMD, UCM, DOTA, LoveDA and AID in their official layouts, and
    a registry whose minimum counts fit these few files (tests/helpers/standin.py)."""
    return build_standin(tmp_path, monkeypatch)
