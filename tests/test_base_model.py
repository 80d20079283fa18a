"""The shipped base model (OpenAI CLIP's stand-in) and the web-like corpus it was trained on:
the file loads with every key, stays small, and a short run of its recipe reproduces its first
training steps."""

import numpy as np
import pytest
import torch

from rsclip_utils.base_model import FIRST_STEPS, WEIGHTS, BaseRecipe, build, read_base
from rsclip_utils.manifest import COLUMNS, read_manifest
from rsclip_utils.models import create_model
from rsclip_utils.synth.web import SHARES, web_sample, write_web_corpus


def test_the_shipped_file_is_small_and_loads_with_every_key():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 20 * 2**20
    base = read_base()
    assert all(v.dtype == torch.float16 for v in base["model"].values() if v.is_floating_point())
    assert base["steps_done"] == base["recipe"]["steps"]
    model = create_model("rsclip-tiny", "base").model  # load_weights checks names and shapes
    state = model.state_dict()
    for k, v in base["model"].items():
        mine = state[k].half() if v.is_floating_point() else state[k]
        assert torch.equal(mine, v), k
    with pytest.raises(ValueError, match="rsclip-tiny only"):
        create_model("ViT-B-32", "base")


def test_base_training_learned_something():
    base = read_base()
    assert np.mean(base["last_losses"]) < np.mean(base["first_losses"]) - 1


def test_a_short_run_of_the_recipe_reproduces_the_first_steps(tmp_path):
    base = read_base()
    again = build(tmp_path / "base.pt", BaseRecipe(**base["recipe"]), work=tmp_path,
                  stop_after=FIRST_STEPS, progress=False)
    assert again["steps_done"] == FIRST_STEPS
    # same corpus, same initialisation, same batches: the same losses up to the float rounding
    # of another CPU's kernels
    np.testing.assert_allclose(again["first_losses"], base["first_losses"], atol=1e-4)


def test_web_corpus_is_deterministic_and_web_like(tmp_path):
    a = [web_sample(i, seed=0) for i in range(400)]
    b = [web_sample(i, seed=0) for i in range(3)]
    assert all(np.array_equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b))
    kinds = [t["kind"] for _, _, t in a]
    for kind, share in SHARES:
        assert abs(kinds.count(kind) / len(a) - share) < 0.08, kind
    wrong = np.mean([t["wrong"] for _, _, t in a if t["kind"] != "graphic"])
    assert 0.05 < wrong < 0.25  # alt-text that names something else
    words = [len(c.split()) for _, c, _ in a]
    assert np.mean(words) < 5  # short, unlike the five-sentence RS captions
    manifest = write_web_corpus(tmp_path / "web", 20, progress=False)
    rows = manifest.read_text().splitlines()
    assert rows[0] == "\t".join(COLUMNS) and len(rows) == 21
    assert [r.title for r in read_manifest(manifest)] == [web_sample(i, 0)[1] for i in range(20)]
