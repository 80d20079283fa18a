"""The README's tables of the default run (and of the long profile's budget study), written
from the run's ``metrics.json`` so that the numbers the README shows are the run's, never typed.
Each block sits between two markers in README.md; ``python -m rsclip_utils.readme_results
runs/default`` (or ``runs/long``) rewrites its block, which names the kind of machine the run was
on (``--check``: exit 1 when the run differs, naming the first line that does: exactly on the
README's kind of machine, beyond :data:`CROSS_CPU_TOLERANCE` points on another)."""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from pathlib import Path

from .budget import budget_heads, metric_rows, passes_rows
from .config import get_profile
from .report import numeric_kind

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


# Numbers a run gives for a seed are the same on two machines of one kind (the CPU model and the
# kernels torch picks for it, report.numeric_kind) and drift apart on another kind: the kernels
# add in another order, the last digits differ, training carries the difference on and a probe's
# L-BFGS amplifies it. Measured (issue 26): the README's tables from an AMD EPYC against a run on
# an Intel Xeon (AVX512) differ by up to 2.6 points (a linear probe) and 1.8 (a retrieval R@1),
# and some verdicts read differently. So the check is exact on the README's kind of machine and,
# on another, compares every number within this many points and lists the verdicts that differ.
CROSS_CPU_TOLERANCE = 3.0
MACHINE_LINE = "Tables from a run on: "
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _numbers(line: str) -> list[float]:
    return [float(x.replace(",", "")) for x in _NUMBER.findall(line)]


def machine_line(machine: dict | None) -> list[str]:
    """The block's first line: the kind of machine its numbers came from."""
    return [f"{MACHINE_LINE}{numeric_kind(machine)}.", ""] if machine else []


def block_machine(block: str) -> str | None:
    """The kind of machine a README block says its numbers came from (None: not said)."""
    first = block.splitlines()[0] if block else ""
    return first[len(MACHINE_LINE):].rstrip(".") if first.startswith(MACHINE_LINE) else None


def _tables(block: str) -> list[str]:
    """A block's lines without its machine line (and the blank line after it)."""
    return "\n".join(x for x in block.splitlines()
                     if not x.startswith(MACHINE_LINE)).strip("\n").splitlines()


def block_differences(old: str, new: str, same_kind: bool = True
                      ) -> tuple[list[str], list[str]]:
    """(differences, verdicts) between a README block ``old`` and a run's block ``new``. On the
    README's kind of machine every line must be equal. On another kind, a line whose text
    (numbers aside) is the same must hold its numbers within :data:`CROSS_CPU_TOLERANCE`
    points; table rows whose words differ (a verdict read the other way) are returned as
    ``verdicts``, not as differences; a line added, lost or reshaped is a difference. The
    machine line itself is not compared."""
    differences, verdicts = [], []
    for a, b in itertools.zip_longest(_tables(old), _tables(new), fillvalue=""):
        if a == b:
            continue
        said = f"README: {a}\n  run:    {b}"
        if same_kind:
            differences.append(said)
        elif _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
            # a row of a table whose words changed: a verdict (or the saturation it rests on)
            # read the other way; any other change of shape is a difference
            rows = a.startswith("|") and b.startswith("|") and a.count("|") == b.count("|")
            (verdicts if rows else differences).append(said)
        elif any(abs(x - y) > CROSS_CPU_TOLERANCE + 1e-9
                 for x, y in zip(_numbers(a), _numbers(b))):
            differences.append(said)
    return differences, verdicts


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


def results_block(metrics: dict, retrieval_sizes: dict[str, tuple[int, int]],
                  machine: dict | None = None) -> str:
    """The README's tables (retrieval, zero-shot, linear probe / k-NN, ablation) for one run,
    after a line naming the kind of ``machine`` the run was on. ``retrieval_sizes`` gives each
    retrieval set's (test images, captions)."""
    models = metrics["models"]
    first = next(iter(models.values()))
    lines = machine_line(machine)
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


def _split(readme: str, start: str) -> tuple[str, str, str]:
    """(before ``start``, the block, from the end marker on); refused without the markers."""
    if start not in readme or END not in readme.split(start, 1)[-1]:
        raise ValueError(f"README has no results block: expected the lines {start!r} and {END!r}")
    head, rest = readme.split(start, 1)
    block, tail = rest.split(END, 1)
    return head, block.strip("\n"), tail


def replace_block(readme: str, block: str, start: str = START) -> str:
    """The README with the text between ``start`` and the next end marker replaced by
    ``block``."""
    head, _, tail = _split(readme, start)
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
    machine_path = args.run_dir / "machine.json"
    machine = json.loads(machine_path.read_text()) if machine_path.is_file() else None
    if metrics.get("profile") == "long":
        block = long_block(metrics)
    else:
        block = results_block(metrics, _retrieval_sizes(args.run_dir, metrics), machine)
    start = start_marker(metrics.get("profile", "default"))
    old = args.readme.read_text()
    new = replace_block(old, block, start)
    if not args.check:
        args.readme.write_text(new)
        print(f"{args.readme}: results written from {metrics_path}")
        return 0
    readme_block = _split(old, start)[1]
    theirs, ours = block_machine(readme_block), numeric_kind(machine) if machine else None
    same_kind = theirs is not None and theirs == ours
    differences, verdicts = block_differences(readme_block, block, same_kind)
    where = (f"on the README's kind of machine ({theirs}): every number compared exactly"
             if same_kind else
             f"on {ours or 'a machine not recorded'}, the README's tables on "
             f"{theirs or 'a machine it does not name'}: every number compared within "
             f"{CROSS_CPU_TOLERANCE:g} points (another CPU adds in another order, and training "
             "carries the last digits on)")
    if differences:
        print(f"{metrics_path}: this run's results differ from the README's in "
              f"{len(differences)} line(s), {where}; the first:\n  {differences[0]}",
              file=sys.stderr)
        return 1
    print(f"this run's results are the README's, {where} ({metrics_path})")
    for v in verdicts:
        print(f"  a verdict that reads differently on this machine:\n  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
