"""The paper's claims, checked against this run's numbers: reproduced, not reproduced, within
noise, or not measurable offline. Introduced in notebook 06; the run report prints the same
table (section "The paper's claims, here").

A claim compares two rows (a model against another, or one ablation row against another at one
budget of the budget study, :mod:`rsclip_utils.budget`). With several seeds, the difference must
exceed twice the larger sample standard deviation of the two rows, and never a margin below one
point. With one seed there is no spread: the margin is one point, and a difference under it is
"within the 1-point margin (noise not measured)", never "within noise". The models of notebook
05 are single runs: their claims get the one-point margin and say "1 run each" (they do not
borrow the spread of another run at another budget, which says nothing of theirs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .budget import at, format_spread, pairs_per_step
from .paper import PAPER_ABLATION, PAPER_PROBE, PAPER_ZERO_SHOT, paper_base_ratios

# the ViT-B-32 towers ablation of Table V (retrieval average / zero-shot average)
PAPER_TOWERS = {"from CLIP": (47.00, 64.52), "from scratch": (18.92, 30.93)}
MIN_MARGIN = 1.0
ONE_RUN = "1 run each"  # the models of notebook 05: one training run per model


@dataclass
class Claim:
    """One claim: what the paper says, its numbers, ours, the verdict, and the training budget
    the verdict was read at (ablation claims; "-" for the models of notebook 05)."""

    claim: str
    paper: str
    here: str
    verdict: str
    budget: str = "-"


# the ablation's comparisons: (from row, to row, what is added)
COMPARISONS = (
    ("RET", "RET + DET", "adding DET data to RET"),
    ("RET + DET", "RET + DET + SEG", "adding SEG data to RET + DET"),
    ("RET", "RET + DET + SEG, RET matched",
     "adding DET and SEG data beside RET's own batches (RET's exposure held)"),
)


def margin(a: dict, b: dict, key: str) -> tuple[float, bool]:
    """The margin a difference of ``key`` between two budget entries must exceed, and whether
    it rests on a measured spread: twice the larger sample std of the two (ddof=1), at least
    :data:`MIN_MARGIN`; the minimum, unmeasured, with one seed."""
    stds = [e[key]["std"] for e in (a, b) if e[key]["std"] is not None]
    return max([MIN_MARGIN] + [2 * s for s in stds]), bool(stds)


def ablation_claims(ablation: dict) -> list[Claim]:
    """The data ablation's claims (Table V's direction) at the budget where RET-only saturated
    by the rule and, separately, at the study's smallest budget."""
    if ablation.get("study") != "budget":
        return []
    sat = ablation["saturation"]
    budgets = [(ablation["verdict_steps"], "at RET's saturation" if sat["reached"] else
                "at the largest budget, RET not saturated")]
    if ablation["small_steps"] != ablation["verdict_steps"]:
        budgets.append((ablation["small_steps"], "at a small budget"))
    seeds = len(ablation["seeds"])
    out = []
    for steps, when in budgets:
        for prev, row, what in COMPARISONS:
            if row not in ablation["rows"] or prev not in ablation["rows"]:
                continue
            p, r = at(ablation, prev, steps), at(ablation, row, steps)
            per_step = pairs_per_step(ablation["batch_size"],
                                      ablation["rows"][row].get("added_batch_size", 0))
            budget = (f"{steps} steps of {per_step}: {r['passes_over_ret']:.1f} passes over RET "
                      f"for {row}, {p['passes_over_ret']:.1f} for {prev}")
            for key, i, label in (("retrieval_mR", 0, "retrieval"), ("zero_shot_top1", 1,
                                                                      "zero-shot")):
                if key not in p or key not in r:  # no retrieval or no scene set in this run
                    continue
                row_margin, measured = margin(p, r, key)
                paper = PAPER_ABLATION.get(row), PAPER_ABLATION.get(prev)
                verdict = _verdict(r[key]["mean"], p[key]["mean"], row_margin, measured)
                if not all(paper):  # a control the paper has not: nothing to reproduce
                    verdict = _control(verdict)
                out.append(Claim(
                    f"{what} helps ({label}, {when})",
                    (f"RN50: {prev} {paper[1][i]} -> {row} {paper[0][i]} (Table V)"
                     if all(paper) else "- (a control; not in the paper)"),
                    f"{format_spread(p[key])} -> {format_spread(r[key])} "
                    f"({seeds} seed{'s' if seeds > 1 else ''})",
                    verdict, budget))
    return out


