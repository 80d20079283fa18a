"""The training loop (rsclip_utils.training): InfoNCE against open_clip's ClipLoss, schedule,
augmentation, resume, non-finite losses, torchrun, the command line from the profile, and mixed
precision on the CPU (bfloat16 autocast; float16 with a GradScaler whose forced overflow is
skipped without touching the weights, the scale falling, then growing again)."""

import random
import socket
import subprocess
import sys

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from rsclip_utils.models import create_model
from rsclip_utils.shards import ShardSpec, read_index, write_shards
from rsclip_utils.train_data import epoch_batches, paper_augment
from rsclip_utils.training import (
    TrainConfig,
    infonce_loss,
    lr_at,
    read_log,
    train,
    train_step,
)


def cfg(manifest, out, **kw):
    base = dict(
        manifest=str(manifest),
        out=str(out),
        pretrained=None,
        steps=12,
        batch_size=8,
        lr=5e-4,
        warmup=3,
        checkpoint_every=4,
        progress=False,
    )
    base.update(kw)
    return TrainConfig(**base)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("n, scale", [(8, 14.3), (32, 100.0), (3, 1.0), (128, 50.0), (64, 100.0)])
def test_infonce_equals_open_clip_cliploss(n, scale):
    g = torch.Generator().manual_seed(n)
    img = torch.nn.functional.normalize(torch.randn(n, 16, generator=g), dim=1).requires_grad_()
    txt = torch.nn.functional.normalize(torch.randn(n, 16, generator=g), dim=1).requires_grad_()
    s1 = torch.tensor(scale, requires_grad=True)
    ours = infonce_loss(img, txt, s1)
    ours.backward()
    grads = img.grad.clone(), txt.grad.clone(), s1.grad.clone()
    img.grad = txt.grad = None
    s2 = torch.tensor(scale, requires_grad=True)
    theirs = open_clip.ClipLoss()(img, txt, s2)
    theirs.backward()
    # within 1e-6, relative to the loss where it exceeds 1 (float32 resolves ~7 digits)
    assert abs(ours.item() - theirs.item()) <= 1e-6 * max(1.0, abs(theirs.item()))
    for a, b in zip(grads, (img.grad, txt.grad, s2.grad)):
        assert torch.allclose(a, b, atol=1e-6, rtol=0)


def test_lr_schedule_warms_up_then_decays_to_zero():
    lrs = [lr_at(s, 100, 10, 1.0) for s in range(100)]
    assert lrs[:10] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert lrs[10] == pytest.approx(1.0) and lrs[-1] < 1e-3
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))


def test_augmentation_is_deterministic_and_square():
    im = Image.fromarray(np.random.default_rng(0).integers(0, 255, (90, 120, 3), dtype=np.uint8))
    a = paper_augment(im, 64, random.Random("s/0/5"))
    b = paper_augment(im, 64, random.Random("s/0/5"))
    assert a.size == (64, 64) and np.array_equal(np.asarray(a), np.asarray(b))


def test_epoch_batches_cover_each_row_once():
    batches = epoch_batches(103, 10, seed=1, epoch=2)
    flat = [i for b in batches for i in b]
    assert len(batches) == 10 and len(set(flat)) == 100 and max(flat) < 103
    assert batches != epoch_batches(103, 10, seed=1, epoch=3)


def test_smoke_training_lowers_the_loss(manifest, tmp_path):
    result = train(cfg(manifest, tmp_path, steps=40, batch_size=16, warmup=5))
    loss = read_log(result.log)["loss"]
    assert result.steps == 40 and result.skipped_steps == 0
    assert np.mean(loss[-8:]) < np.mean(loss[:8]) - 0.2


