"""Notebook checks (rsclip_utils.nbcheck)."""

from rsclip_utils.nbcheck import non_literal_statements


def test_non_literal_parameters_are_caught():
    assert non_literal_statements("A = 1\nB = 'x'\nC = [1, 2]") == []
    assert non_literal_statements("A = 1\nB = A + 1\nimport os") == ["B = A + 1", "import os"]