def _verdict(better: float, worse: float, margin: float, spread_measured: bool,
             runs: str = "1 seed") -> str:
    """Reproduced, the other way round, or under the margin: "within noise" only where a spread
    over seeds was measured; otherwise the margin is the 1-point minimum and the verdict says
    so."""
    if better - worse > margin:
        return "reproduced"
    if worse - better > margin:
        return "not reproduced (the other way round)"
    if spread_measured:
        return f"within noise (difference under {margin:.1f} points)"
    return f"within the {margin:g}-point margin ({runs}: noise not measured)"


def _control(verdict: str) -> str:
    """A control's verdict: it holds or not (it is no claim of the paper's to reproduce)."""
    if verdict == "reproduced":
        return "holds"
    return verdict.replace("not reproduced (the other way round)", "does not hold (the other way "
                           "round)")


def _models(metrics: dict, roles: dict) -> dict:
    return {role: metrics["models"][name] for role, name in roles.items()
            if name in metrics.get("models", {})}


def model_margin() -> tuple[float, bool]:
    """The margin of the single-run claims (the models of notebook 05) and whether it rests on a
    measured spread: the :data:`MIN_MARGIN` minimum, unmeasured. Each of those models is one
    run; the ablation's spread over seeds is that of other runs at another budget, so it is not
    borrowed."""
    return MIN_MARGIN, False


def paper_claims(metrics: dict) -> list[Claim]:
    """The claims for one run's ``metrics.json`` (notebook 06): ``models`` by name, ``roles``
    (which model is the base, the continual one, the one from scratch) and ``ablation``."""
    roles = metrics.get("roles", {})
    m = _models(metrics, roles)
    ablation = metrics.get("ablation") or {}
    margin, measured = model_margin()
    out: list[Claim] = []

    def zs(role):
        return 100 * m[role]["scene_average"]["zero_shot_top1"]

    def mr(role):
        return m[role]["retrieval_average_mR"]

    if {"base", "continual"} <= set(m):
        vit = PAPER_ZERO_SHOT
        out.append(Claim(
            "continual pretraining raises zero-shot accuracy over its start",
            f"ViT-B-32, 12 sets: CLIP {vit['CLIP']['ViT-B-32']} -> RemoteCLIP "
            f"{vit['RemoteCLIP']['ViT-B-32']} (Table III)",
            f"scene-set average: base {zs('base'):.1f} -> continual {zs('continual'):.1f}",
            _verdict(zs("continual"), zs("base"), margin, measured, ONE_RUN)))
        lp = {r: 100 * m[r]["scene_average"]["linear_probe"] for r in ("base", "continual")}
        kn = {r: 100 * m[r]["scene_average"]["knn"] for r in ("base", "continual")}
        clip, rc = PAPER_PROBE["CLIP ViT-B"], PAPER_PROBE["RemoteCLIP ViT-B"]
        out.append(Claim(
            "continual pretraining improves frozen features (linear probe)",
            f"ViT-B average: CLIP {clip[0]} -> RemoteCLIP {rc[0]} (Table IV)",
            f"base {lp['base']:.1f} -> continual {lp['continual']:.1f}",
            _verdict(lp["continual"], lp["base"], margin, measured, ONE_RUN)))
        out.append(Claim(
            "continual pretraining improves frozen features (k-NN)",
            f"ViT-B average: CLIP {clip[1]} -> RemoteCLIP {rc[1]} (Table IV)",
            f"base {kn['base']:.1f} -> continual {kn['continual']:.1f}",
            _verdict(kn["continual"], kn["base"], margin, measured, ONE_RUN)))
    if {"continual", "scratch"} <= set(m):
        a, b = PAPER_TOWERS["from CLIP"], PAPER_TOWERS["from scratch"]
        out.append(Claim(
            "starting from a general model beats training from scratch (retrieval)",
            f"ViT-B-32 retrieval average: from CLIP {a[0]} vs from scratch {b[0]} (Table V)",
            f"mR: continual {mr('continual'):.1f} vs scratch {mr('scratch'):.1f}",
            _verdict(mr("continual"), mr("scratch"), margin, measured, ONE_RUN)))
        out.append(Claim(
            "starting from a general model beats training from scratch (zero-shot)",
            f"ViT-B-32 zero-shot average: from CLIP {a[1]} vs from scratch {b[1]} (Table V)",
            f"continual {zs('continual'):.1f} vs scratch {zs('scratch'):.1f}",
            _verdict(zs("continual"), zs("scratch"), margin, measured, ONE_RUN)))
    out += ablation_claims(ablation)
    out.append(Claim(
        "the absolute numbers of Tables II-V on RSITMD, RSICD, UCM and the 12 scene sets",
        "e.g. RemoteCLIP ViT-B-32 RSITMD mR 49.38 (Table II)",
        "the embedded world is a stand-in; its numbers do not compare with these",
        "not measurable offline (the paper profile, with the real data, measures them)"))
    return out