def test_resume_reproduces_the_uninterrupted_losses(manifest, tmp_path):
    whole = train(cfg(manifest, tmp_path / "whole"))
    train(cfg(manifest, tmp_path / "cut", stop_after=6))
    resumed = train(cfg(manifest, tmp_path / "cut", resume=True))
    a, b = read_log(whole.log), read_log(resumed.log)
    assert a["step"] == b["step"] == list(range(1, 13))
    assert a["loss"] == b["loss"] and a["lr"] == b["lr"]


def test_non_finite_losses_are_skipped_and_counted(manifest, tmp_path):
    model = create_model("rsclip-tiny").model
    state = model.state_dict()
    state["logit_scale"] = torch.tensor(float("nan"))
    torch.save(state, tmp_path / "nan.pt")
    result = train(cfg(manifest, tmp_path / "run", steps=3, pretrained=str(tmp_path / "nan.pt")))
    assert result.skipped_steps == 3
    after = torch.load(result.checkpoint, weights_only=True)["model"]
    assert torch.equal(after["visual.conv1.weight"], state["visual.conv1.weight"])  # no update


def test_two_processes_under_torchrun_equal_one_process_on_the_full_batch(manifest, tmp_path):
    def run_one_step(launcher: list[str], name: str, batch_size: int) -> None:
        proc = subprocess.run(
            [sys.executable, *launcher, "-m", "rsclip_utils.training",
             "--manifest", str(manifest), "--steps", "1", "--warmup", "1", "--quiet",
             "--pretrained", "none",
             "--out", str(tmp_path / name), "--batch-size", str(batch_size),
             "--grads-out", str(tmp_path / f"{name}.pt")],
            capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]

    run_one_step([], "one", 16)
    run_one_step(["-m", "torch.distributed.run", "--nproc_per_node=2",
                  f"--master_port={free_port()}"], "two", 8)
    a, b = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert abs(a["loss"].item() - b["loss"].item()) < 1e-6
    assert a["grads"].keys() == b["grads"].keys()
    for k in a["grads"]:
        assert torch.allclose(a["grads"][k], b["grads"][k], rtol=1e-4, atol=1e-7), k


