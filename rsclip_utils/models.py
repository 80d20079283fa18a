"""Models through open_clip: the paper's architectures, a tiny one that trains on a CPU, and the
weights RemoteCLIP starts from (OpenAI) or published (the authors' checkpoints).
Introduced in notebook 05; evaluation (06) loads models the same way.

``create_model(name, pretrained)``:

- ``name``: any open_clip model (``RN50``, ``ViT-B-32``, ``ViT-L-14`` for the paper) or
  ``rsclip-tiny`` (ViT 4 x 192, patch 8, 64 px; text 3 x 128; registered by this package, also for
  open_clip's own trainer);
- ``pretrained``: None (random init), ``"base"`` (rsclip-tiny only: the shipped base model
  :data:`BASE_WEIGHTS` trained on the web-like corpus, :mod:`rsclip_utils.base_model`, which
  plays OpenAI CLIP's role offline), an open_clip tag (``"openai"``), ``"remoteclip"`` (the
  authors' ``RemoteCLIP-{name}.pt`` from Hugging Face ``chendelong/RemoteCLIP``, plain state_dicts
  that load into open_clip with every key matching), or the path of a checkpoint (a state_dict,
  or a checkpoint written by :mod:`rsclip_utils.training`).

Downloads go through Hugging Face's cache (or ``cache_dir``). A file already there, or put there
by hand, is used without any network access; when a download is needed and impossible, the
error says what to download and where to put it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

CONFIG_DIR = Path(__file__).parent / "model_configs"
TINY = "rsclip-tiny"
# pretrained="base": the shipped base model (rsclip_utils.base_model makes and reads it)
BASE_WEIGHTS = Path(__file__).parent / "weights" / "rsclip-tiny-base.pt"
REMOTECLIP_REPO = "chendelong/RemoteCLIP"
REMOTECLIP_MODELS = ("RN50", "ViT-B-32", "ViT-L-14")
_registered = False


class ModelDownloadError(RuntimeError):
    """Weights that must be downloaded could not be; the message says what and where."""


def register_configs() -> None:
    """Make ``rsclip-tiny`` known to open_clip (its factory and its trainer)."""
    global _registered
    if not _registered:
        import open_clip

        open_clip.add_model_config(CONFIG_DIR)
        _registered = True


@dataclass
class ModelBundle:
    """A model with its train and eval transforms and its tokenizer."""

    model: torch.nn.Module
    preprocess_train: object
    preprocess_val: object
    tokenizer: object
    name: str
    pretrained: str | None

    def __iter__(self):
        return iter((self.model, self.preprocess_train, self.preprocess_val, self.tokenizer))


_online: bool | None = None


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether huggingface.co answers (checked once per process). When it does not, the Hub
    client is switched to offline mode, so that files already in its cache load at once instead
    of after a minute of retries."""
    global _online
    if _online is None:
        import socket

        try:
            with socket.create_connection(("huggingface.co", 443), timeout=timeout):
                _online = True
        except OSError:
            _online = False
        if not _online:
            import huggingface_hub.constants

            huggingface_hub.constants.HF_HUB_OFFLINE = True
    return _online


def remoteclip_file(name: str, cache_dir: str | Path | None = None) -> Path:
    """The authors' checkpoint for ``name``: found in ``cache_dir`` (``RemoteCLIP-{name}.pt``) or
    Hugging Face's cache, else downloaded; offline, a :class:`ModelDownloadError` explains."""
    filename = f"RemoteCLIP-{name}.pt"
    if cache_dir is not None and (Path(cache_dir) / filename).is_file():
        return Path(cache_dir) / filename
    from huggingface_hub import hf_hub_download

    hub_reachable()
    try:
        return Path(hf_hub_download(REMOTECLIP_REPO, filename, cache_dir=cache_dir))
    except Exception as e:  # noqa: BLE001 - offline, missing file, no such model: same advice
        where = Path(cache_dir) / filename if cache_dir else "any folder, then pass its path"
        raise ModelDownloadError(
            f"RemoteCLIP weights {filename} are not here and could not be downloaded "
            f"({type(e).__name__}). Download "
            f"https://huggingface.co/{REMOTECLIP_REPO}/resolve/main/{filename} (published for "
            f"{', '.join(REMOTECLIP_MODELS)}) and put it in {where}, or pass "
            f"pretrained='/path/to/{filename}'."
        ) from None