# Why a claim can fail on the embedded world: printed by notebook 06 beside each claim the run
# does not reproduce (keys are the start of the claim's text). The start alone against from
# scratch is no claim of the paper (its numbers are in two tables over different sets):
# notebook 06, section 8, measures it without a verdict. Fields in braces are filled from
# the run's ``regime`` (section 8 of notebook 06) and the paper's ratios; a reason whose fields
# the run lacks is not given.
REASONS = {
    "continual pretraining improves frozen features": (
        "Continual pretraining changes the base model for {rs_samples_seen:,} samples only; "
        "on frozen-feature protocols the base's features can already be as good on these "
        "scenes."),
    "starting from a general model beats training from scratch": (
        "From scratch the same recipe learns the embedded world's small vocabulary quickly; "
        "the gap of the paper needs a start that knows far more than the target data: here the "
        "start's corpus is {corpus_vs_images:,.0f}x the RS training images (the paper's CLIP: "
        "{paper_corpus_vs_images:,.0f}x) and it saw {samples_seen:,.0f}x the samples of "
        "continual pretraining (the paper: {paper_samples_seen:,.0f}x)."),
}


def reason(claim: Claim, regime: dict | None = None) -> str | None:
    """Why the embedded world may not reproduce ``claim`` (None when it does, for the claims
    that cannot be measured offline, and when ``regime`` lacks a number the reason quotes)."""
    if claim.verdict == "reproduced" or claim.verdict.startswith("not measurable"):
        return None
    text = next((text for key, text in REASONS.items() if claim.claim.startswith(key)), None)
    if text is None:
        return None
    paper = paper_base_ratios()
    fields = {**(regime or {}), "paper_corpus_vs_images": paper["corpus_vs_images"],
              "paper_samples_seen": paper["samples_seen"]}
    try:
        return text.format(**fields)
    except KeyError:
        return None


def grouped_reasons(claims: list[Claim], regime: dict | None = None) -> list[tuple[str, list]]:
    """Each distinct reason (:func:`reason`) once, with the claims it is given for, in the
    order the claims come."""
    out: dict[str, list[str]] = {}
    for c in claims:
        why = reason(c, regime)
        if why:
            out.setdefault(why, []).append(c.claim)
    return list(out.items())


def claims_table(metrics: dict) -> tuple[list[str], list[tuple]]:
    """(header, rows) of :func:`paper_claims`, for a Markdown table."""
    rows = [tuple(asdict(c).values()) for c in paper_claims(metrics)]
    return ["claim", "paper", "here", "verdict", "budget"], rows
