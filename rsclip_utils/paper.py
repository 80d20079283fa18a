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