@pytest.mark.parametrize("name", ["smoke", "default", "paper"])
def test_the_command_lines_defaults_are_the_profiles_recipe(name, capsys):
    from rsclip_utils.config import get_profile
    from rsclip_utils.training import build_parser, main

    recipe = get_profile(name).train.recipe()
    assert set(recipe) == {"model", "pretrained", "steps", "batch_size", "lr", "warmup",
                           "precision", "workers"}
    parsed = vars(build_parser(name).parse_args(["--manifest", "m.tsv", "--out", "o"]))
    assert {k: parsed[k] for k in recipe} == recipe
    with pytest.raises(SystemExit):
        main(["--profile", name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for key in ("steps", "lr", "warmup"):
        described = text.split(f"--{key} {key.upper()} ")[-1][:120]  # its line in options
        assert f"(default: {recipe[key]})" in described


def test_the_loops_defaults_are_the_default_profiles_recipe():
    from rsclip_utils.config import TrainSpec, get_profile

    config = TrainConfig(manifest="m.tsv", out="o")
    assert get_profile("default").train == TrainSpec()
    assert {k: getattr(config, k) for k in TrainSpec().recipe()} == TrainSpec().recipe()
    spec = get_profile("smoke").train
    assert spec.to_config("m.tsv", "o", seed=3).steps == spec.steps
    assert spec.to_config("m.tsv", "o", steps=7).steps == 7

def _batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    bundle = create_model("rsclip-tiny", None)
    size = bundle.model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    images = torch.randn(n, 3, size, size, generator=g)
    texts = bundle.tokenizer([f"a picture with {k} ships" for k in range(n)])
    return bundle.model, images, texts


def _optimizer(model):
    return torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)


@pytest.mark.parametrize("precision", ["amp_bf16", "amp"])
def test_the_loop_trains_with_amp_on_the_cpu(manifest, tmp_path, precision):
    result = train(cfg(manifest, tmp_path, steps=4, batch_size=8, warmup=1,
                       precision=precision, device="cpu"))
    log = read_log(result.log)
    assert result.steps == 4 and all(np.isfinite(log["loss"]))
    ckpt = torch.load(result.checkpoint, weights_only=True)
    if precision == "amp_bf16":  # bfloat16 has float32's range: no scaler, no skipped step
        assert ckpt["scaler"] is None and result.skipped_steps == 0
    else:  # float16 at 2^16: a skipped step (overflow) halves the scale, none grows it here
        assert result.skipped_steps < 4
        assert ckpt["scaler"]["scale"] == 2.0**16 * 0.5**result.skipped_steps
    # the weights stay float32 (autocast casts per operation, the master copy is never halved)
    assert all(v.dtype == torch.float32 for k, v in ckpt["model"].items() if v.is_floating_point())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_runs_the_matmul_low_and_the_loss_in_float32(dtype):
    model, images, texts = _batch()
    optimizer = _optimizer(model)
    with torch.autocast("cpu", dtype=dtype):
        image_features = model.encode_image(images, normalize=True)
    assert image_features.dtype == dtype
    loss, *_, stepped = train_step(model, optimizer, None, images, texts, dtype)
    assert loss.dtype == torch.float32 and stepped and torch.isfinite(loss)


def test_an_overflow_is_skipped_without_touching_the_weights_and_the_scale_recovers():
    model, images, texts = _batch()
    optimizer = _optimizer(model)
    # a scale so large that the scaled gradients overflow float16: inf, found by the scaler
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**100, growth_interval=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss, *_, stepped = train_step(model, optimizer, scaler, images, texts, torch.float16)
    assert torch.isfinite(loss) and not stepped
    assert scaler.get_scale() == 2.0**99  # backoff factor 0.5
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # Adam's moments were never touched either (the fused step sees found_inf and returns)
    assert all(not s["exp_avg"].any() and not s["exp_avg_sq"].any()
               for s in optimizer.state.values())
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)
    scales = []
    for _ in range(4):
        *_, stepped = train_step(model, optimizer, scaler, images, texts, torch.float16)
        assert stepped
        scales.append(scaler.get_scale())
    assert scales == [2.0**10, 2.0**11, 2.0**11, 2.0**12]  # doubled after every 2 good steps
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("change, named", [
    ({"batch_size": 4}, "batch_size: 8 -> 4"),
    ({"steps": 20}, "steps: 12 -> 20"),
    ({"model": "RN50"}, "model: 'rsclip-tiny' -> 'RN50'"),
    ({"lr": 1e-3}, "lr: 0.0005 -> 0.001"),
    ({"pretrained": "base"}, "pretrained: None -> 'base'"),
    ({"growth_interval": 10}, "growth_interval: 2000 -> 10"),
])
def test_resume_refuses_a_run_made_differently(manifest, tmp_path, change, named):
    train(cfg(manifest, tmp_path, stop_after=2))
    with pytest.raises(ValueError, match="cannot resume a run made differently") as e:
        train(cfg(manifest, tmp_path, resume=True, **change))
    assert named in str(e.value) and str(tmp_path / "latest.pt") in str(e.value)


# each TrainConfig field with another value: the run fields' change the run, the others' only
# where it reads and writes and how it reports
RUN_CHANGES = {"model": "RN50", "pretrained": "base", "steps": 20, "batch_size": 4, "lr": 1e-3,
               "warmup": 2, "weight_decay": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
               "precision": "amp", "init_scale": 2.0**10, "growth_interval": 10, "seed": 1,
               "augment": False, "added_batch_size": 4, "snapshots": (2,), "device": "cpu"}
OTHER_CHANGES = {"manifest": "copy.tsv", "out": "elsewhere", "workers": 1,
                 "checkpoint_every": 1, "log_every": 2, "added_manifest": "added.tsv",
                 "check_images": False, "resume": True, "stop_after": 3,
                 "grads_out": "grads.pt", "progress": True, "extra": {"note": 1}}


