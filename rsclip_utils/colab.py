"""Opening the notebooks in Colab: the badge each notebook carries and its Colab-only install
cell (a no-op anywhere else). Introduced in notebook 00.

The public repository is named once, in :data:`REPOSITORY`; after changing it, rewrite every
notebook's badge and install cell with ``python -m rsclip_utils.colab notebooks/*.ipynb``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

REPOSITORY = "remoteclip-step-by-step/remoteclip-step-by-step"
BRANCH = "main"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_CHECKOUT = "/content/remoteclip-step-by-step"
INSTALL_MARKER = "# Colab only:"


def badge_url(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` of the public repository."""
    return (f"https://colab.research.google.com/github/{repository}/blob/{branch}/"
            f"notebooks/{notebook}")


def badge_markdown(notebook: str) -> str:
    """The "Open in Colab" badge of one notebook, as Markdown."""
    return f"[![Open in Colab]({BADGE_IMAGE})]({badge_url(notebook)})"


def install_cell_source(repository: str = REPOSITORY) -> str:
    """The first code cell of every notebook: in Colab it clones the course and installs its
    package (editable), elsewhere it does nothing."""
    return f'''{INSTALL_MARKER} fetch the course and install its package; a no-op anywhere else
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    COURSE = "{COLAB_CHECKOUT}"
    REPOSITORY = "https://github.com/{repository}"
    if not os.path.isdir(COURSE):
        subprocess.run(["git", "clone", "--depth", "1", REPOSITORY, COURSE], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", COURSE], check=True)
    sys.path.insert(0, COURSE)  # the running kernel sees the editable install at once
    os.chdir(f"{{COURSE}}/notebooks")'''


def apply(path: str | Path) -> bool:
    """Give a notebook its badge (in the title cell) and its install cell (first code cell);
    True when the file changed."""
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(nb)
    title = nb.cells[0]
    lines = [ln for ln in title.source.splitlines() if "colab-badge.svg" not in ln]
    while lines and not lines[-1].strip():
        lines.pop()
    title.source = "\n".join(lines + ["", badge_markdown(path.name)])
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    source = install_cell_source()
    if code and nb.cells[code[0]].source.startswith(INSTALL_MARKER):
        nb.cells[code[0]].source = source
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(source))
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, str(path))
    return True


def main(argv: list[str] | None = None) -> int:
    """Rewrite the badges and install cells of the notebooks given."""
    for p in argv if argv is not None else sys.argv[1:]:
        if apply(p):
            print(f"updated {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
