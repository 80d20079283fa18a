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

One change to open_clip's reading: a manifest inside a run folder writes its images relative to
its own folder (so that the folder can be moved, :func:`rsclip_utils.paths.portable`), while
open_clip's ``CsvDataset`` opens every path as written, relative to the working folder; here it
resolves them as :func:`rsclip_utils.manifest.read_manifest` does, whatever the folder the
trainer starts in. (open_clip's own ``python -m open_clip_train.main`` reads such a manifest
when started in the manifest's folder.)
"""

from __future__ import annotations

import os
import sys

from .models import register_configs
from .paths import resolved, run_folder_of


def resolve_csv_paths() -> None:
    """Make open_clip's ``CsvDataset`` resolve a run folder's relative image paths against the
    manifest's folder (once per process; each torchrun process calls it through :func:`main`)."""
    from open_clip_train import data

    original = data.CsvDataset.__init__
    if getattr(original, "resolves_run_paths", False):
        return

    def __init__(self, input_filename, *args, **kwargs):
        original(self, input_filename, *args, **kwargs)
        run_dir = run_folder_of(input_filename)
        self.images = [resolved(str(p), os.path.abspath(input_filename), run_dir)
                       for p in self.images]

    __init__.resolves_run_paths = True
    data.CsvDataset.__init__ = __init__


def main(argv: list[str] | None = None) -> int:
    """Register this package's model configs, then run open_clip's trainer on ``argv``."""
    register_configs()
    resolve_csv_paths()
    from open_clip_train.main import main as open_clip_main

    open_clip_main(sys.argv[1:] if argv is None else argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
