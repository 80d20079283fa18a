"""The one image reader (rsclip_utils.images): 8-bit files as PIL decodes them (p-Hash stays
imagehash's), deep and multi-band images stretched to 8 bits, damaged files named; and every
stage reads through it (hashing, training, evaluation, figures)."""

import imagehash
import numpy as np
import pytest
import tifffile
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils import dedup
from rsclip_utils.datasets import load_rgb as datasets_load_rgb
from rsclip_utils.images import ImageError, load_rgb, open_rgb, to_uint8


def _ramp16(tmp_path, name, offset):
    a = (np.add.outer(np.arange(64), np.arange(64)) * 30 + offset).astype(np.uint16)
    path = tmp_path / name
    Image.fromarray(a).save(path)  # a 16-bit greyscale PNG (mode I;16)
    return path, a


def test_a_16_bit_png_is_stretched_not_saturated(tmp_path):
    path, a = _ramp16(tmp_path, "a.png", 1000)
    with Image.open(path) as im:
        assert im.mode.startswith("I;16")
        assert (np.asarray(im.convert("L")) == 255).all()  # what PIL alone would give
    rgb = load_rgb(path)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    expected = np.round((a - a.min()) / (a.max() - a.min()) * 255).astype(np.uint8)
    assert np.array_equal(rgb[..., 0], expected) and rgb.min() == 0 and rgb.max() == 255


def test_distinct_16_bit_tiles_no_longer_hash_alike(tmp_path):
    a, _ = _ramp16(tmp_path, "a.png", 1000)
    b_arr = np.rot90(np.asarray(Image.open(a))).astype(np.uint16)
    b = tmp_path / "b.png"
    Image.fromarray(np.ascontiguousarray(b_arr)).save(b)
    theirs = {int(str(imagehash.phash(Image.open(p))), 16) for p in (a, b)}
    assert theirs == {0x8000000000000000}  # imagehash: both saturate to one white image
    ours = [dedup.phash(p) for p in (a, b)]
    assert dedup.hamming(ours[0], ours[1]) > 10  # here they differ, as the pictures do


def test_8_bit_files_hash_exactly_as_imagehash(tmp_path):
    rng = np.random.default_rng(0)
    base = Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).resize((60, 50))
    for mode in ("RGB", "L", "P", "RGBA", "CMYK"):
        path = tmp_path / f"x_{mode}.{'jpg' if mode == 'CMYK' else 'png'}"
        base.convert(mode).save(path)
        assert dedup.phash(path) == int(str(imagehash.phash(Image.open(path))), 16), mode
        assert open_rgb(path).mode == "RGB"


def test_float_and_multiband_geotiffs(tmp_path):
    f = np.linspace(-1.5, 3.0, 48 * 40, dtype=np.float32).reshape(48, 40)
    f[0, 0] = np.nan
    tifffile.imwrite(tmp_path / "f.tif", f)
    grey = load_rgb(tmp_path / "f.tif")
    assert grey.shape == (48, 40, 3) and grey[0, 0, 0] == 0 and grey.max() == 255
    bands = np.stack([np.full((30, 20), v, np.uint16) for v in (100, 2000, 4000, 9000)])
    for name, kw in (("m.tif", {"photometric": "minisblack", "planarconfig": "separate"}),
                     ("pages.tif", {"photometric": "minisblack"})):  # 4 bands: not for PIL
        tifffile.imwrite(tmp_path / name, bands, **kw)
        rgb = load_rgb(tmp_path / name)
        assert rgb.shape == (30, 20, 3), name
        # the first three bands, stretched together
        assert list(rgb[0, 0]) == list(to_uint8(np.array([100, 2000, 4000]))), name


def test_a_truncated_or_foreign_file_is_named(tmp_path):
    good = tmp_path / "good.jpg"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 90).save(good, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:300])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for bad in (cut, text, tmp_path / "missing.png"):
        with pytest.raises(ImageError, match=str(bad.name)):
            load_rgb(bad)
    with pytest.raises(ImageError):
        datasets_load_rgb(cut)  # figures read through the same reader
    hashed = dedup.phash_files([good, cut], workers=1, progress=False)
    assert hashed.ok.tolist() == [True, False]
    assert str(cut) in str(hashed.errors)


