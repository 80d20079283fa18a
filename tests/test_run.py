"""The runner (rsclip_utils.run): notebook selection and the paper profile's preflight."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from rsclip_utils.catalog import check_all, load_registry
from rsclip_utils.models import hub_reachable
from rsclip_utils.paths import repo_root
from rsclip_utils.run import notebook_paths, paper_preflight, select


def test_select_by_number():
    assert [p.name[:2] for p in select(notebook_paths(), "00")] == ["00"]
    with pytest.raises(SystemExit, match="no notebook numbered 42"):
        select(notebook_paths(), "00,42")


def test_paper_profile_stops_at_once_offline_without_gpu_or_data(tmp_path):
    out = tmp_path / "run"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rsclip_utils.run", "--profile", "paper",
                           "--data-root", str(tmp_path / "nowhere"), "--out", str(out)],
                          cwd=repo_root(), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert time.perf_counter() - start < 120
    err = proc.stderr
    assert "the paper profile cannot start; nothing was run" in err
    assert f"--data-root {tmp_path / 'nowhere'} does not exist" in err
    if not __import__("torch").cuda.is_available():
        assert "no CUDA GPU" in err
    if not hub_reachable():
        assert "'openai' weights of ViT-B-32" in err and "RemoteCLIP-ViT-B-32.pt" in err
    assert not out.exists(), "nothing is written when the preflight fails"


def test_preflight_with_the_data_present_lists_only_gpu_and_weights(standin):
    statuses = {s.key: s.state for s in check_all(load_registry(), standin)}
    assert {k for k, v in statuses.items() if v == "complete"} == {
        "RSICD", "RSITMD", "UCM", "DOTA", "LoveDA", "AID", "RemoteCount"}  # built from DOTA val
    problems = paper_preflight(standin, cuda=False)
    assert problems[0].startswith("no CUDA GPU")
    assert not any("RSICD" in p or "incomplete" in p for p in problems)
    if not hub_reachable():
        assert len(problems) == 3  # GPU, OpenAI weights, RemoteCLIP weights


def test_preflight_names_a_half_present_dataset_and_a_missing_ret_set(standin):
    (standin / "VisDrone" / "VisDrone2019-DET-train" / "images").mkdir(parents=True)
    for p in (standin / "UCM" / "images").iterdir():
        p.unlink()
    problems = "\n".join(paper_preflight(standin, cuda=True))
    assert "VisDrone incomplete" in problems and "VisDrone2019-DET-train/annotations" in problems
    assert "UCM incomplete" in problems
    import shutil

    shutil.rmtree(standin / "RSITMD")
    shutil.rmtree(standin / "AID")
    problems = "\n".join(paper_preflight(standin, cuda=True))
    assert "RSITMD (needed for Table II) not found" in problems
    assert "no scene-classification set complete" in problems
    data_only = "\n".join(paper_preflight(standin, cuda=True, needs_model=False))
    assert "RSITMD" in data_only and "scene-classification" not in data_only


def test_cached_weights_pass_the_preflight(standin, tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    for repo, name in (("timm/vit_base_patch32_clip_224.openai", "open_clip_model.safetensors"),
                       ("chendelong/RemoteCLIP", "RemoteCLIP-ViT-B-32.pt")):
        folder = cache / ("models--" + repo.replace("/", "--"))
        (folder / "refs").mkdir(parents=True)
        (folder / "refs" / "main").write_text("0" * 40)
        (folder / "snapshots" / ("0" * 40)).mkdir(parents=True)
        (folder / "snapshots" / ("0" * 40) / name).write_bytes(b"stand-in weights")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(cache))
    assert paper_preflight(standin, cuda=True) == []


@pytest.mark.parametrize("args, expected", [
    (["--only", ""], "no notebook number given"),
    (["--only", " , "], "no notebook number given"),
    (["--only", "42"], "no notebook numbered 42"),
    (["--out", ""], "an empty run folder name"),
    (["--timeout", "0"], "must be positive"),
])
def test_bad_arguments_get_one_line_before_any_notebook_starts(args, expected, tmp_path,
                                                               monkeypatch):
    import rsclip_utils.run as runner

    started = []
    monkeypatch.setattr(runner, "bind_python3_kernel", lambda folder: started.append(folder))
    out = ["--out", str(tmp_path / "run")] if "--out" not in args else []
    with pytest.raises(SystemExit) as e:
        runner.main(["--profile", "smoke", *out, *args])
    assert expected in str(e.value.code) and "\n" not in str(e.value.code)
    assert not started  # nothing was set up, no notebook ran


def test_an_unwritable_out_is_refused_before_any_notebook_starts(tmp_path, monkeypatch):
    import rsclip_utils.run as runner

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    started = []
    monkeypatch.setattr(runner, "bind_python3_kernel", lambda folder: started.append(folder))
    with pytest.raises(SystemExit) as e:
        runner.main(["--profile", "smoke", "--out", str(blocker / "run")])
    assert "cannot write the run folder there" in str(e.value.code) and str(blocker) in str(
        e.value.code)
    assert not started


def test_a_kernels_own_lines_go_to_its_log_and_the_console_stays_clean(tmp_path):
    # a notebook whose kernel writes to its process's stderr (as ipykernel's warnings, asyncio at
    # shutdown or C libraries do): the runner's console says only what ran, kernels.log keeps it
    import json

    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("PROFILE = 'smoke'\nRUN_DIR = ''\nSEED = 0\n"
                                          "INTERACTIVE = True", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os, sys\nos.write(2, b'WARNING from inside\\n')\n"
                                          "print('progress 1/1', file=sys.stderr)")]
    nbformat.write(nb, folder / "00_tiny.ipynb")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "rsclip_utils.run", "--profile", "smoke",
                           "--out", str(out), "--notebooks", str(folder)],
                          capture_output=True, text=True, timeout=300, cwd=repo_root())
    assert proc.returncode == 0, proc.stderr[-2000:]
    said = proc.stdout + proc.stderr
    assert "WARNING" not in said and "without encryption" not in said and "ERROR" not in said
    assert "progress 1/1" in said  # what a cell prints to stderr: on the console, as before
    assert "WARNING from inside" in (out / "kernels.log").read_text()
    machine = json.loads((out / "machine.json").read_text())
    assert {"cpu", "vendor", "torch_cpu_kernels"} <= set(machine)
