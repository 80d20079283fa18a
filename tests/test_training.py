"""Models, the InfoNCE loss against open_clip's ClipLoss, the training loop (DDP equivalence,
exact resume, non-finite steps), checkpoints through create_model, open_clip's own trainer."""

import logging
import random
import socket
import subprocess
import sys

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import write_manifest
from rsclip_utils.models import ModelDownloadError, count_parameters, create_model, load_weights
from rsclip_utils.training import (
    TrainConfig,
    epoch_batches,
    infonce_loss,
    lr_at,
    paper_augment,
    read_log,
    train,
)

logging.getLogger().setLevel(logging.ERROR)  # open_clip warns about random init


@pytest.fixture(scope="module")
def manifest(smoke_embedded, tmp_path_factory):
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    path = tmp_path_factory.mktemp("train") / "manifest.tsv"
    write_manifest(list(sets["ret"]) + list(sets["dota"]), path, progress=False)
    return path


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


def test_tiny_model_and_checkpoint_round_trip(tmp_path):
    bundle = create_model("rsclip-tiny")
    model, _, preprocess, tokenizer = bundle
    assert 7_000_000 < count_parameters(model) < 9_000_000  # mostly the token embedding
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    torch.save(
        {"model": {f"module.{k}": v for k, v in model.state_dict().items()}, "step": 3},
        tmp_path / "ckpt.pt",
    )
    again = create_model("rsclip-tiny", pretrained=tmp_path / "ckpt.pt").model
    x = torch.randn(2, 3, 64, 64)
    t = tokenizer(["a ship", "many cars"])
    with torch.no_grad():
        assert torch.equal(model.encode_image(x), again.encode_image(x))
        assert torch.equal(model.encode_text(t), again.encode_text(t))


def test_remoteclip_weights_load_from_the_cache_folder_with_every_key_checked(tmp_path):
    model = create_model("rsclip-tiny").model
    torch.save(model.state_dict(), tmp_path / "RemoteCLIP-rsclip-tiny.pt")  # a plain state_dict
    loaded = create_model("rsclip-tiny", "remoteclip", cache_dir=tmp_path).model
    assert all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values())
    )
    state = model.state_dict()
    state.pop("logit_scale")
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="1 missing keys"):
        load_weights(create_model("rsclip-tiny").model, tmp_path / "bad.pt")


def offline() -> bool:
    try:
        socket.create_connection(("huggingface.co", 443), timeout=2).close()
        return False
    except OSError:
        return True


@pytest.mark.skipif(not offline(), reason="checks the offline message; this machine is online")
def test_offline_downloads_fail_fast_with_instructions(tmp_path):
    with pytest.raises(ModelDownloadError, match="huggingface.co/chendelong/RemoteCLIP") as e:
        create_model("rsclip-tiny", "remoteclip", cache_dir=tmp_path)
    assert str(tmp_path / "RemoteCLIP-rsclip-tiny.pt") in str(e.value)
    with pytest.raises(ModelDownloadError, match="'openai' weights of RN50"):
        create_model("RN50", "openai")


def test_unknown_tag_and_missing_file():
    with pytest.raises(ValueError, match="no 'laion9b' weights"):
        create_model("RN50", "laion9b")
    with pytest.raises(FileNotFoundError):
        create_model("rsclip-tiny", "/nowhere/ckpt.pt")


def cfg(manifest, out, **kw):
    base = dict(
        manifest=str(manifest),
        out=str(out),
        steps=12,
        batch_size=8,
        warmup=3,
        checkpoint_every=4,
        progress=False,
    )
    base.update(kw)
    return TrainConfig(**base)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_under_torchrun_equal_one_process_on_the_full_batch(manifest, tmp_path):
    def run_one_step(launcher: list[str], name: str, batch_size: int) -> None:
        proc = subprocess.run(
            [sys.executable, *launcher, "-m", "rsclip_utils.training",
             "--manifest", str(manifest), "--steps", "1", "--quiet",
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


def test_open_clip_trainer_runs_the_manifest_with_rsclip_tiny(manifest, tmp_path):
    small = tmp_path / "small.tsv"
    small.write_text("".join(manifest.read_text().splitlines(keepends=True)[:49]))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rsclip_utils.openclip_trainer",
            "--model",
            "rsclip-tiny",
            "--train-data",
            str(small),
            "--dataset-type",
            "csv",
            "--csv-separator",
            "\t",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--workers",
            "0",
            "--precision",
            "fp32",
            "--logs",
            str(tmp_path / "logs"),
            "--name",
            "t",
            "--warmup",
            "2",
            "--lr",
            "1e-4",
            "--report-to",
            "",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (tmp_path / "logs" / "t" / "out.log").read_text()
    assert "Train Epoch: 0 [48/48 (100%)]" in log and "Loss:" in log
    ckpt = tmp_path / "logs" / "t" / "checkpoints" / "epoch_1.pt"
    create_model("rsclip-tiny", pretrained=ckpt)  # its checkpoint loads back, every key checked
