"""The data ablation of Table V as a budget study: each row's retrieval and zero-shot against the
training budget, read where the RET-only row has saturated. Introduced in notebook 06.

The paper's recipe is 108,215 steps of 256 (section IV-A; Table V does not give its rows'
budget): at that recipe RET-3 alone passes over its pairs about 400 times, all the data about 33
(:func:`rsclip_utils.paper.paper_passes`). At the same number of steps a row with more data sees
its human captions fewer times, so a comparison at a small budget asks "which data does a few
passes best", not the paper's question. Here:

- **budgets** are passes over RET's training pairs, doubling (the profile's
  ``TrainSpec.ablation_passes``); every row takes the same steps of the same batch at each;
- each row and seed trains **one run** as long as the largest budget, the weights kept at every
  budget on the way (``TrainConfig.snapshots``): a point before the last is the run so far (its
  learning rate not yet decayed), the last one a complete schedule;
- every kept model is scored on RET's **validation** split (the rule's input), RET's test split,
  the scene sets' zero-shot top-1 and counting (:func:`score`);
- **the rule**, fixed before any result is read (:func:`saturation`): RET-only has saturated at
  the first budget whose validation mR, averaged over seeds, is less than ``SATURATION_GAIN``
  points above the best of the smaller budgets; the claims are judged there. If no budget
  qualifies, the largest is used and the run says that RET-only had not saturated;
- **a control** (:data:`ROWS`' last row) separates "adding data" from "seeing fewer human
  captions": every step takes the RET-only row's batch of RET pairs and adds as many DET and SEG
  pairs on top, so its RET pairs per step and passes equal the RET-only row's. Its batch is
  twice as large: each RET pair meets twice the negatives and carries half the loss's weight,
  a difference the control does not remove.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .paper import (
    PAPER_BATCH,
    PAPER_IMAGES,
    PAPER_PAIRS,
    PAPER_RET_IMAGES,
    PAPER_RET_PAIRS,
    PAPER_STEPS,
    paper_passes,
)

SATURATION_GAIN = 1.0  # points of validation mR a doubling of the budget must add (claims' margin)
METRICS = ("val_mR", "retrieval_mR", "zero_shot_top1", "counting_top1")


@dataclass(frozen=True)
class AblationRow:
    """One row of the study: the training sources by kind (Table V's groups), and whether it is
    the control whose batches are RET-only's batches with the other kinds added on top."""

    label: str
    kinds: tuple[str, ...]
    matched: bool = False

    @property
    def folder(self) -> str:
        """The row's folder name under ``RUN_DIR/ablation``."""
        return self.label.replace(" + ", "_").replace(", ", "_").replace(" ", "_")


ROWS = (
    AblationRow("RET", ("RET",)),
    AblationRow("RET + DET", ("RET", "DET")),
    AblationRow("RET + DET + SEG", ("RET", "DET", "SEG")),
    AblationRow("RET + DET + SEG, RET matched", ("RET", "DET", "SEG"), matched=True),
)


def budget_steps(passes: Sequence[float], ret_pairs: int, batch_size: int) -> list[int]:
    """The steps that give ``passes`` passes over ``ret_pairs`` RET pairs at ``batch_size`` RET
    pairs a step (at least one step each, distinct and increasing)."""
    if ret_pairs < 1 or batch_size < 1:
        raise ValueError(f"ret_pairs and batch_size must be at least 1, got {ret_pairs} and "
                         f"{batch_size}")
    steps = [max(1, round(p * ret_pairs / batch_size)) for p in passes]
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"budgets {list(passes)} passes over {ret_pairs} pairs at batch "
                         f"{batch_size} give steps {steps}, which are not increasing")
    return steps


def pairs_per_step(batch_size: int, added: int = 0) -> str:
    """A row's pairs per step as the tables print it: the study's batch, and for the control the
    DET and SEG pairs it adds beside RET's batch."""
    return f"{batch_size} RET + {added} DET or SEG" if added else str(batch_size)


def passes(steps: int, pairs_per_step: int, pairs: int) -> float:
    """Passes over ``pairs`` pairs after ``steps`` steps of ``pairs_per_step`` of them."""
    return steps * pairs_per_step / pairs


def saturation(val_mR: Sequence[float], gain: float | None = None) -> dict:
    """The rule: the index of the first budget (after the first) whose validation mR is less than
    ``gain`` points (default: :data:`SATURATION_GAIN` when called) above the best of the budgets
    before it; ``reached`` False, and the last index, when every doubling added at least
    ``gain``."""
    gain = SATURATION_GAIN if gain is None else gain
    for k in range(1, len(val_mR)):
        if val_mR[k] - max(val_mR[:k]) < gain:
            return {"index": k, "reached": True}
    return {"index": len(val_mR) - 1, "reached": False}


def spread(values: Sequence[float]) -> dict:
    """Mean, sample standard deviation (ddof=1; None for one value) and the values."""
    values = [float(v) for v in values]
    return {"mean": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
            "values": values}


def paper_rows() -> list[dict]:
    """The paper's passes beside a run's rows, for the tables of notebook 06, the report and the
    README: its run on all the data, and RET-3 alone at the same recipe (not a row the paper
    trained; Table V does not give its rows' budget)."""
    paper = paper_passes()
    recipe = f"{PAPER_STEPS:,} steps of {PAPER_BATCH}"
    return [{"label": f"the paper: all data, {recipe}", "images": PAPER_IMAGES,
             "pairs": PAPER_PAIRS, "batch": PAPER_BATCH, "passes_over_data": paper["all"],
             "passes_over_ret": paper["all"]},
            {"label": f"the paper's recipe on RET-3 alone ({recipe}; not in Table V)",
             "images": sum(PAPER_RET_IMAGES.values()), "pairs": PAPER_RET_PAIRS,
             "batch": PAPER_BATCH, "passes_over_data": paper["RET"],
             "passes_over_ret": paper["RET"]}]


