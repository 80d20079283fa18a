"""What every reader shares (rsclip_utils.datasets._common): images load as RGB."""

import numpy as np

from rsclip_utils import datasets as ds
from rsclip_utils.datasets import IMAGE_EXTENSIONS


def test_every_real_image_loads_as_rgb(realdata):
    paths = [p for p in realdata.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS]
    assert len(paths) > 100
    for p in paths:
        img = ds.load_rgb(p)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8, p
    geotiff = ds.load_rgb(realdata / "geotiff_landsat_rasterio" / "RGB.byte.tif")
    assert geotiff.shape == (718, 791, 3)
