"""The stages chained, for notebooks that run on their own: each later notebook asks for what an
earlier one writes, and it is built here (through the same package functions) when missing.
Introduced in notebook 04.
"""

from __future__ import annotations

from pathlib import Path

from .b2c import B2CConfig, write_manifest
from .config import Profile
from .datasets import EMBEDDED_SOURCES, load_embedded
from .dedup import dedup_manifest
from .m2b import run_m2b, write_m2b
from .records import read_jsonl
from .synth import ensure_embedded


def embedded_sets(run_dir: Path, profile: Profile, seed: int = 0) -> dict:
    """The embedded sets of the run (generated when missing), read by the real readers."""
    root = Path(run_dir) / "data" / "embedded"
    ensure_embedded(root, profile.synth, seed=seed, progress=False)
    return load_embedded(root)


def m2b_records(run_dir: Path, sets: dict) -> list:
    """Notebook 02's Mask-to-Box records (embedded SEG sets), boxed here when missing."""
    path = Path(run_dir) / "m2b" / "m2b_records.jsonl"
    if path.is_file():
        return list(read_jsonl(path))
    records, report = run_m2b(list(sets["loveda"]) + list(sets["isaid"]), progress=False)
    write_m2b(records, report, Path(run_dir) / "m2b")
    return records


def evaluation_images(sets: dict) -> dict[str, list[str]]:
    """The evaluation splits that must not leak into training: RET val and test, CLS, COUNT."""
    return {"RET val": [r.image for r in sets["ret"] if r.split == "val"],
            "RET test": [r.image for r in sets["ret"] if r.split == "test"],
            "CLS": [r.image for r in sets["cls"]],
            "COUNT": [r.image for r in sets["count"]]}


def training_sources() -> dict[str, list[str]]:
    """The embedded training sources by kind, as the paper groups its data (Table V)."""
    s = EMBEDDED_SOURCES
    return {"RET": [s["ret"]], "DET": [s["dota"], s["voc"]], "SEG": [s["loveda"], s["isaid"]]}


def manifest_dedup(run_dir: Path, profile: Profile, seed: int = 0) -> Path:
    """Notebook 04's ``manifest_dedup.tsv``; notebooks 02-04 are run here when it is missing."""
    run_dir = Path(run_dir)
    path = run_dir / "manifest_dedup.tsv"
    if path.is_file():
        return path
    sets = embedded_sets(run_dir, profile, seed)
    if not (run_dir / "manifest.tsv").is_file():
        records = (list(sets["ret"]) + list(sets["dota"]) + list(sets["voc"])
                   + m2b_records(run_dir, sets))
        write_manifest(records, run_dir / "manifest.tsv", seed=seed,
                       config=B2CConfig(number_words=profile.b2c_number_words), progress=False)
    dedup_manifest(run_dir / "manifest.tsv", evaluation_images(sets), run_dir, progress=False)
    return path


def trained_checkpoint(run_dir: Path, profile: Profile, seed: int = 0) -> Path:
    """Notebook 05's checkpoint; trained here with the profile's recipe when missing."""
    from .training import TrainConfig, train

    path = Path(run_dir) / "train" / "latest.pt"
    if path.is_file():
        return path
    spec = profile.train
    train(TrainConfig(manifest=str(manifest_dedup(run_dir, profile, seed)),
                      out=str(path.parent), model=spec.model, pretrained=spec.pretrained,
                      steps=spec.steps, batch_size=spec.batch_size, lr=spec.lr,
                      warmup=spec.warmup, precision=spec.precision, seed=seed,
                      workers=spec.workers))
    return path