def format_spread(entry: dict | None) -> str:
    """A :func:`spread` as the tables print it: "mean ± std" to one decimal, the mean alone for
    one seed, "-" for none."""
    if not entry:
        return "-"
    return f"{entry['mean']:.1f}" + (f" ± {entry['std']:.1f}" if entry["std"] is not None
                                     else "")


def score(bundle, val_sets: dict, test_sets: dict, scene_sets: dict, count_records,
          device: str = "cpu", cache_dir=None, model_key: str = "") -> dict:
    """The study's four numbers for one kept model, in percent: retrieval mR on the RET
    validation and test splits (means over the sets), zero-shot top-1 averaged over the scene
    sets, counting top-1 (None without a counting set)."""
    from . import evaluation as ev

    kw = dict(device=device, cache_dir=cache_dir, model_key=model_key, shots=(),
              progress=False, probes=False)
    val = ev.evaluate_sets(bundle, val_sets, {}, [], **kw)
    test = ev.evaluate_sets(bundle, test_sets, scene_sets, count_records, **kw)
    return {"val_mR": val["retrieval_average_mR"],
            "retrieval_mR": test["retrieval_average_mR"],
            "zero_shot_top1": (100 * test["scene_average"]["zero_shot_top1"]
                               if "scene_average" in test else None),
            "counting_top1": 100 * test["counting"]["top1"] if "counting" in test else None}


def summarise(scores: dict, rows: dict, steps: Sequence[int], passes_over_ret: Sequence[float],
              seeds: Sequence[int], batch_size: int, gain: float | None = None) -> dict:
    """The study as ``metrics.json`` keeps it. ``scores``: (row label, seed, steps) -> the dict
    of :func:`score`; ``rows``: label -> {"kinds", "matched", "pairs", "images", "ret_pairs",
    "added_batch_size"}. Adds, per row and budget, the passes over the row's data and over RET
    and each metric's spread over seeds; the saturation of the RET-only row by the rule (at
    ``gain``, default :data:`SATURATION_GAIN` when called); and the paper's passes."""
    gain = SATURATION_GAIN if gain is None else gain
    out_rows = {}
    for label, info in rows.items():
        per_step = batch_size + info.get("added_batch_size", 0)
        ret_per_step = batch_size if info["matched"] else batch_size * info["ret_pairs"] / \
            info["pairs"]
        budgets = {}
        for s in steps:
            entry = {"passes_over_data": passes(s, per_step, info["pairs"]),
                     "passes_over_ret": passes(s, ret_per_step, info["ret_pairs"])}
            for metric in METRICS:
                values = [scores[(label, seed, s)][metric] for seed in seeds]
                if all(v is not None for v in values):
                    entry[metric] = spread(values)
            budgets[str(s)] = entry
        out_rows[label] = {**info, "budgets": budgets}
    ret = out_rows[ROWS[0].label]["budgets"]
    val_curve = [ret[str(s)]["val_mR"]["mean"] for s in steps]
    rule = saturation(val_curve, gain)
    verdict = steps[rule["index"]]
    return {
        "study": "budget", "batch_size": batch_size, "seeds": list(seeds),
        "steps": list(steps), "passes_over_ret": list(passes_over_ret),
        "rows": out_rows,
        "saturation": {"gain": gain, "reached": rule["reached"], "steps": verdict,
                       "passes_over_ret": passes_over_ret[rule["index"]],
                       "val_mR": val_curve},
        "verdict_steps": verdict, "small_steps": steps[0],
        "paper_passes": paper_passes(),
    }


def budget_heads(ablation: dict) -> list[str]:
    """Column heads of the per-budget tables: RET-only's passes over RET, then the steps."""
    return [f"{p:g} ({s})" for p, s in zip(ablation["passes_over_ret"], ablation["steps"])]


def metric_rows(ablation: dict, key: str) -> list[tuple]:
    """Each row's ``key`` at every budget as :func:`format_spread` prints it (the per-metric
    tables of notebook 06 and the README; heads: :func:`budget_heads`)."""
    return [(label, *(format_spread(r["budgets"][str(s)].get(key)) for s in ablation["steps"]))
            for label, r in ablation["rows"].items()]


def passes_rows(ablation: dict) -> list[tuple]:
    """(row, pairs, passes over RET, passes over its data) at the verdict budget, then the
    paper's rows (:func:`paper_rows`), for notebook 06 and the README."""
    verdict = str(ablation["verdict_steps"])
    return ([(label, f"{r['pairs']:,}", f"{r['budgets'][verdict]['passes_over_ret']:.1f}",
              f"{r['budgets'][verdict]['passes_over_data']:.1f}")
             for label, r in ablation["rows"].items()]
            + [(p["label"], f"{p['pairs']:,}", f"{p['passes_over_ret']:.0f}",
                f"{p['passes_over_data']:.0f}") for p in paper_rows()])


def at(ablation: dict, label: str, steps: int) -> dict:
    """One row's entry at one budget of a :func:`summarise` result."""
    return ablation["rows"][label]["budgets"][str(steps)]


__all__ = ["ROWS", "SATURATION_GAIN", "AblationRow", "at", "budget_heads", "budget_steps",
           "format_spread", "metric_rows", "pairs_per_step", "paper_rows", "passes", "passes_rows",
           "saturation",
           "score", "spread", "summarise"]
