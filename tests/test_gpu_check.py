"""The GPU check (benchmarks/gpu_check.py) in its CPU dry run: every part runs and is reported."""

import json
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_dry_run_reports_every_part(tmp_path):
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "gpu_check.json").read_text())
    assert results["dry_run"] and results["card"]["name"] == "CPU (dry run)"
    assert {r["precision"] for r in results["throughput"]} == {"fp32", "amp", "amp_bf16"}
    assert all(r["images_per_s"] > 0 for r in results["throughput"])
    assert results["loaders"]["shards_all_cores"] > 0 and results["loaders"]["raw_per_core"] > 0
    run = results["short_run"]
    assert run["steps"] == 3 and run["model"] == "rsclip-tiny"
    assert (tmp_path / "gpu_check.md").read_text().startswith("GPU check on **CPU (dry run)**")
    if torch.cuda.is_available():
        return
    # without a GPU and without --dry-run it says so and stops
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no CUDA device" in proc.stderr
