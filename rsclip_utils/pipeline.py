"""The stages chained, for notebooks that run on their own: each later notebook asks for what an
earlier one writes, and it is built here (through the same package functions) when missing.
Introduced in notebook 04.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .b2c import B2CConfig, write_manifest
from .config import Profile
from .datasets import EMBEDDED_SOURCES, ReadResult, load_embedded
from .dedup import dedup_manifest
from .errors import ReadReport
from .m2b import run_m2b, write_m2b
from .records import Record, read_jsonl, write_jsonl
from .synth import ensure_embedded

# the paper's retrieval sets; the paper profile needs all three complete (Table II)
PAPER_REQUIRED = ("RSICD", "RSITMD", "UCM")


@dataclass
class RunSources:
    """What a run trains and evaluates on, by kind: human-caption sets (``ret``, all splits),
    detection sets (``det``), segmentation sets (``seg``), scene-class sets (``scenes``) and a
    counting set. Embedded data in the smoke and default profiles, the registered real datasets
    under ``DATA_ROOT`` in the paper profile; ``absent`` lists registered datasets not there."""

    ret: dict[str, ReadResult]
    det: dict[str, ReadResult]
    seg: dict[str, ReadResult]
    scenes: dict[str, ReadResult]
    count: ReadResult | None = None
    absent: list[str] = field(default_factory=list)

    def kinds(self) -> dict[str, list[str]]:
        """Training source names by kind, as the paper groups its data (Table V)."""
        return {"RET": list(self.ret), "DET": list(self.det), "SEG": list(self.seg)}

    def seg_records(self) -> list[Record]:
        """Every segmentation record (Mask-to-Box's input)."""
        return [r for res in self.seg.values() for r in res]

    def caption_records(self, m2b_records: list[Record]) -> list[Record]:
        """Box-to-Caption's input: the RET sets, the DET sets and the Mask-to-Box records."""
        return ([r for res in self.ret.values() for r in res]
                + [r for res in self.det.values() for r in res] + list(m2b_records))

    def retrieval_sets(self) -> dict[str, list[Record]]:
        """The test split of every RET set (the retrieval benchmarks of Table II)."""
        return {name: [r for r in res if r.split == "test"] for name, res in self.ret.items()}

    def evaluation_images(self) -> dict[str, list[str]]:
        """Every image an evaluation uses, which must not leak into training: RET val and test,
        the scene sets, the counting set."""
        out = {}
        for name, res in self.ret.items():
            for split in ("val", "test"):
                out[f"{name} {split}"] = [r.image for r in res if r.split == split]
        out.update({name: [r.image for r in res] for name, res in self.scenes.items()})
        if self.count is not None:
            out["COUNT"] = [r.image for r in self.count]
        return {k: v for k, v in out.items() if v}

    def evaluation_splits(self) -> dict[str, dict[str, list[str]]]:
        """Each scene set's own train and test parts (linear probe, k-NN and few-shot fit on
        train and score on test), which must not share an image either."""
        return {name: {split: [r.image for r in res if r.split == split]
                       for split in ("train", "test")} for name, res in self.scenes.items()}


def embedded_sources(sets: dict) -> RunSources:
    """The embedded sets (as :func:`load_embedded` returns them) as a :class:`RunSources`."""
    s = EMBEDDED_SOURCES
    return RunSources(ret={s["ret"]: sets["ret"]},
                      det={s["dota"]: sets["dota"], s["voc"]: sets["voc"]},
                      seg={s["loveda"]: sets["loveda"], s["isaid"]: sets["isaid"]},
                      scenes={s[k]: sets[k] for k in ("cls", "eurosat", "uav")},
                      count=sets["count"])


def _cached(run_dir: Path, entry, data_root: Path) -> ReadResult:
    """A registered dataset read once per run; later notebooks read the cached records."""
    from .data.loaders import load_dataset

    folder = run_dir / "sources"
    path, rep = folder / f"{entry.key}.jsonl", folder / f"{entry.key}.report.json"
    if path.is_file() and rep.is_file():
        report = ReadReport(source=entry.key, strict=False)
        d = json.loads(rep.read_text())
        report.files, report.records, report.objects = d["files"], d["records"], d["objects"]
        report.captions = d["captions"]
        return ReadResult(list(read_jsonl(path)), report)
    result = load_dataset(entry, data_root)
    write_jsonl(result.records, path)
    rep.write_text(json.dumps(result.report.to_dict(), indent=1))
    return result


def paper_data_status(data_root: str | Path, registry: dict) -> tuple[dict, list[str]]:
    """Every registered dataset's :class:`~rsclip_utils.data.DatasetStatus` under ``data_root``,
    and what keeps the paper profile from using the data: a dataset there but incomplete, or a
    RET-3 set missing. Shared by the preflight (:mod:`rsclip_utils.run`) and
    :func:`paper_sources`."""
    from .data import check_dataset

    statuses = {key: check_dataset(entry, data_root) for key, entry in registry.items()}
    problems = []
    for key, status in statuses.items():
        if status.state == "incomplete":
            problems += [f"{key} incomplete: {p}" for p in status.problems]
        elif status.state == "missing" and key in PAPER_REQUIRED:
            problems.append(f"{key} (needed for Table II) not found at {status.folder}: "
                            f"python -m rsclip_utils.data instructions {key}")
    return statuses, problems


def paper_sources(run_dir: Path, data_root: str | Path, registry=None) -> RunSources:
    """Every complete registered dataset under ``data_root``, read by its loader (cached in
    ``RUN_DIR/sources/``). Datasets that are not there are listed in ``absent``; one that is
    there but incomplete, or a missing RET-3 set, raises naming what is wrong."""
    from .data import load_registry

    registry = registry or load_registry()
    run_dir, data_root = Path(run_dir), Path(data_root)
    statuses, problems = paper_data_status(data_root, registry)
    out = RunSources(ret={}, det={}, seg={}, scenes={})
    target = {"RET": out.ret, "DET": out.det, "SEG": out.seg, "CLS": out.scenes}
    for key, status in statuses.items():
        if status.state == "missing":
            out.absent.append(key)
        elif status.state == "complete" and not problems:
            target[registry[key].kind][key] = _cached(run_dir, registry[key], data_root)
    if problems:
        raise FileNotFoundError("the paper profile's data is not ready:\n  "
                                + "\n  ".join(problems))
    return out


def run_sources(run_dir: Path, profile: Profile, seed: int = 0,
                data_root: str | Path | None = None) -> RunSources:
    """The run's sources: the registered real datasets in the paper profile (``data_root``
    required), the embedded sets otherwise."""
    if profile.name == "paper":
        if not data_root:
            raise ValueError("the paper profile reads the real datasets: set DATA_ROOT (see "
                             "python -m rsclip_utils.data check DIR)")
        return paper_sources(run_dir, data_root)
    return embedded_sources(embedded_sets(run_dir, profile, seed))


def embedded_sets(run_dir: Path, profile: Profile, seed: int = 0) -> dict:
    """The embedded sets of the run (generated when missing), read by the real readers."""
    root = Path(run_dir) / "data" / "embedded"
    ensure_embedded(root, profile.synth, seed=seed, progress=False)
    return load_embedded(root)


def m2b_records(run_dir: Path, sources: RunSources) -> list:
    """Notebook 02's Mask-to-Box records (the run's SEG sets), boxed here when missing."""
    path = Path(run_dir) / "m2b" / "m2b_records.jsonl"
    if path.is_file():
        return list(read_jsonl(path))
    records, report = run_m2b(sources.seg_records(), progress=False)
    write_m2b(records, report, Path(run_dir) / "m2b")
    return records


def manifest_dedup(run_dir: Path, profile: Profile, seed: int = 0,
                   data_root: str | Path | None = None) -> Path:
    """Notebook 04's ``manifest_dedup.tsv``; notebooks 02-04 are run here when it is missing."""
    run_dir = Path(run_dir)
    path = run_dir / "manifest_dedup.tsv"
    if path.is_file():
        return path
    sources = run_sources(run_dir, profile, seed, data_root)
    if not (run_dir / "manifest.tsv").is_file():
        records = sources.caption_records(m2b_records(run_dir, sources))
        write_manifest(records, run_dir / "manifest.tsv", seed=seed,
                       config=B2CConfig(number_words=profile.b2c_number_words), progress=False)
    dedup_manifest(run_dir / "manifest.tsv", sources.evaluation_images(), run_dir,
                   progress=False, splits=sources.evaluation_splits())
    return path


def trained_checkpoint(run_dir: Path, profile: Profile, seed: int = 0,
                       data_root: str | Path | None = None, start: str = "continual",
                       steps: int = 0) -> Path:
    """Notebook 05's checkpoint; trained here with the profile's recipe when missing.
    ``start``: "continual" (from the profile's pretrained start, the base model or OpenAI's
    weights; folder ``train/``) or "scratch" (the same recipe from random init;
    ``train_scratch/``). ``steps`` (0: the profile's) shortens the run."""
    from .training import TrainConfig, train

    if start not in ("continual", "scratch"):
        raise ValueError(f"start {start!r} is not 'continual' or 'scratch'")
    path = Path(run_dir) / ("train" if start == "continual" else "train_scratch") / "latest.pt"
    if path.is_file():
        return path
    spec = profile.train
    manifest = manifest_dedup(run_dir, profile, seed, data_root)
    extra = {} if start == "continual" else {"pretrained": None}
    train(TrainConfig.from_spec(spec, manifest, path.parent, seed=seed,
                                steps=steps or spec.steps, **extra))
    return path
