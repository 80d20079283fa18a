"""Reader of the counting set's TSV (rsclip_utils.datasets.counting)."""

import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError


def test_count_tsv_bad_row(tmp_path):
    path = tmp_path / "counts.tsv"
    path.write_text("filename\tcategory\tcount\tcaption\na.jpg\tplane\tthree\tx\n")
    with pytest.raises(FormatError) as e:
        ds.read_count_tsv(path)
    assert e.value.line == 2
