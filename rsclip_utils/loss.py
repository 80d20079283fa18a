"""The loss of continual pretraining (RemoteCLIP, section IV-A): CLIP's symmetric InfoNCE with a
learned temperature, and the gather that lets each process of a torchrun job see the negatives
of the whole global batch. Introduced in notebook 05 (which writes the loss out in its cells).

Under DDP the features of every rank are gathered *with gradient*, so the summed gradient equals
that of one process on the full batch (``tests/test_training.py``: two CPU processes on gloo).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def infonce_loss(image_features: torch.Tensor, text_features: torch.Tensor,
                 logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP's loss), written out (notebook 05).

    With L2-normalised features, ``logits[i, j] = scale * <image_i, text_j>``; the pair on the
    diagonal is the positive, every other entry of its row (image -> texts) and of its column
    (text -> images) a negative. The loss is the mean of the two cross-entropies."""
    logits_per_image = logit_scale * image_features @ text_features.T  # row i: image i vs texts
    logits_per_text = logit_scale * text_features @ image_features.T   # row j: text j vs images
    targets = torch.arange(len(logits_per_image), device=logits_per_image.device)
    image_to_text = -F.log_softmax(logits_per_image, dim=1)[targets, targets].mean()
    text_to_image = -F.log_softmax(logits_per_text, dim=1)[targets, targets].mean()
    return (image_to_text + text_to_image) / 2


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward returns to each rank the gradient of its own slice, summed over
    the ranks (each rank's loss uses every slice)."""

    @staticmethod
    def forward(ctx, x):
        parts = [torch.empty_like(x) for _ in range(torch.distributed.get_world_size())]
        torch.distributed.all_gather(parts, x.contiguous())
        ctx.rank, ctx.rows = torch.distributed.get_rank(), x.shape[0]
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        torch.distributed.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def gather_with_grad(features: torch.Tensor) -> torch.Tensor:
    """Every rank's features, concatenated in rank order, keeping the gradient path to this
    rank's own part (one process: the features themselves). Notebook 05 (multi-GPU training)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return features
    return _GatherWithGrad.apply(features)


__all__ = ["gather_with_grad", "infonce_loss"]
