"""A notebook's own definitions, without running it: the functions and classes it writes in
its cells, for tests that tie a notebook's algorithm to the package and to an oracle."""

from __future__ import annotations

import ast
import json
import types
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

_DEFINITIONS = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _is_definition(node: ast.stmt) -> bool:
    """A def, a class, an import, or a constant (a name bound to a literal)."""
    if isinstance(node, _DEFINITIONS):
        return True
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        try:
            ast.literal_eval(node.value)
            return True
        except ValueError:
            return False
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)  # a docstring


def load_definitions(name: str) -> types.SimpleNamespace:
    """The definitions of ``notebooks/<name>.ipynb``: every import of every code cell, then every
    cell that holds only definitions, executed in order in one namespace; nothing else runs."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
    imports, cells = [], []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        imports += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        if tree.body and all(_is_definition(n) for n in tree.body):
            cells.append(tree)
    namespace: dict = {"__name__": f"notebook_{name}"}
    exec(compile(ast.Module(body=imports, type_ignores=[]), f"{name}:imports", "exec"), namespace)
    for k, tree in enumerate(cells):
        exec(compile(tree, f"{name}.ipynb:definitions[{k}]", "exec"), namespace)
    return types.SimpleNamespace(**namespace)


def notebook_sources() -> dict[str, str]:
    """Every notebook's code, cell by cell joined, by notebook name."""
    out = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text())
        out[path.stem] = "\n".join("".join(c["source"]) for c in nb["cells"]
                                   if c["cell_type"] == "code")
    return out