def _state_dict(obj) -> dict:
    """The model weights inside a checkpoint: a plain state_dict, or ours / open_clip's trainer's
    (under "model" or "state_dict"), with a DDP "module." prefix removed."""
    if isinstance(obj, dict):
        for key in ("model", "state_dict"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError("not a state_dict: expected a mapping of parameter names to tensors")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load a checkpoint file into ``model``; every key must match (names and shapes)."""
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
        state = _state_dict(obj)
    except Exception as e:  # noqa: BLE001 - corrupt, pickled objects, wrong structure
        raise ValueError(f"{path}: cannot read model weights: {type(e).__name__}: {e}") from None
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or shapes:
        raise ValueError(
            f"{path} does not fit the model: {len(missing)} missing keys {missing[:5]}, "
            f"{len(unexpected)} unexpected {unexpected[:5]}, {len(shapes)} with other shapes "
            f"{[(k, tuple(state[k].shape), tuple(own[k].shape)) for k in shapes[:3]]}")
    model.load_state_dict(state, strict=True)


class _RandomInitNotice(logging.Filter):
    """Drops open_clip's "No pretrained weights loaded ... initialized randomly" line: it is
    printed whenever open_clip itself loads no weights, also when this module loads the base,
    RemoteCLIP or a checkpoint's weights the next moment. The bundle's ``pretrained`` says which
    start a model has (None: random init)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("No pretrained weights loaded")


@contextlib.contextmanager
def _without_random_init_notice():
    notice = _RandomInitNotice()
    root = logging.getLogger()
    handlers = [root, *root.handlers]  # a filter on the logger, and on handlers it reaches
    for h in handlers:
        h.addFilter(notice)
    try:
        yield
    finally:
        for h in handlers:
            h.removeFilter(notice)


def create_model(name: str, pretrained: str | os.PathLike | None = None, *, device: str = "cpu",
                 cache_dir: str | Path | None = None, precision: str = "fp32") -> ModelBundle:
    """Model, train and eval transforms and tokenizer through open_clip (see the module doc).
    Iterates as ``model, preprocess_train, preprocess_val, tokenizer``."""
    import open_clip

    register_configs()
    tag = None
    path = None
    if pretrained is not None:
        if str(pretrained) == "base":
            if name != TINY:
                raise ValueError(f"the 'base' weights exist for {TINY} only, not {name}; "
                                 "for the paper's models use 'openai'")
            if not BASE_WEIGHTS.is_file():
                raise FileNotFoundError(f"{BASE_WEIGHTS}: the base model is missing; make it "
                                        "with python -m rsclip_utils.base_model")
            path = BASE_WEIGHTS
        elif str(pretrained) == "remoteclip":
            path = remoteclip_file(name, cache_dir)
        elif Path(pretrained).is_file():
            path = Path(pretrained)
        elif os.sep in str(pretrained) or str(pretrained).endswith((".pt", ".bin", ".safetensors")):
            raise FileNotFoundError(f"checkpoint not found: {pretrained}")
        else:
            tag = str(pretrained)
    if tag is not None:
        if not open_clip.get_pretrained_cfg(name, tag):
            raise ValueError(f"open_clip has no '{tag}' weights for {name}; it has: "
                             f"{open_clip.list_pretrained_tags_by_model(name)}")
        hub_reachable()
    try:
        with _without_random_init_notice():
            model, train_tf, val_tf = open_clip.create_model_and_transforms(
                name, pretrained=tag, device=device, precision=precision,
                cache_dir=str(cache_dir) if cache_dir else None)
    except Exception as e:  # noqa: BLE001 - download failures come in many classes
        if tag is None:
            raise
        raise ModelDownloadError(
            f"open_clip could not download the '{tag}' weights of {name} "
            f"({type(e).__name__}: {str(e)[:200]}). With internet, run once "
            f"open_clip.create_model_and_transforms('{name}', pretrained='{tag}') to fill "
            f"Hugging Face's cache (or set cache_dir); offline, copy that cache here "
            f"(HF_HOME) or pass a local checkpoint path."
        ) from None
    if path is not None:
        load_weights(model, path)
        model.to(device)
    return ModelBundle(model, train_tf, val_tf, open_clip.get_tokenizer(name), name,
                       str(pretrained) if pretrained is not None else None)


def _cached_hub_file(repo: str, filenames: list[str], cache_dir) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    for f in filenames:
        found = try_to_load_from_cache(repo, f, cache_dir=str(cache_dir) if cache_dir else None)
        if isinstance(found, str) and Path(found).is_file():
            return Path(found)
    return None


def weights_problem(name: str, pretrained: str | None,
                    cache_dir: str | Path | None = None) -> str | None:
    """Why :func:`create_model` could not get these weights now, without downloading anything:
    None when they are cached (or a local file), or when the Hub answers; else what to fetch and
    where. The paper profile's preflight (:mod:`rsclip_utils.run`) asks this before it starts."""
    if pretrained is None or Path(str(pretrained)).is_file():
        return None
    if str(pretrained) == "base":
        return (None if BASE_WEIGHTS.is_file()
                else f"{BASE_WEIGHTS}: python -m rsclip_utils.base_model")
    if str(pretrained) == "remoteclip":
        filename = f"RemoteCLIP-{name}.pt"
        if cache_dir is not None and (Path(cache_dir) / filename).is_file():
            return None
        if _cached_hub_file(REMOTECLIP_REPO, [filename], cache_dir) or hub_reachable():
            return None
        return (f"RemoteCLIP weights {filename}: not in the cache and huggingface.co cannot be "
                f"reached; download https://huggingface.co/{REMOTECLIP_REPO}/resolve/main/"
                f"{filename} into {cache_dir or 'the Hugging Face cache (HF_HOME)'}")
    import open_clip

    cfg = open_clip.get_pretrained_cfg(name, str(pretrained))
    if not cfg:
        return f"open_clip has no '{pretrained}' weights for {name}"
    repo, filename = os.path.split(cfg.get("hf_hub", ""))  # "org/model/" or "org/model/file"
    candidates = [filename] if filename else ["open_clip_model.safetensors",
                                              "open_clip_pytorch_model.bin"]
    if repo and _cached_hub_file(repo, candidates, cache_dir) or hub_reachable():
        return None
    return (f"the '{pretrained}' weights of {name}: not in the Hugging Face cache and "
            f"huggingface.co cannot be reached; with internet, run open_clip."
            f"create_model_and_transforms('{name}', pretrained='{pretrained}') once (it fills "
            f"the cache, HF_HOME), or copy such a cache here")


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
