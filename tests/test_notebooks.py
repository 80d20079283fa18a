"""The notebooks: committed clean, in order, and run in sequence through the runner (smoke profile,
and the data notebooks in the paper profile on a CPU)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest

from rsclip_utils.manifest import read_manifest
from rsclip_utils.nbcheck import has_outputs, non_literal_statements, parameters_cell
from rsclip_utils.paths import repo_root
from rsclip_utils.pipeline import Run
from rsclip_utils.report import FIGURE_CAPTIONS
from rsclip_utils.run import notebook_paths
from rsclip_utils.stamps import read_stamp

NOTEBOOKS = notebook_paths()


def run_cli(*args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "rsclip_utils.run", *args],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )




def test_notebooks_exist_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names and names == sorted(names) and names[0] == "00_datasets.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_literal_parameters(path):
    nb = nbformat.read(str(path), as_version=4)
    assert not has_outputs(nb), f"{path.name} has outputs: run `make clean-nb`"
    cell = parameters_cell(nb)
    assert cell is not None, "a code cell tagged 'parameters'"
    assert non_literal_statements(cell.source) == []
    assert {"PROFILE", "RUN_DIR", "SEED", "INTERACTIVE"} <= set(
        cell.source.replace("=", " ").split()
    )
    raw = json.loads(path.read_text())
    assert all("id" in c for c in raw["cells"]), "every cell has an id (nbformat 4.5)"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any("## Summary" in h for h in headings) and any("## Exercises" in h for h in headings)


def test_smoke_sequence_through_the_runner(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("--profile", "smoke", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (out / "report.md").read_text()
    # nothing in the run's own output that a user has to read and ignore
    said = proc.stdout + proc.stderr
    for line in ("Error", "ERROR", "WARNING", "Unable to parse", "No pretrained weights"):
        assert line not in said, said[max(0, said.find(line) - 300):said.find(line) + 300]
    for nb in NOTEBOOKS:
        assert f"| {nb.name} | ok |" in report
        executed = nbformat.read(str(out / "notebooks" / nb.name), as_version=4)
        assert has_outputs(executed)
        # progress as text lines, which a static viewer shows as they were (no widget bars)
        assert "widget-view+json" not in json.dumps(executed), nb.name
        streams = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                          for o in c.get("outputs", []) if o.get("output_type") == "stream")
        assert "\r" not in streams, nb.name
    assert "embedded_images" in report and (out / "data" / "embedded" / "embedded.json").is_file()
    assert "### Retrieval, Table II (synth_ret test split)" in report
    # embedded data: no paper number beside ours in the metric tables, the claims read directions
    assert "| paper: RemoteCLIP ViT-B-32" not in report
    assert "## The paper's claims, here" in report
    assert "not measurable offline" in report
    assert "### Data ablation, Table V, as a budget study" in report
    assert "### The start against the data it is continued on" in report
    assert "### Counting, diagnosed" in report
    # the key figures, each with its caption (report.FIGURE_CAPTIONS)
    for stem in ("ablation_budget", "training_curves", "similarity_maps"):
        assert f"![{FIGURE_CAPTIONS[stem]}](figures/{stem}.png)" in report
    metrics = json.loads((out / "metrics.json").read_text())
    ablation = metrics["ablation"]
    assert ablation["study"] == "budget" and len(ablation["rows"]) == 4
    assert ablation["verdict_steps"] in ablation["steps"]
    assert any("at a small budget" in c["claim"] for c in metrics["claims"])
    page = (out / "report.html").read_text()
    assert page.count("<table>") >= 5 and page.count("data:image/png;base64,") >= 4
    # every stage output is stamped, and each stamp names the one its stage read
    outputs = ["data/embedded/embedded.json", "m2b/m2b_records.jsonl", "manifest.tsv",
               "manifest_dedup.tsv", "train/latest.pt", "train_scratch/latest.pt",
               "metrics.json"]
    stamps = {o: read_stamp(out / o) for o in outputs}
    assert all(stamps.values()), [o for o, s in stamps.items() if not s]
    # (the content digest of what the stage read: its files' SHA-256s)
    assert stamps["manifest_dedup.tsv"]["inputs"]["manifest"] == stamps["manifest.tsv"]["content"]
    assert stamps["metrics.json"]["inputs"]["continual"] == stamps["train/latest.pt"]["content"]
    control = read_stamp(out / "ablation" / "RET_DET_SEG_RET_matched" / "seed0" / "latest.pt")
    assert control["params"]["added_batch_size"] == control["params"]["batch_size"]
    assert control["params"]["snapshots"] == ablation["steps"]
    assert stamps["metrics.json"]["inputs"]["RET + DET + SEG, RET matched seed 0"] == \
        control["content"]
    # the stage chain alone, in another folder, builds what the notebooks built in sequence
    alone = Run(tmp_path / "alone", "smoke", 0, progress=False)
    made_alone = read_stamp(alone.manifest_dedup())  # the same bytes (the reports name folders)
    assert made_alone["outputs"]["manifest_dedup.tsv"]["sha256"] == \
        stamps["manifest_dedup.tsv"]["outputs"]["manifest_dedup.tsv"]["sha256"]
    assert made_alone["params"] == stamps["manifest_dedup.tsv"]["params"]
    assert ([r.title for r in read_manifest(alone.dedup_path())]
            == [r.title for r in read_manifest(out / "manifest_dedup.tsv")])


def test_a_failing_notebook_is_named_with_its_cell(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name, source in [
        ("00_ok.ipynb", "x = 1"),
        ("01_bad.ipynb", "raise ValueError('boom')"),
        ("02_after.ipynb", "y = 2"),
    ]:
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(
            "PROFILE = 'smoke'\nRUN_DIR = ''\nSEED = 0", metadata={"tags": ["parameters"]}
        )
        nb.cells = [params, nbformat.v4.new_code_cell("z = 0"), nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, str(folder / name))
    out = tmp_path / "run"
    proc = run_cli("--profile", "smoke", "--out", str(out), "--notebooks", str(folder), "--quiet")
    assert proc.returncode == 1
    assert "01_bad.ipynb" in proc.stderr and "ValueError: boom" in proc.stderr
    assert "cell 4 (In [4])" in proc.stderr  # counted in the executed copy, injected cell included
    report = (out / "report.md").read_text()
    assert "| 00_ok.ipynb | ok |" in report and "| 02_after.ipynb | not run |" in report


@pytest.mark.notebooks
def test_the_data_notebooks_run_in_the_paper_profile_on_a_cpu(standin, tmp_path):
    """00, 02, 03 and 04 need the data but no GPU and no weights: the preflight lets them run,
    and they build the paper manifest from the stand-in datasets."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "rsclip_utils.run", "--profile", "paper",
                           "--data-root", str(standin), "--only", "00,02,03,04", "--out",
                           str(out), "--quiet"],
                          cwd=repo_root(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (out / "report.md").read_text()
    for nb in ("00_datasets", "02_mask_to_box", "03_box_to_caption", "04_phash_dedup"):
        assert f"| {nb}.ipynb | ok |" in report
    with (out / "manifest_dedup.tsv").open(newline="") as f:
        sources = {r["source"] for r in csv.DictReader(f, delimiter="\t")}
    assert sources == {"RSICD", "RSITMD", "UCM", "DOTA", "LoveDA"}
    boxed = {json.loads(line)["source"] for line in
             (out / "m2b" / "m2b_records.jsonl").read_text().splitlines()}
    assert boxed == {"LoveDA"}  # only the run's SEG sources are boxed for training
    executed = (out / "notebooks" / "00_datasets.ipynb").read_text()
    assert "RSICD" in executed and "complete" in executed  # section 12 checked DATA_ROOT
