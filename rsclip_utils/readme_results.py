"""The README's tables of the default run, written from the run's ``metrics.json`` so that the
numbers the README shows are the run's, never typed. The block sits between two markers in
README.md; ``python -m rsclip_utils.readme_results runs/default`` rewrites it (``--check``: exit
1 when it differs, naming the first line that does)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import get_profile

START = "<!-- results: python -m rsclip_utils.readme_results runs/default -->"
END = "<!-- /results -->"
SCENE_NAMES = {"synth_aid": "AID-like", "synth_eurosat": "EuroSAT-like", "synth_uav": "UAV-like"}
RET_KEYS = ("i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10", "mR")


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows) -> list[str]:
    return [_row(header), "|" + "---|" * len(header), *(_row(r) for r in rows), ""]


def _pm(a: dict, key: str) -> str:
    return f"{a[key + '_mean']:.1f} ± {a[key + '_std']:.1f}" if key + "_mean" in a else "-"


def results_block(metrics: dict, retrieval_sizes: dict[str, tuple[int, int]]) -> str:
    """The README's tables (retrieval, zero-shot, linear probe / k-NN, ablation) for one run.
    ``retrieval_sizes`` gives each retrieval set's (test images, captions)."""
    models = metrics["models"]
    first = next(iter(models.values()))
    lines = []
    for name, (n_images, n_captions) in retrieval_sizes.items():
        shared = first["retrieval"][name].get("ambiguous_captions", 0)
        owner = "each caption one image's" if not shared else f"{shared} captions of several images"
        lines += _table([f"retrieval ({name} test: {n_images} images, {n_captions} captions, "
                         f"{owner})", "I2T R@1", "R@5", "R@10", "T2I R@1", "R@5", "R@10", "mR"],
                        [(m, *(f"{v['retrieval'][name][k]:.1f}" for k in RET_KEYS))
                         for m, v in models.items()])
    sets = list(first["scenes"])
    names = [SCENE_NAMES.get(s, s) for s in sets]
    classes = [round(1 / first["scenes"][s]["zero_shot"]["chance"]) for s in sets]
    header = ["zero-shot top-1 (test splits)",
              *(f"{n} ({c} classes)" if k == 0 else f"{n} ({c})"
                for k, (n, c) in enumerate(zip(names, classes))), "average"]
    rows = [(m, *(f"{100 * v['scenes'][s]['zero_shot']['top1']:.1f}" for s in sets),
             f"{100 * v['scene_average']['zero_shot_top1']:.1f}") for m, v in models.items()]
    rows.append(("chance", *(f"{100 * first['scenes'][s]['zero_shot']['chance']:.1f}"
                             for s in sets), ""))
    lines += _table(header, rows)
    lines += _table(["linear probe / k-NN (k = 20)", *names],
                    [(m, *(f"{100 * v['scenes'][s]['linear_probe']['accuracy']:.1f} / "
                           f"{100 * v['scenes'][s]['knn']['accuracy']:.1f}" for s in sets))
                     for m, v in models.items()])
    ablation = metrics.get("ablation") or {}
    if ablation:
        spec = get_profile(metrics["profile"]).train
        seeds = next(iter(ablation.values()))["seeds"]
        lines += _table([f"data ablation, {spec.ablation_steps} steps of {spec.batch_size} from "
                         f"the {spec.pretrained or 'random init'}, {seeds} seeds (Table V)",
                         "pairs", "retrieval mR", "zero-shot top-1 (average)", "counting top-1"],
                        [(label, f"{a['pairs']:,}", _pm(a, "retrieval_mR"),
                          _pm(a, "zero_shot_top1"), _pm(a, "counting_top1"))
                         for label, a in ablation.items()])
    return "\n".join(lines).rstrip("\n")


def _retrieval_sizes(run_dir: Path, metrics: dict) -> dict[str, tuple[int, int]]:
    """(images, captions) of each retrieval test set, from notebook 06's recorded numbers."""
    recorded = json.loads((run_dir / "numbers" / "06_evaluation.json").read_text())
    sizes = recorded.get("retrieval_sizes", {})
    return {name: tuple(sizes[name]) for name in next(iter(metrics["models"].values()))
            ["retrieval"]}


def replace_block(readme: str, block: str) -> str:
    """The README with the text between the markers replaced by ``block``."""
    if START not in readme or END not in readme:
        raise ValueError(f"README has no results block: expected the lines {START!r} and {END!r}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """The command line: rewrite the README's block from a run, or ``--check`` it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a finished run folder (runs/default)")
    parser.add_argument("--readme", type=Path, default=Path(__file__).parents[1] / "README.md")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args(argv)
    metrics_path = args.run_dir / "metrics.json"
    if not metrics_path.is_file():
        print(f"{metrics_path}: no metrics (run the sequence first: make reproduce)",
              file=sys.stderr)
        return 2
    metrics = json.loads(metrics_path.read_text())
    block = results_block(metrics, _retrieval_sizes(args.run_dir, metrics))
    old = args.readme.read_text()
    new = replace_block(old, block)
    if args.check:
        if new != old:
            first = next(a for a, b in zip(old.splitlines() + [""], new.splitlines() + [""])
                         if a != b)
            print(f"{args.readme}: the results differ from {metrics_path}, first at: {first}",
                  file=sys.stderr)
            return 1
        print(f"{args.readme}: results match {metrics_path}")
        return 0
    args.readme.write_text(new)
    print(f"{args.readme}: results written from {metrics_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
