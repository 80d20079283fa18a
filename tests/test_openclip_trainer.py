"""open_clip's own trainer on the manifest (rsclip_utils.openclip_trainer)."""

import subprocess
import sys

from rsclip_utils.models import create_model


def test_open_clip_trainer_runs_the_manifest_with_rsclip_tiny(manifest, tmp_path):
    small = tmp_path / "small.tsv"
    small.write_text("".join(manifest.read_text().splitlines(keepends=True)[:49]))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rsclip_utils.openclip_trainer",
            "--model",
            "rsclip-tiny",
            "--train-data",
            str(small),
            "--dataset-type",
            "csv",
            "--csv-separator",
            "\t",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--workers",
            "0",
            "--precision",
            "fp32",
            "--logs",
            str(tmp_path / "logs"),
            "--name",
            "t",
            "--warmup",
            "2",
            "--lr",
            "1e-4",
            "--report-to",
            "",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (tmp_path / "logs" / "t" / "out.log").read_text()
    assert "Train Epoch: 0 [48/48 (100%)]" in log and "Loss:" in log
    ckpt = tmp_path / "logs" / "t" / "checkpoints" / "epoch_1.pt"
    create_model("rsclip-tiny", pretrained=ckpt)  # its checkpoint loads back, every key checked
