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

from .budget import format_spread, paper_rows
from .paper import (
    CLIP_EPOCHS,
    CLIP_PAIRS,
    PAPER_PROBE,
    PAPER_RETRIEVAL_MR,
    PAPER_ZERO_SHOT,
    paper_base_ratios,
)

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
    vendor = "unknown vendor"
    try:
        fields = {}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())  # the first processor's
        cpu, vendor = fields.get("model name", cpu), fields.get("vendor_id", vendor)
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
    kernels = "unknown"
    try:
        import torch

        kernels = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001 - an older torch: the kind is then the CPU alone
        pass
    return {"cpu": cpu, "vendor": vendor, "torch_cpu_kernels": kernels,
            "cores": str(os.cpu_count()), "memory": memory, "gpu": gpu}


def numeric_kind(m: dict) -> str:
    """What decides a CPU run's floating-point results beyond the code: the CPU model and the
    kernels torch picked for it (AVX512, AVX2, ...). Two machines of one kind give the same
    numbers for a seed; machines of different kinds add in different orders, and a run's
    numbers drift apart over training (README, "What the default run gives")."""
    return f"{m.get('cpu', '?')}, {m.get('vendor', '?')}, torch CPU kernels " \
           f"{m.get('torch_cpu_kernels', '?')}"


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
                ("p", "The paper's protocol (RemoteCLIP's retrieval.py: per-image caption "
                      "lists, any hit); a tie counts by its exact expectation."),
                ("table", ["model", "I2T R@1", "R@5", "R@10", "T2I R@1", "R@5", "R@10", "mR"],
                 rows)]
        out += protocol_blocks(metrics, set_name)
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
    count = [(n, *(_f(m["counting"][f"top{k}"], 100) for k in range(1, 11)))
             for n, m in models.items() if "counting" in m]
    if count:
        out += [("h3", "Counting (RemoteCount protocol; chance k x 10 % at top-k)"),
                ("table", ["model", *(f"top-{k}" for k in range(1, 11))], count)]
    out += ablation_blocks(metrics)
    out += regime_blocks(metrics)
    out += counting_blocks(metrics)
    out += similarity_blocks(metrics)
    if metrics.get("claims"):
        header = list(metrics["claims"][0])
        out += [("h2", "The paper's claims, here"),
                ("p", "Verdicts computed in notebook 06 (rsclip_utils.claims): a difference "
                      "counts when it exceeds twice the larger sample standard deviation over "
                      "seeds and at least one point (one point with one seed, and for the "
                      "models of notebook 05, one run each); the last column says at which "
                      "budget an ablation claim was judged."),
                ("table", header, [tuple(c[h] for h in header) for c in metrics["claims"]])]
    return out


def protocol_blocks(metrics: dict, set_name: str) -> list[tuple]:
    """Every model under each published retrieval protocol on one set, and (once, with the
    first set) the model-free ceilings of the real caption sets, from notebook 06."""
    names = metrics.get("retrieval_protocols", {})
    models = metrics.get("models", {})
    rows = [(model, names[key]["name"], _f(r["mR"]), _f(r["i2t_R@1"]), _f(r["t2i_R@1"]),
             r["text_queries"], r["i2t_tied_queries"] + r["t2i_tied_queries"])
            for model, m in models.items()
            for key, r in m.get("retrieval_protocols", {}).get(set_name, {}).items()
            if key in names]
    if not rows:
        return []
    out = [("h3", f"Retrieval under each published protocol ({set_name})"),
           ("table", ["model", "protocol", "mR", "I2T R@1", "T2I R@1", "text queries",
                      "queries a tie decides"], rows)]
    ceilings = metrics.get("protocol_ceilings") or {}
    if ceilings and set_name == next(iter(next(iter(models.values()))["retrieval"])):
        out += [("h3", "Real test captions: the best any model can score under each protocol"),
                ("p", "A perfect model scores 1 for every caption whose tokens an image holds; "
                      "captions shared by several images still tie. Model-free, from the "
                      "AMFMN caption files."),
                ("table", ["test split", "protocol", "text queries",
                           "captions token-equal to another image's", "best possible mR"],
                 [(name.upper(), names[key]["name"], c["text_queries"],
                   c["token_equal_across_images"], _f(c["mR"]))
                  for name, per in ceilings.items() for key, c in per.items() if key in names])]
    return out


