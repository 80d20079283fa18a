"""Models (rsclip_utils.models): rsclip-tiny, checkpoints, the authors' weights, offline
failures."""

import socket

import pytest
import torch

from rsclip_utils.models import ModelDownloadError, count_parameters, create_model, load_weights


def offline() -> bool:
    try:
        socket.create_connection(("huggingface.co", 443), timeout=2).close()
        return False
    except OSError:
        return True


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


def test_no_random_init_notice_before_weights_are_loaded(capsys, caplog):
    # open_clip says "No pretrained weights loaded ... initialized randomly" whenever it loads
    # none itself, also just before this package loads the base weights: that line is dropped
    import logging

    from rsclip_utils.models import create_model

    with caplog.at_level(logging.WARNING):
        assert create_model("rsclip-tiny", "base").pretrained == "base"
        assert create_model("rsclip-tiny", None).pretrained is None
        logging.getLogger().warning("a warning of anyone else")
    said = caplog.text + capsys.readouterr().err
    assert "No pretrained weights loaded" not in said
    assert "a warning of anyone else" in said
