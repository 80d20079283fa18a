"""The real samples' index (rsclip_utils.datasets.samples)."""

from pathlib import Path

from rsclip_utils import datasets as ds
from rsclip_utils.datasets import IMAGE_EXTENSIONS

# Files that are documentation or archives, not data in a format the project reads.
NOT_DATA = {
    "INVENTORY.md",
    "PROVENANCE.tsv",
    "SHA256SUMS",
    "LICENSE",
    "readme.txt",
    "Readme.txt",
    "README.md",
    "README.rst",
    "txtclasses_rsicd.rar",
    "hrrsd_tiny_100_3084.txt",
}  # HRRSD's list of the tiny split's XML paths


def test_every_annotation_file_is_claimed_by_a_reader(realdata):
    """No real file is left unread: each non-image file is read by a reader or is documentation."""
    R = realdata
    samples = ds.read_real_samples(R)
    read = {Path(r.annotation).resolve() for res in samples.values() for r in res if r.annotation}
    for d in (R / "captions_amfmn_precomp").iterdir():  # every split, the variants included
        splits = ds.precomp_splits(d)
        ds.read_precomp(d, splits=splits)
        for s in splits:
            base, _, suffix = s.partition("_")
            suffix = f"_{suffix}" if suffix else ""
            read |= {
                (d / f"{base}_caps{suffix}.txt").resolve(),
                (d / f"{base}_filename{suffix}.txt").resolve(),
            }
    read.add((R / "dior_mmrotate" / "ImageSets" / "demo.txt").resolve())  # DIOR-R's image_set
    hrsc_set = R / "hrsc2016_mmrotate" / "ImageSets" / "demo.txt"
    assert hrsc_set.read_text().split() == [r.image_id for r in samples["HRSC2016"]]
    read.add(hrsc_set.resolve())
    leftover = sorted(
        str(p.relative_to(R))
        for p in R.rglob("*")
        if p.is_file()
        and p.suffix.lower() not in IMAGE_EXTENSIONS
        and p.resolve() not in read
        and p.name not in NOT_DATA
    )
    assert leftover == []
    strict_ok = {name: res.report.counts() for name, res in samples.items()}
    assert all("malformed" not in c for c in strict_ok.values())
