"""Every notebook opens in Colab from its badge, and its install cell does nothing elsewhere."""

from __future__ import annotations

import subprocess
import sys
import types

import nbformat
import pytest

from rsclip_utils import colab
from rsclip_utils.paths import repo_root
from rsclip_utils.run import notebook_paths

NOTEBOOKS = notebook_paths()


def _cells(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return nb, code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_badge_points_at_this_notebook(path):
    nb, code = _cells(path)
    badge = colab.badge_markdown(path.name)
    assert badge in nb.cells[0].source, "the title cell carries the Colab badge"
    url = colab.badge_url(path.name)
    rel = url.split(f"/blob/{colab.BRANCH}/", 1)[1]
    assert (repo_root() / rel).is_file() and rel == f"notebooks/{path.name}"
    assert f"github/{colab.REPOSITORY}/" in url
    assert code[0].source == colab.install_cell_source(), "the first code cell installs"


@pytest.mark.parametrize("name", ["05_amp_infonce_training.ipynb", "06_evaluation.ipynb"])
def test_gpu_notebooks_ask_colab_for_an_accelerator(name):
    nb = nbformat.read(str(repo_root() / "notebooks" / name), as_version=4)
    assert nb.metadata.get("accelerator") == "GPU" and "gpuType" in nb.metadata.get("colab", {})


def _run_install_cell(monkeypatch, in_colab: bool):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a[0]))
    monkeypatch.setattr("os.chdir", lambda p: calls.append(["chdir", p]))
    monkeypatch.setattr("os.path.isdir", lambda p: False)
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    path_before = list(sys.path)
    exec(compile(colab.install_cell_source(), "install-cell", "exec"), {})
    added = [p for p in sys.path if p not in path_before]
    for p in added:
        sys.path.remove(p)
    return calls, added


def test_install_cell_is_a_no_op_outside_colab(monkeypatch):
    calls, added = _run_install_cell(monkeypatch, in_colab=False)
    assert calls == [] and added == []


def test_install_cell_clones_and_installs_in_colab(monkeypatch):
    calls, added = _run_install_cell(monkeypatch, in_colab=True)
    assert calls[0][:2] == ["git", "clone"] and calls[0][-2].endswith(colab.REPOSITORY)
    assert calls[1][1:5] == ["-m", "pip", "install", "--quiet"] and calls[1][-1] == added[0]
    assert calls[2] == ["chdir", f"{colab.COLAB_CHECKOUT}/notebooks"]


def test_apply_is_idempotent(tmp_path):
    import shutil

    copy = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], copy)
    assert colab.apply(copy) is False  # the committed notebook is already up to date
    nb = nbformat.read(str(copy), as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("colab-badge.svg", "other.svg")
    nbformat.write(nb, str(copy))
    assert colab.apply(copy) is True
    assert nbformat.read(str(copy), as_version=4).cells[0].source.count("colab-badge.svg") == 1


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("01")],
                         ids=lambda p: p.name)
def test_stage_notebooks_take_a_data_root(path):
    from rsclip_utils.nbcheck import parameters_cell

    nb = nbformat.read(str(path), as_version=4)
    assert 'DATA_ROOT = ""' in parameters_cell(nb).source
