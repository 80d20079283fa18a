"""The README's tables of the default run (and of the long profile's budget study), written
from the run's ``metrics.json`` so that the numbers the README shows are the run's, never typed.
Each block sits between two markers in README.md; ``python -m rsclip_utils.readme_results
runs/default`` (or ``runs/long``) rewrites its block (``--check``: exit 1 when it differs,
naming the first line that does)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .budget import budget_heads, metric_rows, passes_rows
from .config import get_profile

START = "<!-- results: python -m rsclip_utils.readme_results runs/default -->"
END = "<!-- /results -->"
# the long profile's block (its budget study with seeds): the same end marker after its own start
LONG_START = "<!-- results: python -m rsclip_utils.readme_results runs/long -->"


def start_marker(profile: str) -> str:
    """The marker a run of ``profile`` writes its block after."""
    return LONG_START if profile == "long" else START


def claims_lines(metrics: dict, ablation_only: bool = False) -> list[str]:
    """The run's verdicts (notebook 06, rsclip_utils.claims) as a table: claim, verdict, the
    budget it was judged at."""
    claims = [c for c in metrics.get("claims", [])
              if not ablation_only or c.get("budget", "-") != "-"]
    if not claims:
        return []
    return _table(["the paper's claim, here", "verdict", "budget"],
                  [(c["claim"], c["verdict"], c.get("budget", "-")) for c in claims])
SCENE_NAMES = {"synth_aid": "AID-like", "synth_eurosat": "EuroSAT-like", "synth_uav": "UAV-like"}
RET_KEYS = ("i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10", "mR")


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows) -> list[str]:
    return [_row(header), "|" + "---|" * len(header), *(_row(r) for r in rows), ""]


def ablation_tables(metrics: dict) -> list[str]:
    """The budget study (notebook 06): retrieval mR and zero-shot top-1 of every row at every
    budget (passes over RET), the budget the claims were judged at, and the passes over RET and
    over all data beside the paper's."""
    ab = metrics.get("ablation") or {}
    if ab.get("study") != "budget":
        return []
    seeds, sat = len(ab["seeds"]), ab["saturation"]
    start = get_profile(metrics["profile"]).train.pretrained or "random init"
    where = (f"RET-only saturated by the rule at {sat['passes_over_ret']:g} passes"
             if sat["reached"] else f"RET-only not saturated by {sat['passes_over_ret']:g} "
                                    "passes")
    lines = []
    for key, what in (("retrieval_mR", "retrieval mR"),
                      ("zero_shot_top1", "zero-shot top-1 (scene average)")):
        lines += _table([f"data ablation (Table V), {what}, {seeds} seed"
                         f"{'s' if seeds > 1 else ''}, from the {start}; columns: budget, "
                         f"RET-only's passes over RET (steps of {ab['batch_size']})",
                         *budget_heads(ab)], metric_rows(ab, key))
    lines += _table([f"passes at {ab['verdict_steps']} steps ({where})", "pairs", "over RET",
                     "over its data"], passes_rows(ab))
    return lines


def results_block(metrics: dict, retrieval_sizes: dict[str, tuple[int, int]]) -> str:
    """The README's tables (retrieval, zero-shot, linear probe / k-NN, ablation) for one run.
    ``retrieval_sizes`` gives each retrieval set's (test images, captions)."""
    models = metrics["models"]
    first = next(iter(models.values()))
    lines = []
    for name, (n_images, n_captions) in retrieval_sizes.items():
        shared = first["retrieval"][name].get("ambiguous_captions", 0)
        owner = ("each caption one image's, as the tokenizer sees them" if not shared else
                 f"{shared} captions token-equal to another image's")
        lines += _table([f"retrieval, the paper's protocol ({name} test: {n_images} images, "
                         f"{n_captions} captions, {owner})", "I2T R@1", "R@5", "R@10",
                         "T2I R@1", "R@5", "R@10", "mR"],
                        [(m, *(f"{v['retrieval'][name][k]:.1f}" for k in RET_KEYS))
                         for m, v in models.items()])
        protocols = metrics.get("retrieval_protocols", {})
        if protocols and "retrieval_protocols" in first:
            lines += _table([f"retrieval mR ({name}) under each published protocol",
                             *(p["name"] for p in protocols.values())],
                            [(m, *(f"{v['retrieval_protocols'][name][k]['mR']:.1f}"
                                   for k in protocols)) for m, v in models.items()])
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
    lines += ablation_tables(metrics)
    lines += claims_lines(metrics)
    return "\n".join(lines).rstrip("\n")


def _retrieval_sizes(run_dir: Path, metrics: dict) -> dict[str, tuple[int, int]]:
    """(images, captions) of each retrieval test set, from notebook 06's recorded numbers."""
    recorded = json.loads((run_dir / "numbers" / "06_evaluation.json").read_text())
    sizes = recorded.get("retrieval_sizes", {})
    return {name: tuple(sizes[name]) for name in next(iter(metrics["models"].values()))
            ["retrieval"]}


def long_block(metrics: dict) -> str:
    """The long profile's block: its budget study and the ablation's verdicts (its models'
    tables equal the default run's, same data, recipe and seed)."""
    return "\n".join(ablation_tables(metrics) + claims_lines(metrics, ablation_only=True)
                     ).rstrip("\n")


def replace_block(readme: str, block: str, start: str = START) -> str:
    """The README with the text between ``start`` and the next end marker replaced by
    ``block``."""
    if start not in readme or END not in readme.split(start, 1)[-1]:
        raise ValueError(f"README has no results block: expected the lines {start!r} and {END!r}")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{start}\n{block}\n{END}{tail}"


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
    if metrics.get("profile") == "long":
        block = long_block(metrics)
    else:
        block = results_block(metrics, _retrieval_sizes(args.run_dir, metrics))
    old = args.readme.read_text()
    new = replace_block(old, block, start_marker(metrics.get("profile", "default")))
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
