"""open_clip's own trainer with this package's model configs (``rsclip-tiny``) registered.

    python -m rsclip_utils.openclip_trainer --model rsclip-tiny --dataset-type csv \\
        --train-data runs/default/manifest_dedup.tsv --csv-separator $'\\t' --batch-size 64 ...
    torchrun --nproc_per_node=8 -m rsclip_utils.openclip_trainer --model ViT-B-32 \\
        --pretrained openai --train-data manifest_dedup.tsv --dataset-type csv \\
        --csv-separator $'\\t' --batch-size 256 --lr 4e-5 --precision amp \\
        --local-loss --gather-with-grad

Every argument goes to ``open_clip_train.main`` unchanged (see its ``--help``). Introduced in
notebook 05. On CPU use ``--precision fp32 --workers 0``, one process (open_clip's DDP wrapper
asks for CUDA device ids).
"""

from __future__ import annotations

import sys

from .models import register_configs


def main(argv: list[str] | None = None) -> int:
    """Register this package's model configs, then run open_clip's trainer on ``argv``."""
    register_configs()
    from open_clip_train.main import main as open_clip_main

    open_clip_main(sys.argv[1:] if argv is None else argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