def ablation_blocks(metrics: dict) -> list[tuple]:
    """Notebook 06's data ablation as a budget study (:mod:`rsclip_utils.budget`): the rule's
    outcome, each row's passes over its data and over RET at the verdict budget beside the
    paper's, and every budget's numbers (mean ± sample std over seeds)."""
    ab = metrics.get("ablation") or {}
    if ab.get("study") != "budget":
        return []
    sat, seeds, batch = ab["saturation"], len(ab["seeds"]), ab["batch_size"]
    verdict = ab["verdict_steps"]
    over = f"mean of {seeds} seeds" if seeds > 1 else "1 seed"
    rule = (f"RET-only's validation mR ({over}) rose "
            f"less than {sat['gain']:g} point above the best smaller budget at {sat['steps']} "
            f"steps ({sat['passes_over_ret']:g} passes over RET): saturated by the rule, and the "
            "claims are judged there."
            if sat["reached"] else
            f"RET-only's validation mR rose at least {sat['gain']:g} point above the best "
            f"smaller budget at every budget up to the largest ({sat['steps']} steps, "
            f"{sat['passes_over_ret']:g} passes over RET): it had not saturated, and the claims "
            "read there are below saturation.")
    passes_rows = [(label, f"{r['images']:,}", f"{r['pairs']:,}",
                    batch + r.get("added_batch_size", 0),
                    f"{r['budgets'][str(verdict)]['passes_over_data']:.1f}",
                    f"{r['budgets'][str(verdict)]['passes_over_ret']:.1f}")
                   for label, r in ab["rows"].items()]
    passes_rows += [(f"{p['label']}; Table I, section IV-A", f"{p['images']:,}",
                     f"{p['pairs']:,}", p["batch"], f"{p['passes_over_data']:.0f}",
                     f"{p['passes_over_ret']:.0f}") for p in paper_rows()]
    curve = [(label, s, f"{e['passes_over_ret']:.1f}", format_spread(e.get("val_mR")),
              format_spread(e.get("retrieval_mR")), format_spread(e.get("zero_shot_top1")),
              format_spread(e.get("counting_top1")))
             for label, r in ab["rows"].items() for s, e in
             ((int(k), v) for k, v in r["budgets"].items())]
    return [("h3", "Data ablation, Table V, as a budget study"),
            ("p", f"Every row trains from the same start for {max(ab['steps'])} steps of "
                  f"{batch} pairs (the control {batch} + {batch}; {seeds} "
                  f"seed{'s' if seeds > 1 else ''}), its weights kept at "
                  f"{len(ab['steps'])} budgets; the control keeps RET-only's batch of RET pairs "
                  f"and adds as many DET and SEG pairs. {rule}"),
            ("table", ["training data", "images", "pairs", "pairs per step",
                       f"passes over its data at {verdict} steps",
                       f"passes over RET at {verdict} steps"], passes_rows),
            ("table", ["training data", "steps", "its passes over RET", "RET val mR (the rule)",
                       "retrieval mR (test)", "zero-shot top-1 (scene average)",
                       "counting top-1"], curve)]


def regime_blocks(metrics: dict) -> list[tuple]:
    """How far the start is from the data it is continued on (notebook 06, section 8), beside
    the paper's ratios, and the three models at the same remote-sensing budget."""
    regime = metrics.get("regime")
    if not regime:
        return []
    paper = paper_base_ratios()
    rows = [("the start's corpus / the RS training images", f"{regime['corpus_vs_images']:,.0f}x",
             f"{paper['corpus_vs_images']:,.0f}x"),
            ("samples the start saw / samples of continual pretraining",
             f"{regime['samples_seen']:,.0f}x", f"{paper['samples_seen']:,.0f}x")]
    roles, models = metrics.get("roles", {}), metrics.get("models", {})
    scores = [(label, _f(models[roles[r]]["retrieval_average_mR"]),
               _f(models[roles[r]]["scene_average"]["zero_shot_top1"], 100))
              for r, label in (("base", "the start (no RS training)"),
                               ("continual", "continual, from the start"),
                               ("scratch", "from scratch, the same RS steps"))
              if r in roles and roles[r] in models]
    return [("h3", "The start against the data it is continued on"),
            ("table", ["ratio", "here", f"the paper (CLIP: {CLIP_PAIRS / 1e6:,.0f}M pairs, "
                                       f"{CLIP_EPOCHS} epochs)"], rows),
            ("table", ["model", "retrieval mR", "zero-shot top-1 (scene average)"], scores)]


