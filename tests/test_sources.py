"""A run's sources (rsclip_utils.sources): the paper profile's real datasets, read and cached."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rsclip_utils import pipeline
from rsclip_utils.config import get_profile


def test_the_paper_data_path_runs_to_the_deduplicated_manifest(standin, tmp_path):
    run_dir = tmp_path / "run"
    profile = get_profile("paper")
    run = pipeline.Run(run_dir, profile, 0, standin)
    sources = run.sources()
    assert sources.kinds() == {"RET": ["RSICD", "RSITMD", "UCM"], "DET": ["DOTA"],
                               "SEG": ["LoveDA"]}
    assert list(sources.scenes) == ["AID"]
    # the counting set, built from DOTA val: one plane each (the difficult small vehicle is not
    # counted), written beside the data as RemoteCount/counts.tsv
    assert [(Path(r.image).name, r.extra["count"], r.captions[0]) for r in sources.count] == [
        (f"Pval{i}.png", 1, "there is one airplane in the picture .") for i in range(2)]
    assert (standin / "RemoteCount" / "counts.tsv").is_file()
    assert "DIOR" in sources.absent and "RSICD" not in sources.absent
    assert (run_dir / "sources" / "DOTA.jsonl").is_file()  # read once, cached for later notebooks
    assert {len(v) for v in sources.retrieval_sets().values()} == {1}
    manifest = run.manifest_dedup()
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    by_source = {r["source"] for r in rows}
    assert by_source == {"RSICD", "RSITMD", "UCM", "DOTA", "LoveDA"}
    images = {Path(r["filepath"]).name for r in rows}
    assert "rsicd_0.jpg" in images and "rsicd_5.jpg" not in images  # test split never trained on
    assert "Pcopy.png" not in images  # the copy of an RSICD test image was removed
    assert "Ptrain0.png" in images
    loveda = [r["title"] for r in rows if r["source"] == "LoveDA"]
    assert loveda and any("building" in t for t in loveda)  # Mask-to-Box, then Box-to-Caption
    dota = [r["title"] for r in rows if r["source"] == "DOTA"]
    assert any("airplane" in t for t in dota)  # DOTA's "plane", in the caption vocabulary
    report = json.loads((run_dir / "dedup_report.json").read_text())
    assert report["evaluation"]["RSICD test"]["with_copies_in_training"] == 1
    # DOTA's val images are training images too: those the counting set uses are removed
    assert report["evaluation"]["COUNT"]["with_copies_in_training"] == 2
    assert "Pval0.png" not in images and "Pval1.png" not in images


def test_without_a_data_root_the_paper_sources_say_so(tmp_path):
    with pytest.raises(ValueError, match="set DATA_ROOT"):
        pipeline.Run(tmp_path, get_profile("paper"), 0, None).sources()
