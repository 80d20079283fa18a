"""The budget study's arithmetic (rsclip_utils.budget): budgets from passes, the saturation
rule on hand-made curves, spreads with ddof=1, and the summary's passes against hand counts."""

import numpy as np
import pytest
from helpers.ablation import rows_info
from hypothesis import given
from hypothesis import strategies as st

from rsclip_utils.budget import (
    ROWS,
    SATURATION_GAIN,
    at,
    budget_steps,
    passes,
    saturation,
    spread,
    summarise,
)
from rsclip_utils.paper import paper_passes


def test_budget_steps_are_passes_over_ret_at_the_batch():
    assert budget_steps([1, 2, 4], ret_pairs=600, batch_size=32) == [19, 38, 75]
    assert budget_steps([0.01, 10], ret_pairs=10, batch_size=32) == [1, 3]  # at least one step
    with pytest.raises(ValueError, match="not increasing"):
        budget_steps([1, 1.01], ret_pairs=10, batch_size=32)
    with pytest.raises(ValueError, match="at least 1"):
        budget_steps([1], ret_pairs=0, batch_size=32)


def test_saturation_rule_on_hand_made_curves():
    # gains 10, 5, 0.5: the third doubling adds less than a point -> saturated at index 3
    assert saturation([20, 30, 35, 35.5, 36]) == {"index": 3, "reached": True}
    # a fall counts as no gain: index 2
    assert saturation([20, 30, 28, 40]) == {"index": 2, "reached": True}
    # a later budget must beat the best so far, not only its neighbour
    assert saturation([20, 30, 25, 30.5]) == {"index": 2, "reached": True}
    assert saturation([10, 12, 14]) == {"index": 2, "reached": False}
    assert saturation([10]) == {"index": 0, "reached": False}
    assert SATURATION_GAIN == 1.0


def test_the_gain_is_read_when_the_rule_runs(monkeypatch):
    """Exercise 5 of notebook 06 sets budget.SATURATION_GAIN; the rule and the summary read it
    at call time, not at import."""
    from helpers.ablation import rows_info

    from rsclip_utils import budget

    monkeypatch.setattr(budget, "SATURATION_GAIN", 0.4)
    assert budget.saturation([20, 30, 35, 35.5, 36]) == {"index": 4, "reached": False}
    assert budget.saturation([20, 30, 35, 35.5, 36], gain=1.0)["index"] == 3
    scores = {(row, 0, s): {"val_mR": v if row == "RET" else 0.0, "retrieval_mR": 1.0,
                            "zero_shot_top1": 1.0, "counting_top1": None}
              for row in rows_info() for s, v in ((10, 20.0), (20, 30.0), (40, 30.5))}
    ab = budget.summarise(scores, rows_info(), [10, 20, 40], [1, 2, 4], [0], batch_size=32)
    assert ab["saturation"]["gain"] == 0.4 and ab["verdict_steps"] == 40
    assert budget.summarise(scores, rows_info(), [10, 20, 40], [1, 2, 4], [0], batch_size=32,
                            gain=1.0)["verdict_steps"] == 40  # 0.5 < 1: saturated at 40 too


@given(st.lists(st.floats(0, 100), min_size=2, max_size=8))
def test_saturation_matches_its_definition(curve):
    rule = saturation(curve)
    k = rule["index"]
    gains = [curve[j] - max(curve[:j]) for j in range(1, len(curve))]
    if rule["reached"]:
        assert gains[k - 1] < SATURATION_GAIN and all(g >= SATURATION_GAIN for g in gains[:k - 1])
    else:
        assert k == len(curve) - 1 and all(g >= SATURATION_GAIN for g in gains)


def test_spread_is_the_sample_standard_deviation():
    s = spread([1.0, 2.0, 4.0])
    assert s["mean"] == pytest.approx(7 / 3)
    assert s["std"] == pytest.approx(np.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2
                                              + (4 - 7 / 3) ** 2) / 2))
    assert spread([3.0]) == {"mean": 3.0, "std": None, "values": [3.0]}