def test_resume_checks_exactly_the_run_fields_a_stamp_records(manifest, tmp_path):
    """One list (recipe.RUN_FIELDS) says what defines a run: a checkpoint refuses to resume a run
    that differs in any of them, and in nothing else."""
    from dataclasses import fields, replace

    from rsclip_utils.checkpoints import data_digest, resume_differences
    from rsclip_utils.recipe import RUN_FIELDS, TrainConfig

    assert set(RUN_CHANGES) == set(RUN_FIELDS)  # a new field must be put on one side
    assert set(RUN_CHANGES) | set(OTHER_CHANGES) == {f.name for f in fields(TrainConfig)}
    assert not set(RUN_CHANGES) & set(OTHER_CHANGES)
    result = train(cfg(manifest, tmp_path / "run", steps=4, stop_after=1))
    ckpt = torch.load(result.checkpoint, weights_only=True)
    saved = {**ckpt["config"], "manifest_sha256": ckpt["manifest_sha256"]}
    base = cfg(manifest, tmp_path / "run", steps=4)
    digest = data_digest(base)
    assert resume_differences(saved, base, digest) == []
    for name, value in {**RUN_CHANGES, **OTHER_CHANGES}.items():
        changed = replace(base, **{name: value})
        found = resume_differences(saved, changed, digest)
        if name in RUN_FIELDS:
            assert len(found) == 1 and found[0].startswith(f"{name}: "), (name, found)
        else:
            assert found == [], (name, found)
    # and the loop itself resumes with every non-run field but the data's paths changed
    other = {k: v for k, v in OTHER_CHANGES.items()
             if k not in ("manifest", "out", "added_manifest", "stop_after", "grads_out")}
    resumed = train(cfg(manifest, tmp_path / "run", steps=4, **other))
    assert resumed.steps == 4


def test_a_training_runs_stamp_holds_the_fields_resume_checks(manifest, tmp_path):
    """The pipeline stamps a training run with recipe.run_params: the RUN_FIELDS, as plain
    JSON values, nothing else."""
    import json

    from rsclip_utils.pipeline import Run
    from rsclip_utils.recipe import RUN_FIELDS, run_params

    run = Run(tmp_path / "run", "smoke", seed=3, progress=False)
    stamped = []
    run._ensure = lambda output, stage, params, *a, **k: stamped.append((stage, params))
    run._train(tmp_path / "run" / "train" / "latest.pt", manifest, {}, "a test", steps=7)
    (stage, params), = stamped
    config = run.profile.train.to_config(manifest, tmp_path / "run" / "train", seed=3,
                                         progress=False, steps=7)
    assert stage == "train" and params == run_params(config)
    assert tuple(params) == RUN_FIELDS and json.loads(json.dumps(params)) == params
    assert params["steps"] == 7 and params["seed"] == 3 and params["snapshots"] == []


def test_resume_refuses_another_manifest_content(manifest, tmp_path):
    copy = tmp_path / "manifest.tsv"
    copy.write_bytes(manifest.read_bytes())
    train(cfg(copy, tmp_path / "run", stop_after=2))
    lines = copy.read_text().splitlines(keepends=True)
    copy.write_text("".join(lines[:1] + lines[2:]))  # one row less, same path
    with pytest.raises(ValueError, match="manifest content"):
        train(cfg(copy, tmp_path / "run", resume=True))


def test_a_corrupt_latest_falls_back_to_the_previous_checkpoint(manifest, tmp_path, capsys):
    whole = train(cfg(manifest, tmp_path / "whole"))
    train(cfg(manifest, tmp_path / "cut", stop_after=8))  # checkpoints at 4 and 8
    latest = tmp_path / "cut" / "latest.pt"
    assert (tmp_path / "cut" / "previous.pt").is_file()
    latest.write_bytes(latest.read_bytes()[:1000])  # half-written
    resumed = train(cfg(manifest, tmp_path / "cut", resume=True))
    assert "resuming from" in capsys.readouterr().err
    assert read_log(resumed.log)["loss"] == read_log(whole.log)["loss"]  # from step 4, same run


