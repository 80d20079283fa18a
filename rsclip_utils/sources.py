"""What a run trains and evaluates on: the embedded sets in the smoke and default profiles, the
registered real datasets under ``DATA_ROOT`` in the paper profile, grouped by kind as the paper
groups them (RET, DET, SEG; scene sets; counting).

Introduced in notebook 02 (the first notebook that reads the run's sources rather than the sets
it shows); :class:`rsclip_utils.pipeline.Run` builds every stage from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_json
from .datasets import EMBEDDED_SOURCES, ReadResult
from .datasets.read_report import ReadReport
from .records import Record, read_jsonl, write_jsonl
from .stamps import ensure, listing, make_stamp


@dataclass
class RunSources:
    """What a run trains and evaluates on, by kind: human-caption sets (``ret``, all splits),
    detection sets (``det``), segmentation sets (``seg``), scene-class sets (``scenes``) and a
    counting set (``count``: the embedded COUNT set, or in the paper profile the RemoteCount-like
    set built from DOTA val; None when DOTA val is not there). Embedded data in the smoke and
    default profiles, the registered real datasets under ``DATA_ROOT`` in the paper profile;
    ``absent`` lists registered datasets not there."""

    ret: dict[str, ReadResult]
    det: dict[str, ReadResult]
    seg: dict[str, ReadResult]
    scenes: dict[str, ReadResult]
    count: ReadResult | None = None
    absent: list[str] = field(default_factory=list)
    stamps: dict[str, str] = field(default_factory=dict)  # what was read: content digests

    def digest(self) -> str:
        """One digest for everything read (the input stamp later stages record)."""
        return "+".join(f"{k}:{v}" for k, v in sorted(self.stamps.items()))

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

    def validation_sets(self) -> dict[str, list[Record]]:
        """The validation split of every RET set (notebook 06's budget rule reads it, never
        the test split); sets without one are left out."""
        out = {name: [r for r in res if r.split == "val"] for name, res in self.ret.items()}
        return {name: recs for name, recs in out.items() if recs}

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


def embedded_sources(sets: dict, stamp: str = "") -> RunSources:
    """The embedded sets (as :func:`~rsclip_utils.datasets.load_embedded` returns them) as a
    :class:`RunSources`; ``stamp``: the content digest of the embedded sets' stamp."""
    s = EMBEDDED_SOURCES
    return RunSources(ret={s["ret"]: sets["ret"]},
                      det={s["dota"]: sets["dota"], s["voc"]: sets["voc"]},
                      seg={s["loveda"]: sets["loveda"], s["isaid"]: sets["isaid"]},
                      scenes={s[k]: sets[k] for k in ("cls", "eurosat", "uav")},
                      count=sets["count"], stamps={"embedded": stamp})


def folder_listing(folder: str | Path) -> str:
    """What a dataset folder held when it was read: every file under it by path, size and
    modification time (:func:`rsclip_utils.stamps.listing`, no reading)."""
    folder = Path(folder)
    return listing(sorted(p for p in folder.rglob("*") if p.is_file()), folder)


def _cached(run_dir: Path, entry, data_root: Path, context: dict,
            verify: str = "quick") -> tuple[ReadResult, str]:
    """A registered dataset read once per run (``RUN_DIR/sources/<key>.jsonl``, stamped by the
    one rule, :func:`rsclip_utils.stamps.ensure`); later notebooks read the cached records while
    the stamp matches, the cache is intact and the dataset's folder lists the same files (path,
    size, modification time). Returns the records and what later stages record of them: the
    cache's content and the folder's listing, so a replaced image reaches every stage."""
    from .catalog.loaders import load_dataset

    folder = run_dir / "sources"
    path, rep = folder / f"{entry.key}.jsonl", folder / f"{entry.key}.report.json"
    listing = folder_listing(entry.folder(data_root))
    want = make_stamp("read", {"dataset": entry.key, "kind": entry.kind,
                               "folder": str(entry.folder(data_root))},
                      {"files": listing}, **context)
    fresh: list[ReadResult] = []

    def build(params):
        print(f"reading {entry.key} from {entry.folder(data_root)} (cached in {path})")
        result = load_dataset(entry, data_root)
        write_jsonl(result.records, path)
        write_json(rep, result.report.to_dict())
        fresh.append(result)

    stamp = ensure(path, want, build, lambda: [path, rep], f"the {entry.key} reader",
                   cache=True, verify=verify)
    if fresh:
        return fresh[0], f"{stamp['content']}/{listing}"
    report = ReadReport(source=entry.key, strict=False)
    d = json.loads(rep.read_text())
    report.files, report.records, report.objects = d["files"], d["records"], d["objects"]
    report.captions = d["captions"]
    return ReadResult(list(read_jsonl(path)), report), f"{stamp['content']}/{listing}"


def paper_sources(run_dir: Path, data_root: str | Path, context: dict,
                  registry=None, verify: str = "quick") -> RunSources:
    """Every complete registered dataset under ``data_root``, read by its loader (cached in
    ``RUN_DIR/sources/``); the COUNT entry (built from DOTA val) fills ``count``. Datasets that
    are not there are listed in ``absent``; one that is there but incomplete, or a missing RET-3
    set, raises naming what is wrong. ``context``: the run's profile, seed and data root, for the
    stamps."""
    from .catalog import load_registry, paper_data_status

    registry = registry or load_registry()
    run_dir, data_root = Path(run_dir), Path(data_root)
    statuses, problems = paper_data_status(data_root, registry)
    out = RunSources(ret={}, det={}, seg={}, scenes={})
    target = {"RET": out.ret, "DET": out.det, "SEG": out.seg, "CLS": out.scenes}
    for key, status in statuses.items():
        if status.state == "missing":
            out.absent.append(key)
        elif status.state == "complete" and not problems:
            result, out.stamps[key] = _cached(run_dir, registry[key], data_root, context,
                                              verify)
            if registry[key].kind == "COUNT":  # the registry holds at most one
                out.count = result
            else:
                target[registry[key].kind][key] = result
    if problems:
        raise FileNotFoundError("the paper profile's data is not ready:\n  "
                                + "\n  ".join(problems))
    return out