def fake_scores(steps, seeds, val, test=None):
    """Every row's numbers at every budget: RET-only's validation curve from ``val`` (one value
    per budget, the same for each seed plus the seed), the others flat."""
    out = {}
    for row in rows_info():
        for seed in seeds:
            for k, s in enumerate(steps):
                v = val[k] + seed if row == "RET" else 10.0 + seed
                out[(row, seed, s)] = {"val_mR": v, "retrieval_mR": (test or val)[k] + seed,
                                       "zero_shot_top1": 30.0 + seed, "counting_top1": 10.0}
    return out


def test_summary_counts_passes_and_applies_the_rule():
    steps, seeds = [19, 38, 75, 150], [0, 1, 2]
    summary = summarise(fake_scores(steps, seeds, [20, 30, 30.5, 29]), rows_info(), steps,
                        [1, 2, 4, 8], seeds, batch_size=32)
    assert summary["saturation"] == {"gain": 1.0, "reached": True, "steps": 75,
                                     "passes_over_ret": 4, "val_mR": [21, 31, 31.5, 30]}
    assert summary["verdict_steps"] == 75 and summary["small_steps"] == 19
    ret, full = at(summary, "RET", 150), at(summary, "RET + DET + SEG", 150)
    assert ret["passes_over_ret"] == pytest.approx(150 * 32 / 600)  # 8 passes
    assert full["passes_over_data"] == pytest.approx(150 * 32 / 8000)  # 0.6
    assert full["passes_over_ret"] == pytest.approx(150 * 32 * (600 / 8000) / 600)
    control = at(summary, "RET + DET + SEG, RET matched", 150)
    assert control["passes_over_ret"] == pytest.approx(8.0)  # RET-only's, held equal
    assert control["passes_over_data"] == pytest.approx(150 * 64 / 8000)  # 1.2
    assert ret["val_mR"]["values"] == [29, 30, 31] and ret["val_mR"]["std"] == pytest.approx(1.0)
    assert summary["paper_passes"] == paper_passes()
    assert [r.label for r in ROWS] == list(rows_info())


def test_paper_passes_from_its_numbers():
    p = paper_passes()
    assert p["RET"] == pytest.approx(108_215 * 256 / (5 * (8_483 + 3_603 + 1_676)))
    assert 400 < p["RET"] < 405 and 33 < p["all"] < 34
    assert passes(10, 32, 640) == 0.5


def test_a_study_needs_two_budgets_to_compare():
    from rsclip_utils.config import TrainSpec

    with pytest.raises(ValueError, match="at least two increasing"):
        TrainSpec(ablation_passes=(4,))
    with pytest.raises(ValueError, match="at least two increasing"):
        TrainSpec(ablation_passes=(4, 2))


def test_the_tables_rows_come_from_the_summary_and_the_paper():
    from helpers.ablation import rows_info

    from rsclip_utils import budget

    scores = {(row, seed, s): {"val_mR": 10.0 * k, "retrieval_mR": 20.0 + seed,
                               "zero_shot_top1": 30.0, "counting_top1": None}
              for row in rows_info() for seed in (0, 1) for k, s in enumerate((19, 38))}
    ab = budget.summarise(scores, rows_info(), [19, 38], [1, 2], [0, 1], batch_size=32)
    assert budget.budget_heads(ab) == ["1 (19)", "2 (38)"]
    rows = budget.metric_rows(ab, "retrieval_mR")
    assert [r[0] for r in rows] == list(rows_info()) and rows[0][1:] == ("20.5 ± 0.7",) * 2
    passes = budget.passes_rows(ab)
    assert [r[0] for r in passes[:-2]] == list(rows_info())
    assert passes[-2][2:] == ("33", "33") and passes[-1][2:] == ("403", "403")  # the paper's
