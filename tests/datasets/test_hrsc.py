"""Reader of HRSC2016 XML (rsclip_utils.datasets.hrsc)."""

import numpy as np

from rsclip_utils import datasets as ds


def test_hrsc_rotated_box(realdata):
    res = ds.read_hrsc(realdata / "hrsc2016_mmrotate" / "FullDataSet" / "Annotations")
    (r,) = res
    assert (r.image_id, r.width, r.height) == ("100000006", 1172, 816)
    (o,) = r.objects
    assert o.label == "ship" and o.box == (119, 75, 587, 789)
    corners = np.array(o.polygon[0]).reshape(4, 2)
    assert np.allclose(corners.mean(0), (341.2143, 443.3325))
    sides = np.linalg.norm(np.roll(corners, -1, 0) - corners, axis=1)
    assert np.allclose(sorted(sides), sorted([178.2595, 178.2595, 778.4297, 778.4297]))
    assert res.report.counts() == {"missing_image": 1}