def similarity_blocks(metrics: dict) -> list[tuple]:
    """The similarity maps (notebook 06, section 10; RemoteCLIP Fig. 10): per source and model,
    the mean AUROC of patch scores between the patches a class covers and those without it."""
    sim = metrics.get("similarity_maps", {}).get("summary")
    if not sim:
        return []
    models = list(dict.fromkeys(m for per in sim.values() for m in per))
    rows = [(source, *(f"{per[m]['mean_auroc']:.2f} ({per[m]['above_half']} of "
                       f"{per[m]['pairs']} above 0.5)" if m in per else "-" for m in models))
            for source, per in sim.items()]
    return [("h3", "Similarity maps (section IV-D, Fig. 10)"),
            ("p", "Each scene cut into square patches, each patch scored against the prompt "
                  f"\"{metrics['similarity_maps'].get('prompt', 'a {class}')}\" for a class "
                  "its mask holds; the AUROC of the scores between patches the class covers (at "
                  "least half their pixels) and patches without it, averaged over (scene, class) "
                  "pairs: 0.5 is a map that does not follow the mask, below 0.5 one that scores "
                  "the patches without the class higher. "
                  + metrics["similarity_maps"].get("note", "")),
            ("table", ["source", *models], rows)]


def counting_blocks(metrics: dict) -> list[tuple]:
    """Counting diagnosed link by link (notebook 06, section 9)."""
    diag = metrics.get("counting_diagnosis")
    if not diag:
        return []
    words = diag.get("number_words", {})
    crop = diag.get("crop_keeps_counts", {})
    out = [("h3", "Counting, diagnosed"),
           ("table", ["number word in training captions", "captions"],
            [(w, f"{n:,}") for w, n in words.items()]),
           ("p", f"The random crop keeps a DET image's count of a class true in "
                 f"{_f(crop.get('all'), 100)} % of (image, class, crop) draws. Median shorter "
                 f"side of the objects at the {diag.get('input_size')}-px input: "
                 + "; ".join(f"{k} {v:.1f} px" for k, v in
                             diag.get("input_px_median", {}).items()) + ".")]
    rows = [(name, _f(d["probe_top1"], 100), f"{d['text']['off_diagonal_mean']:.3f}",
             f"{d['text']['rewrite_range']:.3f}", f"{d['text']['caption_range']:.3f}")
            for name, d in diag.items() if isinstance(d, dict) and "probe_top1" in d]
    if rows:
        out.append(("table", ["model", "count from frozen image features (linear probe top-1)",
                              "similarity between two rewrites",
                              "image: range over its 10 rewrites",
                              "image: range over 10 other images' captions"], rows))
    if "no_augment_top1" in diag:
        out.append(("p", "Counting top-1 of the same continual run without augmentation: "
                         f"{_f(diag['no_augment_top1'], 100)} (a model that ignores the image: "
                         "10.0)."))
    return out


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


# what each key figure shows and where the notebooks draw it (a figure not listed: its name)
FIGURE_CAPTIONS = {
    "training_curves": "Training curves of the continual run and the run from scratch: loss, "
                       "in-batch top-1, learning rate, logit scale (notebook 05, section 5d)",
    "retrieval_gallery": "One test image-caption pair both ways under the continual model "
                         "(notebook 06, section 2)",
    "zero_shot_confusion": "Zero-shot confusion of the continual model on each scene set "
                           "(notebook 06, section 3)",
    "few_shot": "Few-shot linear probe, mean and sample std over draws (notebook 06, section 4)",
    "counting_topk": "Counting top-1 to top-10 against chance (notebook 06, section 5)",
    "counting_confusion": "Counting confusion of each model (notebook 06, section 5)",
    "ablation_budget": "The data ablation by budget, with the saturation rule's budget "
                       "(notebook 06, section 7)",
    "counting_rewrites": "How far an image's score moves over its ten count rewrites against "
                         "ten other captions (notebook 06, section 9)",
    "similarity_maps": "Similarity maps of base and continual models beside the masks, with "
                       "their AUROC (notebook 06, section 10)",
}


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
        blocks += [("img", f, FIGURE_CAPTIONS.get(f.stem, f.stem.replace("_", " ")))
                   for f in figures]
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
