"""Key numbers each notebook records, and the run's ``report.md`` and ``report.html``.

Introduced in notebook 00; every notebook calls :func:`record_numbers`; the runner
(:mod:`rsclip_utils.run`) gathers them, notebook 06's ``metrics.json`` and the figures into the
report: per notebook wall time, the metrics in the paper's table layout with the paper's numbers
beside, the key figures, the machine and the package versions. The report is a list of blocks
rendered twice, as Markdown and as one self-contained HTML file (figures inlined).
"""

from __future__ import annotations

import base64
import datetime
import html
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from .paper import PAPER_ABLATION, PAPER_PROBE, PAPER_RETRIEVAL_MR, PAPER_ZERO_SHOT

NUMBERS_DIR = "numbers"


def record_numbers(run_dir: str | Path, notebook: str, numbers: dict) -> Path:
    """Add ``numbers`` (JSON-ready) to what ``notebook`` (e.g. ``"00_datasets"``) has recorded."""
    path = Path(run_dir) / NUMBERS_DIR / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(numbers)
    path.write_text(json.dumps(current, indent=1, sort_keys=True, default=str))
    return path


def read_numbers(run_dir: str | Path, notebook: str) -> dict:
    """What ``notebook`` recorded in this run ({} if nothing)."""
    path = Path(run_dir) / NUMBERS_DIR / f"{notebook}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def versions(
    packages=(
        "torch",
        "torchvision",
        "open_clip_torch",
        "opencv-python-headless",
        "imagehash",
        "numpy",
        "pillow",
        "papermill",
    ),
) -> dict[str, str]:
    """Python, the platform and the versions of the main packages."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine() -> dict[str, str]:
    """CPU model, core count, memory and GPU (name and memory, or "none") of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "unknown memory"
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            gpu = f"{p.name}, {p.total_memory / 2**30:.0f} GiB"
    except Exception:  # noqa: BLE001 - no torch or a broken driver: report no GPU
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory, "gpu": gpu}


RETRIEVAL_KEYS = ("i2t_R@1", "i2t_R@5", "i2t_R@10", "t2i_R@1", "t2i_R@5", "t2i_R@10", "mR")


def _f(v, scale=1.0) -> str:
    return "-" if v is None else f"{scale * v:.1f}"


