"""The stage chain: every stage output of a run, built once, stamped, and reused only while its
stamp matches and it still holds what was written.

Introduced in notebook 02. Each notebook builds its own stage through :class:`Run` with its
parameters and asks it for what earlier notebooks write. A notebook run on its own therefore
builds the same thing as the full sequence::

    run = Run(run_dir, profile, seed, data_root)
    run.manifest(centre=(0.3, 0.7))   # notebook 03, with its parameter
    run.checkpoint()                  # notebook 06: dedup and training are rebuilt, saying so

:data:`STAGES` lists the stages: which notebook makes each, its output, which notebook
parameter sets which of its parameters, and whose defaults it takes (each stage module owns its
configuration). The rule, per output (:mod:`rsclip_utils.stamps` checks it):

- missing: built (saying so, with progress shown);
- stamp equal to the one the stage would write now, and every file it wrote unchanged (size and
  modification time, the bytes when those differ or ``verify="content"``): reused;
- stamp different (a parameter, an input's content, the profile, seed, data root or package
  version): rebuilt, naming what differs; a paper-profile checkpoint is refused instead (the
  run took hours);
- a file changed since it was written: a cache (the embedded sets, the shards, a training run
  of the small profiles) is rebuilt, naming the file; a file people edit (a manifest, M2B's
  records) is refused, naming it, and kept, as is
- a file without a stamp (made by hand, or by an older version): refused, naming the file.

Paths inside the outputs are relative to the file that holds them (:mod:`rsclip_utils.paths`),
so a run folder can be moved or copied; one whose images are gone says so. Two builders of one
output never meet: the second waits for the first (:func:`rsclip_utils.atomic.build_lock`) and
then reuses what it built.

A parameter a notebook exposes and a later notebook does not pass (``None``) keeps the value the
existing output was built with, so 05 trains on 03's manifest as 03 made it; every other
parameter comes from the profile.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic import write_json
from .config import Profile, get_profile
from .paths import mark_run_folder
from .records import read_jsonl
from .sources import RunSources, embedded_sources, paper_sources
from .stamps import StaleOutputError, ensure, files_under, make_stamp, read_stamp, seal, write_stamp


@dataclass(frozen=True)
class Stage:
    """One stage of the chain: the notebook that makes it, its output (relative to the run
    folder), the notebook parameters that set its parameters (name in the notebook -> name in
    the stamp), where its defaults live, and whether its output is a cache (rebuilt when damaged)
    or a file people open and edit (refused when changed by hand); ``checks_owner``: its
    builder refuses to delete files it did not write, so an output without a stamp is handed
    to it."""

    name: str
    made_by: str
    output: str
    notebook_parameters: dict[str, str] = field(default_factory=dict)
    defaults_from: str = ""
    cache: bool = False
    checks_owner: bool = False


STAGES = {s.name: s for s in (
    Stage("embedded", "notebook 00's generator", "data/embedded/embedded.json",
          defaults_from="config.Profile.synth (SynthSpec)", cache=True, checks_owner=True),
    Stage("m2b", "notebook 02, Mask-to-Box", "m2b/m2b_records.jsonl",
          {"MIN_AREA": "min_area"}, "m2b.presets"),
    Stage("b2c", "notebook 03, Box-to-Caption", "manifest.tsv",
          {"CENTRE": "centre", "NUMBER_WORDS": "number_words"}, "b2c.B2CConfig"),
    Stage("dedup", "notebook 04, p-Hash de-duplication", "manifest_dedup.tsv",
          {"MAX_DISTANCE": "max_distance", "SEGMENTS": "segments",
           "AUDIT_DISTANCE": "audit_distance"}, "dedup.dedup_manifest"),
    Stage("shards", "notebook 05, decode-once shards", "shards/shards.json",
          {"SHORTER_SIDE": "shorter_side"}, "shards.ShardSpec", cache=True, checks_owner=True),
    Stage("train", "notebook 05, continual pretraining", "train/latest.pt",
          {"STEPS": "steps"}, "recipe.TrainSpec (the profile's)", cache=True),
    Stage("subset", "notebook 06, the data ablation", "ablation/subsets/<kinds>.tsv",
          cache=True),
)}


def signature_defaults(function: Callable, names: list[str]) -> dict:
    """The defaults of ``function``'s parameters ``names``: a stage's defaults read from the
    function that owns them, never retyped."""
    params = inspect.signature(function).parameters
    return {n: params[n].default for n in names}


class Run:
    """One run folder of one profile and seed: its sources and its stage outputs.
    ``verify="content"`` hashes every output on reuse (default: only files whose size or
    modification time changed)."""

    def __init__(self, run_dir: str | Path, profile: Profile | str, seed: int = 0,
                 data_root: str | Path | None = None, progress: bool = True,
                 verify: str = "quick"):
        if verify not in ("quick", "content"):
            raise ValueError(f"verify {verify!r} is not 'quick' or 'content'")
        self.run_dir = Path(os.path.abspath(run_dir))
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.seed = seed
        self.data_root = str(data_root) if data_root else None
        self.progress = progress
        self.verify = verify
        self._sources: RunSources | None = None
        self._embedded: dict | None = None
        mark_run_folder(self.run_dir)

    # --- the rule --------------------------------------------------------------------------

    def context(self) -> dict:
        """The run's part of every stamp: profile, seed, data root."""
        return {"profile": self.profile.name, "seed": self.seed, "data_root": self.data_root}

    def _carried(self, output: Path, asked: dict, defaults: dict) -> dict:
        """The parameters to build ``output`` with: those asked (not None), else the existing
        output's for this run, else the defaults."""
        have = read_stamp(output)
        here = make_stamp("", {}, {}, **self.context())  # the context as a stamp records it
        mine = have is not None and all(have.get(k) == here[k] for k in self.context())
        recorded = have["params"] if mine else {}
        return {k: asked[k] if asked.get(k) is not None else recorded.get(k, v)
                for k, v in defaults.items()}

    def _ensure(self, output: Path, stage: str, params: dict, inputs: dict[str, str],
                build: Callable[[dict], None], files: Callable[[], list[Path]],
                made_by: str | None = None, precious: bool = False,
                needs: Callable[[], list[str]] | None = None) -> dict:
        """Reuse, build or refuse ``output`` of ``stage`` (:func:`~rsclip_utils.stamps.ensure`,
        the one rule); returns its stamp."""
        definition = STAGES[stage]
        want = make_stamp(stage, params, inputs, **self.context())
        return ensure(output, want, build, files, made_by or definition.made_by,
                      cache=definition.cache, checks_owner=definition.checks_owner,
                      precious=precious, verify=self.verify,
                      needs=needs)

    def stamp(self, output: str | Path) -> dict | None:
        """The stamp of an output of this run (None when it has none)."""
        return read_stamp(output)

    @staticmethod
    def _images_gone(manifest: Path) -> Callable[[], list[str]]:
        """The images a manifest names that are not there (checked when it is reused)."""
        def gone():
            from .manifest import images, read_manifest

            return [p for p in images(read_manifest(manifest)) if not os.path.exists(p)]
        return gone

    # --- sources ---------------------------------------------------------------------------

    def embedded(self, workers: int | None = None) -> dict:
        """The embedded sets (notebook 00), generated when missing, made by another spec or
        changed (``workers`` processes; :func:`~rsclip_utils.synth.ensure_embedded`), read by
        the real readers. The paper profile shows them beside the real data."""
        from .datasets import load_embedded
        from .synth import ensure_embedded

        if self._embedded is None:
            root = self.run_dir / "data" / "embedded"
            stamp = ensure_embedded(root, self.profile.synth, seed=self.seed, workers=workers,
                                    progress=self.progress, verify=self.verify)
            self._embedded = load_embedded(root)
            self._embedded_digest = stamp["content"]
        return self._embedded

    def sources(self) -> RunSources:
        """What the run trains and evaluates on: the registered real datasets in the paper
        profile (``data_root`` required), the embedded sets otherwise."""
        if self._sources is None:
            if self.profile.name == "paper":
                if not self.data_root:
                    raise ValueError("the paper profile reads the real datasets: set DATA_ROOT "
                                     "(see python -m rsclip_utils.catalog check DIR)")
                self._sources = paper_sources(self.run_dir, self.data_root, self.context(),
                                              verify=self.verify)
            else:
                sets = self.embedded()
                self._sources = embedded_sources(sets, self._embedded_digest)
        return self._sources

    # --- notebook 02: Mask-to-Box ----------------------------------------------------------

    def m2b_path(self) -> Path:
        """Where notebook 02's records are."""
        return self.run_dir / STAGES["m2b"].output

    def _m2b(self, min_area: int | None = None, workers: int | None = None) -> dict:
        from .m2b import presets, run_m2b, write_m2b

        sources = self.sources()
        path = self.m2b_path()

        def build(p):
            records, report = run_m2b(sources.seg_records(), presets(p["min_area"]),
                                      workers=workers, progress=self.progress)
            write_m2b(records, report, path.parent)

        params = self._carried(path, {"min_area": min_area},
                               signature_defaults(presets, ["min_area"]))
        return self._ensure(path, "m2b", params, {"sources": sources.digest()}, build,
                            lambda: [path, path.parent / "m2b_report.json"])

    def m2b(self, min_area: int | None = None, workers: int | None = None) -> list:
        """Notebook 02's Mask-to-Box records of the run's SEG sets (``m2b/m2b_records.jsonl``
        and ``m2b_report.json``); ``min_area``: the size floor in pixels."""
        self._m2b(min_area, workers)
        return list(read_jsonl(self.m2b_path()))

    # --- notebook 03: Box-to-Caption -------------------------------------------------------

    def manifest_path(self) -> Path:
        """Where notebook 03's manifest is."""
        return self.run_dir / STAGES["b2c"].output

    def _manifest(self, centre=None, number_words: bool | None = None) -> dict:
        from .b2c import B2CConfig, write_manifest

        sources = self.sources()
        m2b = self._m2b()
        path = self.manifest_path()
        report_path = self.run_dir / "manifest_report.json"
        defaults = asdict(B2CConfig(number_words=self.profile.b2c_number_words))

        def build(p):
            config = B2CConfig(**{k: tuple(v) if isinstance(v, list) else v
                                  for k, v in p.items()})
            records = sources.caption_records(list(read_jsonl(self.m2b_path())))
            report = write_manifest(records, path, seed=self.seed, config=config,
                                    progress=self.progress)
            write_json(report_path, report.to_dict())

        asked = {"centre": list(centre) if centre is not None else None,
                 "number_words": number_words}
        carried = self._carried(path, asked, {k: defaults[k] for k in asked})
        return self._ensure(path, "b2c", {**defaults, **carried},
                            {"sources": sources.digest(), "m2b": m2b["content"]}, build,
                            lambda: [path, report_path], needs=self._images_gone(path))

    def manifest(self, centre=None, number_words: bool | None = None) -> Path:
        """Notebook 03's ``manifest.tsv`` (and ``manifest_report.json``): human captions of
        the RET sets and B2C captions of the DET sets and the Mask-to-Box records."""
        self._manifest(centre, number_words)
        return self.manifest_path()

    def manifest_report(self) -> dict:
        """The report B2C wrote with the manifest (per source: images, captions, skipped)."""
        self._manifest()
        return json.loads((self.run_dir / "manifest_report.json").read_text())

    # --- notebook 04: de-duplication -------------------------------------------------------

    def dedup_path(self) -> Path:
        """Where notebook 04's de-duplicated manifest is."""
        return self.run_dir / STAGES["dedup"].output

    def _dedup(self, max_distance: int | None = None, segments: int | None = None,
               workers: int | None = None, audit_distance: int | None = None) -> dict:
        from .dedup import dedup_manifest

        sources = self.sources()
        manifest = self._manifest()
        path = self.dedup_path()

        def build(p):
            dedup_manifest(self.manifest_path(), sources.evaluation_images(), self.run_dir,
                           max_distance=p["max_distance"], segments=p["segments"],
                           workers=workers, progress=self.progress,
                           splits=sources.evaluation_splits(),
                           audit_distance=p["audit_distance"])

        asked = {"max_distance": max_distance, "segments": segments,
                 "audit_distance": audit_distance}
        params = self._carried(path, asked, signature_defaults(dedup_manifest, list(asked)))
        return self._ensure(path, "dedup", params,
                            {"sources": sources.digest(), "manifest": manifest["content"]},
                            build, lambda: [path, self.run_dir / "dedup_report.json"],
                            needs=self._images_gone(path))

    def manifest_dedup(self, max_distance: int | None = None, segments: int | None = None,
                       workers: int | None = None, audit_distance: int | None = None) -> Path:
        """Notebook 04's ``manifest_dedup.tsv`` and ``dedup_report.json``: the manifest without
        near-duplicates and without copies of evaluation images (``max_distance``: the largest
        Hamming distance that counts as a copy; ``segments``: of the index;
        ``audit_distance``: the audit of flipped, rotated and cropped copies of evaluation
        images, ``dedup.AUDIT_DISTANCE`` unless given)."""
        self._dedup(max_distance, segments, workers, audit_distance)
        return self.dedup_path()

    def dedup_report(self) -> dict:
        """The report of the de-duplication (``dedup_report.json``)."""
        from .dedup import read_report

        self._dedup()
        return read_report(self.run_dir / "dedup_report.json")

    # --- notebook 05: decode-once shards ---------------------------------------------------

    def shards_index_path(self) -> Path:
        """Where the shards' index (``shards/shards.json``) of notebook 05 is."""
        return self.run_dir / STAGES["shards"].output

    def _shards(self, shorter_side: int | None = None, workers: int | None = None) -> dict:
        from .shards import ShardSpec, write_shards

        dedup = self._dedup()
        path = self.shards_index_path()
        defaults = {k: v for k, v in asdict(ShardSpec()).items() if k != "seed"}
        defaults["shorter_side"] = self.profile.train.shard_side
        params = self._carried(path, {"shorter_side": shorter_side}, defaults)

        def build(p):
            write_shards(self.dedup_path(), path.parent, ShardSpec(seed=self.seed, **p),
                         workers=workers, progress=self.progress,
                         content=self.verify == "content")

        # a build that stopped is resumed: write_shards keeps the shards it completed and
        # checked (their images unchanged, their bytes as recorded)
        return self._ensure(path, "shards", params, {"manifest_dedup": dedup["content"]},
                            build, lambda: files_under(path.parent))

    def shards(self, shorter_side: int | None = None, workers: int | None = None) -> Path:
        """Notebook 05's decode-once shards of the de-duplicated manifest (a folder of
        webdataset tars with ``sizes.json`` and ``shards.json``; see :mod:`rsclip_utils.shards`),
        each image's shorter side reduced to ``shorter_side`` (the profile's ``shard_side``)."""
        self._shards(shorter_side, workers)
        return self.shards_index_path().parent

    # --- notebooks 05 and 06: training -----------------------------------------------------

    def _train(self, output: Path, manifest: Path, inputs: dict, made_by: str, **asked) -> dict:
        """Train the profile's recipe on ``manifest`` into ``output.parent``, stamped with the
        fields that define a run (:data:`~rsclip_utils.recipe.RUN_FIELDS`, those resume checks)."""
        from .recipe import run_params
        from .training import train

        spec = self.profile.train
        config = spec.to_config(manifest, output.parent, seed=self.seed,
                                progress=self.progress, **asked)

        def build(p):
            if output.parent.is_dir():
                shutil.rmtree(output.parent)
            train(config)

        return self._ensure(output, "train", run_params(config), inputs, build,
                            lambda: files_under(output.parent), made_by,
                            precious=self.profile.name == "paper")

    def checkpoint_path(self, start: str = "continual", augment: bool = True) -> Path:
        """Where notebook 05's checkpoint of ``start`` ("continual" or "scratch") is (without
        augmentation: notebook 06's counting diagnosis, ``train_no_augment/``)."""
        if start not in ("continual", "scratch"):
            raise ValueError(f"start {start!r} is not 'continual' or 'scratch'")
        folder = "train" if start == "continual" else "train_scratch"
        return self.run_dir / (folder if augment else folder + "_no_augment") / "latest.pt"

    def checkpoint(self, start: str = "continual", steps: int | None = None,
                   augment: bool = True) -> Path:
        """Notebook 05's checkpoint (``train/latest.pt``, with ``train_log.csv``): the profile's
        recipe from its pretrained start ("continual": the base model, OpenAI's weights in the
        paper profile) or the same recipe from random init ("scratch", ``train_scratch/``, for
        ``scratch_steps``). ``steps``: 0 the profile's; None as the existing checkpoint was trained
        (else the profile's); a number shortens or lengthens the run. ``augment=False``: the
        same run without the paper's augmentation (notebook 06's counting diagnosis)."""
        path = self.checkpoint_path(start, augment)
        spec = self.profile.train
        default_steps = spec.steps if start == "continual" else (spec.scratch_steps
                                                                 or spec.steps)
        steps = default_steps if steps == 0 else self._carried(
            path, {"steps": steps}, {"steps": default_steps})["steps"]
        extra = {} if start == "continual" else {"pretrained": None}
        if not augment:
            extra["augment"] = False
        if steps < spec.warmup:  # a run shorter than the warm-up: a tenth of it
            extra["warmup"] = max(1, steps // 10)
        if spec.data == "shards":
            data, inputs = self.shards(), {"shards": self._shards()["content"]}
        else:
            data, inputs = self.dedup_path(), {"manifest_dedup": self._dedup()["content"]}
        made_by = (f"notebook 05, {start} pretraining" if augment else
                   "notebook 06, the counting diagnosis (no augmentation)")
        self._train(path, data, inputs, made_by, steps=steps, **extra)
        return path

    def ablation_subset(self, kinds: list[str]) -> tuple[Path, dict]:
        """The rows of the de-duplicated manifest whose source is of ``kinds`` (RET, DET, SEG),
        as a stamped manifest under ``ablation/subsets/``; returns its path and stamp."""
        from .manifest import read_manifest, select_rows, write_manifest_rows

        sources = self.sources()
        dedup = self._dedup()
        subset = self.run_dir / "ablation" / "subsets" / ("_".join(kinds) + ".tsv")
        used = sorted(s for k in kinds for s in sources.kinds()[k])

        def build(p):
            rows = select_rows(read_manifest(self.dedup_path()), sources=p["sources"])
            write_manifest_rows(subset, rows)

        stamp = self._ensure(subset, "subset", {"kinds": list(kinds), "sources": used},
                             {"manifest_dedup": dedup["content"]}, build, lambda: [subset],
                             needs=self._images_gone(subset))
        return subset, stamp

    def ablation_run(self, row, seed: int, steps: list[int]) -> dict[int, Path]:
        """One run of notebook 06's budget study (:mod:`rsclip_utils.budget`): ``row`` (an
        ``AblationRow``) trained with the profile's recipe from its start for the largest of
        ``steps``, with ``seed``, the weights kept after each of ``steps``. The control row
        (``row.matched``) takes ``batch_size`` RET pairs a step, as the RET-only row does, and
        as many pairs of its other kinds on top. Subsets and run are stamped; returns
        ``{steps: snapshot path}``."""
        spec = self.profile.train
        extra: dict = {}
        if row.matched:
            data, stamp = self.ablation_subset(["RET"])
            added, added_stamp = self.ablation_subset([k for k in row.kinds if k != "RET"])
            inputs = {"manifest": stamp["content"], "added": added_stamp["content"]}
            extra = {"added_manifest": str(added), "added_batch_size": spec.batch_size}
        else:
            data, stamp = self.ablation_subset(list(row.kinds))
            inputs = {"manifest": stamp["content"]}
        last = max(steps)
        out = self.run_dir / "ablation" / row.folder / f"seed{seed}" / "latest.pt"
        run = Run(self.run_dir, self.profile, seed, self.data_root, progress=False)
        # the warm-up no longer than the smallest budget: every kept model past the peak rate
        run._train(out, data, inputs, "notebook 06, the data ablation", steps=last,
                   warmup=min(spec.warmup, min(steps)), snapshots=tuple(sorted(steps)),
                   checkpoint_every=last, **extra)
        return {s: out.parent / f"snapshot-{s:06d}.pt" for s in sorted(steps)}

    def ablation_runs(self, jobs: list, steps: list[int], processes: int | None = None,
                      threads: int | None = None,
                      on_done: Callable[[object, int], None] | None = None) -> dict:
        """Every ``(row, seed)`` of ``jobs`` as :meth:`ablation_run` makes it, several at once
        on a CPU: ``processes`` worker processes (default: two where there are at least two cores
        and no GPU; one, in this process, on a GPU), each with ``threads`` threads (default: an
        equal share of the cores), the longest runs first. On two cores two one-thread runs
        make more steps per second than one two-thread run (1.3x to 1.45x in runs on an AMD EPYC,
        ``benchmarks/RESULTS.md``). Runs whose stamp matches are reused. Returns
        ``{(row.label, seed): {steps: snapshot}}``; ``on_done(row, seed)`` is called as each
        finishes, and what each run printed is printed here."""
        import os
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from multiprocessing import get_context

        import torch

        cores = os.cpu_count() or 1
        if processes is None:
            processes = 2 if cores >= 2 and not torch.cuda.is_available() else 1
        if processes == 1:
            out = {}
            for row, seed in jobs:
                out[(row.label, seed)] = self.ablation_run(row, seed, steps)
                if on_done:
                    on_done(row, seed)
            return out
        for row, _ in jobs:  # the subsets first, here: the workers only read them
            self.ablation_subset(list(row.kinds))
            if row.matched:
                self.ablation_subset(["RET"])
                self.ablation_subset([k for k in row.kinds if k != "RET"])
        order = sorted(jobs, key=lambda job: -(2 if job[0].matched else 1))
        out = {}
        threads = threads or max(1, cores // processes)
        with ProcessPoolExecutor(processes, mp_context=get_context("spawn"),
                                 initializer=_threads, initargs=(threads,)) as pool:
            futures = {pool.submit(_ablation_job, self.run_dir, self.profile, self.seed,
                                   self.data_root, row, seed, steps): (row, seed)
                       for row, seed in order}
            for future in as_completed(futures):
                row, seed = futures[future]
                kept, printed = future.result()
                if printed:
                    print(printed, end="")
                out[(row.label, seed)] = kept
                if on_done:
                    on_done(row, seed)
        return out

    # --- notebook 06: metrics --------------------------------------------------------------

    def write_metrics(self, path: str | Path, summary: dict, params: dict,
                      models: dict[str, Path]) -> Path:
        """Write notebook 06's ``metrics.json`` with a stamp naming the checkpoints it scored
        (their content) and the evaluation's parameters."""
        path = Path(path)
        inputs = {"sources": self.sources().digest()}
        for name, ckpt in models.items():
            stamp = read_stamp(ckpt)
            inputs[name] = stamp["content"] if stamp else str(ckpt)
        write_json(path, summary)
        write_stamp(path, seal(make_stamp("evaluation", params, inputs, **self.context()),
                               [path], path.parent))
        return path


def _threads(n: int) -> None:
    """A worker process's share of the cores (ablation_runs); open_clip's per-model notice of
    a random init (the start's weights are loaded right after) silenced as in the notebooks."""
    import logging

    import torch

    logging.getLogger().setLevel(logging.ERROR)
    torch.set_num_threads(n)


def _ablation_job(run_dir, profile, run_seed, data_root, row, seed, steps):
    """One ablation run in a worker process, from the run folder's stages as the run (its own
    seed, ``run_seed``) made them: its snapshots and what it printed."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        run = Run(run_dir, profile, run_seed, data_root, progress=False)
        kept = run.ablation_run(row, seed, steps)
    return kept, printed.getvalue()


__all__ = ["Run", "StaleOutputError"]
