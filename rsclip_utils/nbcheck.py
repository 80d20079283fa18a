"""Checks and clean-up for the course notebooks: committed without outputs, one literal-only
``parameters`` cell. Used by the tests and by ``make clean-nb``.

    python -m rsclip_utils.nbcheck --strip notebooks/*.ipynb
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat


def has_outputs(nb) -> bool:
    """True when any code cell carries outputs or an execution count."""
    return any(
        c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in nb.cells
    )


def strip_outputs(path: str | Path) -> bool:
    """Remove outputs and execution counts in place; True when the file changed."""
    nb = nbformat.read(str(path), as_version=4)
    if not has_outputs(nb):
        return False
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
    nbformat.write(nb, str(path))
    return True


def parameters_cell(nb):
    """The cell tagged ``parameters`` (papermill injects values after it), or None."""
    for c in nb.cells:
        if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", []):
            return c
    return None


def non_literal_statements(source: str) -> list[str]:
    """Statements of a parameters cell that are not ``NAME = <literal>``."""
    bad = []
    for node in ast.parse(source).body:
        ok = (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        )
        if ok:
            try:
                ast.literal_eval(node.value)
            except ValueError:
                ok = False
        if not ok:
            bad.append(ast.get_source_segment(source, node) or ast.dump(node))
    return bad


def main(argv: list[str] | None = None) -> int:
    """``--strip`` the outputs of the notebooks given; returns the exit status."""
    args = argv if argv is not None else sys.argv[1:]
    if not args or args[0] != "--strip":
        print(__doc__)
        return 2
    for p in args[1:]:
        if strip_outputs(p):
            print(f"stripped {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