def metrics_blocks(metrics: dict) -> list[tuple]:
    """Notebook 06's ``metrics.json`` as tables in the paper's layout: every model on every
    retrieval and scene set, the ablation with its seeds, and the paper's claims checked. The
    paper's numbers appear only where the same protocol and data are compared (the paper
    profile) and, as directions, in the claims table; on embedded data they are no target."""
    models = metrics.get("models", {})
    if not models:
        return []
    embedded = metrics.get("profile") != "paper"
    arch = metrics.get("model", "ViT-B-32")
    out: list[tuple] = [("h2", "Metrics in the paper's layout")]
    if embedded:
        out.append(("p", "Embedded data and rsclip-tiny: the paper's numbers (real data, ViT "
                         "models) are not printed beside these, as they do not compare; the "
                         "claims table below reads the directions."))
    if metrics.get("absent"):
        out.append(("p", "Registered datasets not under the data root (not used in this run): "
                         + ", ".join(metrics["absent"]) + "."))
    paper_mr = PAPER_RETRIEVAL_MR.get(arch, {}) if not embedded else {}
    for set_name in next(iter(models.values())).get("retrieval", {}):
        rows = [(name, *(_f(m["retrieval"][set_name][k]) for k in RETRIEVAL_KEYS))
                for name, m in models.items()]
        if set_name in paper_mr:
            rows.append((f"paper: RemoteCLIP {arch} (Table II)", *[""] * 6,
                         f"{paper_mr[set_name]:.2f}"))
        out += [("h3", f"Retrieval, Table II ({set_name} test split)"),
                ("table", ["model", "I2T R@1", "R@5", "R@10", "T2I R@1", "R@5", "R@10", "mR"],
                 rows)]
    sets = list(next(iter(models.values())).get("scenes", {}))
    if sets:
        zs = [(name, *(_f(m["scenes"][s]["zero_shot"]["top1"], 100) for s in sets),
               _f(m["scene_average"]["zero_shot_top1"], 100)) for name, m in models.items()]
        zs.append(("chance", *(_f(next(iter(models.values()))["scenes"][s]["zero_shot"]
                                  ["chance"], 100) for s in sets), ""))
        if not embedded:
            zs.append((f"paper: average of 12 sets, CLIP -> RemoteCLIP {arch} (Table III)",
                       *[""] * len(sets), f"{PAPER_ZERO_SHOT['CLIP'].get(arch, '-')} -> "
                                          f"{PAPER_ZERO_SHOT['RemoteCLIP'].get(arch, '-')}"))
        out += [("h3", "Zero-shot classification top-1, Table III (test split of each set)"),
                ("table", ["model", *sets, "average"], zs)]
        probe = [(name, s, _f(m["scenes"][s]["linear_probe"]["accuracy"], 100),
                  _f(m["scenes"][s]["knn"]["accuracy"], 100),
                  *(_f(m["scenes"][s]["few_shot"].get(k, {}).get("mean"), 100)
                    for k in ("1", "16")))
                 for name, m in models.items() for s in sets]
        if not embedded:
            probe += [(f"paper: {k}, average (Table IV)", "", f"{a:.2f}", f"{b:.2f}", "", "")
                      for k, (a, b) in PAPER_PROBE.items()]
        out += [("h3", "Linear probe, k-NN and few-shot, Table IV and Fig. 9"),
                ("table", ["model", "scene set", "linear probe", "k-NN (k=20)", "1-shot",
                           "16-shot"], probe)]
    count = [(n, *(_f(m["counting"][f"top{k}"], 100) for k in (1, 2, 3, 5)))
             for n, m in models.items() if "counting" in m]
    if count:
        out += [("h3", "Counting (RemoteCount protocol; chance 10 % top-1)"),
                ("table", ["model", "top-1", "top-2", "top-3", "top-5"], count)]
    out += ablation_blocks(metrics)
    if metrics.get("claims"):
        header = list(metrics["claims"][0])
        out += [("h2", "The paper's claims, here"),
                ("p", "Verdicts computed in notebook 06 (rsclip_utils.claims): a difference "
                      "counts when it exceeds twice the seed spread of the ablation and at "
                      "least one point."),
                ("table", header, [tuple(c[h] for h in header) for c in metrics["claims"]])]
    return out


def _pm(row: dict, key: str) -> str:
    if f"{key}_mean" not in row:
        return "-"
    return f"{row[key + '_mean']:.1f} ± {row[key + '_std']:.1f}"