def test_a_corrupt_latest_without_a_previous_names_the_file(manifest, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "latest.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="latest.pt: cannot read the checkpoint"):
        train(cfg(manifest, out, resume=True))


@pytest.mark.parametrize("bad, message", [
    ({"stop_after": 0}, "stop_after must be between 1 and steps"),
    ({"warmup": 20}, "warmup must be between 0 and steps"),
    ({"steps": 0, "warmup": 0}, "steps must be at least 1"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
])
def test_nonsensical_settings_are_refused_before_anything_runs(manifest, tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        train(cfg(manifest, tmp_path / "run", **bad))
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def shards(manifest, tmp_path_factory):
    """The smoke manifest as decode-once shards, small enough to make several."""
    folder = tmp_path_factory.mktemp("shards")
    write_shards(manifest, folder, ShardSpec(samples_per_shard=30), workers=1, progress=False)
    return folder


def test_resume_from_shards_reproduces_the_uninterrupted_losses(shards, tmp_path):
    steps = 2 * (read_index(shards)["samples"] // 8) + 3  # past two epochs' ends
    whole = train(cfg(shards, tmp_path / "whole", steps=steps, checkpoint_every=5))
    train(cfg(shards, tmp_path / "cut", steps=steps, checkpoint_every=5, stop_after=7))
    resumed = train(cfg(shards, tmp_path / "cut", steps=steps, checkpoint_every=5, resume=True))
    a, b = read_log(whole.log), read_log(resumed.log)
    assert a["step"] == b["step"] == list(range(1, steps + 1)) and max(a["epoch"]) == 2
    assert a["loss"] == b["loss"] and a["lr"] == b["lr"]
    with pytest.raises(ValueError, match="manifest content: "):
        train(cfg(manifest_of(shards), tmp_path / "cut", steps=steps, resume=True))


def manifest_of(shards):
    return read_index(shards)["manifest"]


def test_two_processes_read_their_own_shards_under_torchrun(shards, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
         f"--master_port={free_port()}", "-m", "rsclip_utils.training", "--manifest", str(shards),
         "--steps", "3", "--warmup", "1", "--quiet", "--pretrained", "none", "--out",
         str(tmp_path / "two"), "--batch-size", "4"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read_log(tmp_path / "two" / "train_log.csv")["step"] == [1, 2, 3]


def test_a_snapshot_holds_the_weights_of_the_run_at_that_step(manifest, tmp_path):
    """Kept weights (the budget study's) equal those of the same run stopped at that step."""
    whole = train(cfg(manifest, tmp_path / "whole", snapshots=(5, 9)))
    cut = train(cfg(manifest, tmp_path / "cut", stop_after=5))
    kept = torch.load(tmp_path / "whole" / "snapshot-000005.pt", weights_only=True)
    assert kept["step"] == 5 and (tmp_path / "whole" / "snapshot-000009.pt").is_file()
    stopped = torch.load(cut.checkpoint, weights_only=True)["model"]
    assert kept["model"].keys() == stopped.keys()
    assert all(torch.equal(kept["model"][k], stopped[k]) for k in stopped)
    assert whole.steps == 12 and sorted(p.name for p in (tmp_path / "whole").glob("snap*")) == [
        "snapshot-000005.pt", "snapshot-000009.pt"]
    model = create_model("rsclip-tiny", str(tmp_path / "whole" / "snapshot-000009.pt")).model
    assert model is not None  # a snapshot loads as a model


def _split_manifest(manifest, tmp_path):
    """The smoke manifest's RET rows and its DOTA rows, as two manifests."""
    from rsclip_utils.manifest import read_manifest, write_manifest_rows

    rows = read_manifest(manifest)
    ret = [r for r in rows if "dota" not in r.source]
    dota = [r for r in rows if "dota" in r.source]
    write_manifest_rows(tmp_path / "ret.tsv", [tuple(r) for r in ret])
    write_manifest_rows(tmp_path / "dota.tsv", [tuple(r) for r in dota])
    return tmp_path / "ret.tsv", tmp_path / "dota.tsv", len(ret), len(dota)


def test_the_controls_batches_are_the_base_runs_batches_plus_added_rows(manifest, tmp_path):
    from rsclip_utils.train_data import AddedRowsDataset, ManifestDataset

    ret, dota, n_ret, n_dota = _split_manifest(manifest, tmp_path)
    tok = open_clip.get_tokenizer("RN50")
    base = ManifestDataset(ret, 64, (0.5,) * 3, (0.5,) * 3, tok, seed=3)
    added = ManifestDataset(dota, 64, (0.5,) * 3, (0.5,) * 3, tok, seed=3)
    mixed = AddedRowsDataset(base, added, 4)
    assert mixed.steps_per_epoch(8) == base.steps_per_epoch(8)
    seen_added = []
    for epoch in range(6):  # long enough for the added rows to wrap around their own epochs
        batches = mixed.local_batches(epoch, 8)
        assert [b[:8] for b in batches] == base.local_batches(epoch, 8)  # RET as if alone
        for b in batches:
            assert len(b) == 12 and all(k >= n_ret for k in b[8:])
            seen_added += [(k - n_ret) % n_dota for k in b[8:]]
    # the added rows go round their own set: every row once per pass, none twice within one
    per_pass = (n_dota // 4) * 4
    first = seen_added[:per_pass]
    assert len(set(first)) == per_pass
    # an added row decodes to that row of the added set, with the added set's epoch encoded
    k = mixed.local_batches(0, 8)[0][8]
    image, tokens, index = mixed[k]
    assert index == k and torch.equal(tokens, added.tokens[(k - n_ret) % n_dota])
    # two processes of 4 + 4 take their shares of one process's 8 + 8, in rank order
    r0, r1 = mixed.local_batches(1, 4, 0, 2), mixed.local_batches(1, 4, 1, 2)
    whole = AddedRowsDataset(base, added, 8).local_batches(1, 8)
    assert [a[:4] + b[:4] for a, b in zip(r0, r1)] == [w[:8] for w in whole]
    assert [a[4:] + b[4:] for a, b in zip(r0, r1)] == [w[8:] for w in whole]


def test_the_control_trains_and_refuses_a_half_setting(manifest, tmp_path):
    ret, dota, _, _ = _split_manifest(manifest, tmp_path)
    result = train(cfg(ret, tmp_path / "run", steps=4, batch_size=4, added_manifest=str(dota),
                       added_batch_size=4))
    assert result.steps == 4
    saved = torch.load(result.checkpoint, weights_only=True)
    assert "+" in saved["manifest_sha256"]  # both manifests' digests
    with pytest.raises(ValueError, match="added_manifest and added_batch_size go together"):
        train(cfg(ret, tmp_path / "bad", added_manifest=str(dota)))
    with pytest.raises(ValueError, match="snapshots must be steps between 1 and steps"):
        train(cfg(ret, tmp_path / "bad", snapshots=(0, 13)))


def test_a_headless_run_reports_progress_in_a_few_lines(manifest, tmp_path, monkeypatch, capsys):
    # rsclip_utils.progress in a run no person watches: lines at its pace, not one per step (the
    # loss shown beside the bar must not force a redraw)
    from rsclip_utils import progress

    monkeypatch.setenv("RSCLIP_HEADLESS", "1")
    monkeypatch.setattr(progress, "HEADLESS_INTERVAL", 1000.0)  # no line on time: timing-free
    train(cfg(manifest, tmp_path / "run", steps=12, progress=True, check_images=False))
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("train")]
    assert len(lines) == 1 and "12/12" in lines[0]  # the closing line, not one per step
