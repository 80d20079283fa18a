"""open_clip's own trainer on the manifest (rsclip_utils.openclip_trainer)."""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

from rsclip_utils.manifest import read_manifest, write_manifest_rows
from rsclip_utils.models import create_model
from rsclip_utils.paths import mark_run_folder
from rsclip_utils.shards import ShardSpec, shard_urls, write_shards


def open_clip_train(tmp_path, *data_args: str, cwd=None) -> subprocess.CompletedProcess:
    """open_clip's trainer, through this package's entry point, for one epoch of rsclip-tiny."""
    proc = subprocess.run(
        [sys.executable, "-m", "rsclip_utils.openclip_trainer", "--model", "rsclip-tiny",
         *data_args, "--batch-size", "16", "--epochs", "1", "--workers", "0",
         "--precision", "fp32", "--logs", str(tmp_path / "logs"), "--name", "t",
         "--warmup", "2", "--lr", "1e-4", "--report-to", ""],
        capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_open_clip_trainer_runs_the_manifest_with_rsclip_tiny(manifest, tmp_path):
    small = tmp_path / "small.tsv"
    small.write_text("".join(manifest.read_text().splitlines(keepends=True)[:49]))
    open_clip_train(tmp_path, "--train-data", str(small), "--dataset-type", "csv",
                    "--csv-separator", "\t")
    log = (tmp_path / "logs" / "t" / "out.log").read_text()
    assert "Train Epoch: 0 [48/48 (100%)]" in log and "Loss:" in log
    ckpt = tmp_path / "logs" / "t" / "checkpoints" / "epoch_1.pt"
    create_model("rsclip-tiny", pretrained=ckpt)  # its checkpoint loads back, every key checked


def test_a_run_folders_relative_paths_resolve_from_any_working_folder(manifest, tmp_path):
    """A manifest inside a run folder holds its images relative to itself: the trainer reads
    them wherever it is started (open_clip alone would look in the working folder)."""
    run = tmp_path / "run"
    mark_run_folder(run)
    rows = read_manifest(manifest)[:48]
    for row in rows:
        shutil.copy(row.filepath, run / Path(row.filepath).name)
    small = run / "small.tsv"
    write_manifest_rows(small, [row._replace(filepath=str(run / Path(row.filepath).name))
                                for row in rows])
    assert not read_manifest_column(small)[0].startswith("/")  # written relative
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    open_clip_train(tmp_path, "--train-data", str(small), "--dataset-type", "csv",
                    "--csv-separator", "\t", cwd=elsewhere)
    assert "Train Epoch: 0 [48/48 (100%)]" in (tmp_path / "logs" / "t" / "out.log").read_text()


def read_manifest_column(path) -> list[str]:
    """The filepath column as written (csv, not the package's reader)."""
    with open(path, newline="") as f:
        return [r["filepath"] for r in csv.DictReader(f, delimiter="\t")]


def test_open_clip_trainer_reads_the_shards_unchanged(manifest, tmp_path):
    small = tmp_path / "small.tsv"
    small.write_text("".join(manifest.read_text().splitlines(keepends=True)[:161]))
    report = write_shards(small, tmp_path / "shards", ShardSpec(samples_per_shard=10),
                          workers=1, progress=False)
    assert len(report["shards"]) >= 2
    open_clip_train(tmp_path, "--train-data", shard_urls(tmp_path / "shards"),
                    "--dataset-type", "webdataset")  # the sample count from sizes.json
    log = (tmp_path / "logs" / "t" / "out.log").read_text()
    n = report["samples"]
    assert f"Train Epoch: 0 [{-(-n // 16) * 16}/{-(-n // 16) * 16} (100%)]" in log, log[-2000:]
    create_model("rsclip-tiny", pretrained=tmp_path / "logs" / "t" / "checkpoints" / "epoch_1.pt")