def ablation_blocks(metrics: dict) -> list[tuple]:
    """Notebook 06's data ablation (mean ± std over seeds) beside the paper's Table V."""
    ab = metrics.get("ablation") or {}
    if not ab:
        return []
    rows = [(k, v.get("images", ""), v.get("pairs", ""), v.get("seeds", ""),
             _pm(v, "retrieval_mR"), _pm(v, "zero_shot_top1"), _pm(v, "counting_top1"),
             " / ".join(f"{x:.2f}" for x in PAPER_ABLATION.get(k, ())) or "-")
            for k, v in ab.items()]
    return [("h3", "Data ablation, Table V (mean ± std over seeds)"),
            ("table", ["training data", "images", "pairs", "seeds", "retrieval mR",
                       "zero-shot top-1 (scene average)", "counting top-1",
                       "paper (RN50): retrieval / zero-shot, direction only"], rows)]


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def report_blocks(run_dir: str | Path, profile: str, results: list[dict]) -> list[tuple]:
    """Everything the report says, as blocks: ("h1"|"h2"|"h3"|"p", text), ("table", header,
    rows), ("img", path, caption)."""
    run_dir = Path(run_dir)
    m = machine()
    total = sum(r.get("seconds", 0) or 0 for r in results)
    blocks: list[tuple] = [
        ("h1", f"Run report: profile `{profile}`"),
        ("p", f"{datetime.date.today().isoformat()}; run folder `{run_dir}`; machine: {m['cpu']}, "
              f"{m['cores']} cores, {m['memory']}, GPU: {m['gpu']}."),
        ("h2", "Notebooks"),
        ("table", ["notebook", "status", "wall time (s)", "failed cell"],
         [(r["notebook"], r["status"], r.get("seconds", ""), r.get("cell", "")) for r in results]
         + [("total", "", round(total, 1), "")]),
    ]
    for r in results:
        if r["status"] == "failed":
            blocks.append(("p", f"**{r['notebook']} failed** at cell {r.get('cell')}: "
                                f"{r.get('error')}"))
    metrics_path = run_dir / "metrics.json"
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text())
        if "models" not in metrics:  # an older layout: model name -> metrics
            metrics = {"models": metrics}
        blocks += metrics_blocks(metrics)
    figures = sorted((run_dir / "figures").glob("*.png")) if (run_dir / "figures").is_dir() else []
    if figures:
        blocks.append(("h2", "Key figures"))
        blocks += [("img", f, f.stem.replace("_", " ")) for f in figures]
    recorded = [(Path(r["notebook"]).stem, read_numbers(run_dir, Path(r["notebook"]).stem))
                for r in results]
    recorded = [(nb, n) for nb, n in recorded if n]
    if recorded:
        blocks.append(("h2", "Numbers each notebook recorded"))
        for nb, numbers in recorded:
            blocks += [("h3", nb), ("table", ["key", "value"], _flatten(numbers))]
    blocks += [("h2", "Machine and versions"),
               ("table", ["item", "value"], list(m.items()) + list(versions().items()))]
    return blocks


def render_markdown(blocks: list[tuple], base: Path) -> str:
    """The blocks as Markdown; figures are linked relative to ``base`` (the run folder)."""
    out = []
    for b in blocks:
        if b[0] in ("h1", "h2", "h3"):
            out += ["#" * int(b[0][1]) + " " + b[1], ""]
        elif b[0] == "p":
            out += [b[1], ""]
        elif b[0] == "table":
            out.append("| " + " | ".join(str(h) for h in b[1]) + " |")
            out.append("|" + "---|" * len(b[1]))
            out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"
                    for row in b[2]]
            out.append("")
        elif b[0] == "img":
            rel = Path(b[1]).relative_to(base) if Path(b[1]).is_relative_to(base) else b[1]
            out += [f"![{b[2]}]({rel})", ""]
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escape, then the two Markdown marks the report uses: **bold** and `code`."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def render_html(blocks: list[tuple]) -> str:
    """The blocks as one self-contained HTML page (figures inlined as base64 PNG)."""
    body = []
    for b in blocks:
        if b[0] in ("h1", "h2", "h3"):
            body.append(f"<{b[0]}>{_inline(b[1])}</{b[0]}>")
        elif b[0] == "p":
            body.append(f"<p>{_inline(b[1])}</p>")
        elif b[0] == "table":
            head = "".join(f"<th>{_inline(str(h))}</th>" for h in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in row)
                           + "</tr>" for row in b[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif b[0] == "img":
            data = base64.b64encode(Path(b[1]).read_bytes()).decode()
            alt = html.escape(b[2])
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">'
                        f"<figcaption>{alt}</figcaption></figure>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
             "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
             "th{background:#f3f3f3}img{max-width:100%}code{background:#f3f3f3}")
    title = next((b[1] for b in blocks if b[0] == "h1"), "report")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(run_dir: str | Path, profile: str, results: list[dict]) -> Path:
    """``report.md`` and ``report.html`` in the run folder; returns the Markdown path."""
    run_dir = Path(run_dir)
    blocks = report_blocks(run_dir, profile, results)
    path = run_dir / "report.md"
    path.write_text(render_markdown(blocks, run_dir))
    (run_dir / "report.html").write_text(render_html(blocks))
    return path
