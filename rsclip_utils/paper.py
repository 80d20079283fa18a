"""The paper's numbers (RemoteCLIP, Liu, Chen et al., IEEE TGRS 2024, arXiv:2306.11029; each
with its table) that the notebooks and the run report set beside ours, the only place they are
typed. Introduced in notebook 06.
"""

from __future__ import annotations

PAPER_PROBE = {"CLIP ViT-B": (92.31, 92.15), "RemoteCLIP ViT-B": (93.93, 93.77)}  # Table IV
PAPER_ABLATION = {"RET": (36.32, 48.75), "RET + DET": (39.72, 51.31),
                  "RET + DET + SEG": (42.01, 53.46)}  # Table V, RN50
PAPER_ZERO_SHOT = {"CLIP": {"RN50": 50.61, "ViT-B-32": 56.02, "ViT-L-14": 65.67},
                   "RemoteCLIP": {"RN50": 53.46, "ViT-B-32": 62.41, "ViT-L-14": 71.30}}
PAPER_RETRIEVAL_MR = {  # RemoteCLIP, Table II
    "RN50": {"RSITMD": 46.21, "RSICD": 30.58, "UCM": 49.25},
    "ViT-B-32": {"RSITMD": 49.38, "RSICD": 35.26, "UCM": 56.36},
    "ViT-L-14": {"RSITMD": 50.52, "RSICD": 36.35, "UCM": 54.68},
}
PAPER_ZERO_SHOT_AVERAGE = {m: (PAPER_ZERO_SHOT["CLIP"][m], PAPER_ZERO_SHOT["RemoteCLIP"][m])
                           for m in PAPER_ZERO_SHOT["CLIP"]}  # Table III: CLIP -> RemoteCLIP

# The training regime (section IV-A, Table I): 108,215 steps of 256 on 165,745 images x 5 captions;
# RET-3 is RSICD, RSITMD and UCM (their images, five captions each)
PAPER_STEPS, PAPER_BATCH = 108_215, 256
PAPER_PAIRS = 828_725
PAPER_IMAGES = 165_745
PAPER_RET_IMAGES = {"RSICD": 8_483, "RSITMD": 3_603, "UCM": 1_676}
PAPER_RET_PAIRS = 5 * sum(PAPER_RET_IMAGES.values())
# OpenAI CLIP, the start (Radford et al. 2021, sections 2.2 and 2.5): 400M image-text pairs, 32
# epochs
CLIP_PAIRS, CLIP_EPOCHS = 400_000_000, 32


def paper_passes() -> dict[str, float]:
    """Passes over the data in the paper's run: over RET-3's pairs and over all 828,725 pairs."""
    seen = PAPER_STEPS * PAPER_BATCH
    return {"RET": seen / PAPER_RET_PAIRS, "all": seen / PAPER_PAIRS}


def paper_base_ratios() -> dict[str, float]:
    """How much more the start saw than RemoteCLIP adds: CLIP's pairs against RemoteCLIP's
    images and pairs, and CLIP's samples seen against RemoteCLIP's run."""
    return {"corpus_vs_images": CLIP_PAIRS / PAPER_IMAGES,
            "corpus_vs_pairs": CLIP_PAIRS / PAPER_PAIRS,
            "samples_seen": CLIP_PAIRS * CLIP_EPOCHS / (PAPER_STEPS * PAPER_BATCH)}