def test_training_names_bad_images_before_the_first_step(manifest, tmp_path):
    from rsclip_utils.manifest import read_manifest, write_manifest_rows
    from rsclip_utils.training import TrainConfig, train

    rows = read_manifest(manifest)
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(open(rows[0].filepath, "rb").read()[:200])
    rows = [rows[0]._replace(filepath=str(bad))] + rows[1:]
    broken = tmp_path / "manifest.tsv"
    write_manifest_rows(broken, rows)
    with pytest.raises(ImageError, match="truncated.jpg") as e:
        train(TrainConfig(manifest=str(broken), out=str(tmp_path / "run"), pretrained=None,
                          steps=3, batch_size=8, warmup=1, progress=False))
    assert "cannot be decoded" in str(e.value)
    assert not (tmp_path / "run" / "latest.pt").exists()  # no step ran


def test_every_real_sample_image_is_read(realdata):
    """Every image file of ../shared/realdata (GeoTIFF, JPEG, PNG, BMP, TIFF) decodes; 8-bit ones
    to exactly PIL's RGB."""
    paths = [p for p in sorted(realdata.rglob("*"))
             if p.suffix.lower() in (".tif", ".tiff", ".jpg", ".jpeg", ".png", ".bmp")]
    assert paths
    for p in paths[:400]:
        rgb = load_rgb(p)
        assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8, p
        with Image.open(p) as im:
            if im.mode in ("RGB", "L", "P", "RGBA"):
                assert np.array_equal(rgb, np.asarray(im.convert("RGB"))), p


def test_16_bit_rgb_and_extra_band_files_are_stretched_whatever_pils_mode(tmp_path):
    """PIL opens a 16-bit RGB TIFF or PNG (and a 16-bit RGB TIFF with a fourth band) as 8-bit
    RGB/RGBA keeping each value's high byte (10,200 -> 39); the header decides here."""
    import cv2

    rng = np.random.default_rng(1)
    a = rng.integers(0, 10_201, (24, 32, 4)).astype(np.uint16)
    a[0, 0, :3], a[0, 1, :3] = 0, 10_200
    tifffile.imwrite(tmp_path / "rgb.tif", a[..., :3], photometric="rgb")
    tifffile.imwrite(tmp_path / "rgbx.tif", a, photometric="rgb", extrasamples=["unspecified"])
    tifffile.imwrite(tmp_path / "rgba.tif", a, photometric="rgb", extrasamples=["unassalpha"])
    cv2.imwrite(str(tmp_path / "rgb.png"), np.ascontiguousarray(a[..., 2::-1]))  # BGR order
    expected = to_uint8(a[..., :3])  # the first three bands, stretched together
    names = ("rgb.tif", "rgbx.tif", "rgba.tif", "rgb.png")
    for name in names:
        with Image.open(tmp_path / name) as im:
            im.load()
            assert im.mode in ("RGB", "RGBA") and np.asarray(im).max() <= 39  # what PIL gives
        assert np.array_equal(load_rgb(tmp_path / name), expected), name

    from rsclip_utils.images import depth_note, open_image  # what was done, said

    for name in names:
        note = depth_note(tmp_path / name)
        assert "16-bit" in note and "stretched" in note, name
        assert open_image(tmp_path / name).info["stretch"] == note
    assert "bands 1-3 become R, G, B (band 4 left out)" in depth_note(tmp_path / "rgbx.tif")
    # the readers list it: a scene folder of one such image
    (tmp_path / "set" / "Farm").mkdir(parents=True)
    tifffile.imwrite(tmp_path / "set" / "Farm" / "x.tif", a, photometric="rgb",
                     extrasamples=["unspecified"])
    res = ds.read_scene_folders(tmp_path / "set")
    assert res.report.counts() == {"deep_image": 1}
    assert "band 4 left out" in str(res.report.problems[0])
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    assert depth_note(tmp_path / "plain.png") is None  # 8-bit files: as PIL decodes them
