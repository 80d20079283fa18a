"""Hand-made rows of the budget study (rsclip_utils.budget) for its tests and the claims'."""


def rows_info() -> dict:
    """The four rows with hand-counted pairs: RET 600 pairs, the full data 8,000; the control
    trains on the full row's pairs (as notebook 06 counts them), 32 RET and 32 others a step."""
    return {
        "RET": {"kinds": ["RET"], "matched": False, "pairs": 600, "images": 120,
                "ret_pairs": 600, "added_batch_size": 0},
        "RET + DET": {"kinds": ["RET", "DET"], "matched": False, "pairs": 6000, "images": 1200,
                      "ret_pairs": 600, "added_batch_size": 0},
        "RET + DET + SEG": {"kinds": ["RET", "DET", "SEG"], "matched": False, "pairs": 8000,
                            "images": 1600, "ret_pairs": 600, "added_batch_size": 0},
        "RET + DET + SEG, RET matched": {"kinds": ["RET", "DET", "SEG"], "matched": True,
                                         "pairs": 8000, "images": 1600, "ret_pairs": 600,
                                         "added_batch_size": 32},
    }
