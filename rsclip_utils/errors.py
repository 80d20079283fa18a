"""The project's one error for bad input: :class:`FormatError`, naming the file and line.

Introduced in notebook 00. The rule of the project: bad input either raises a
:class:`FormatError` saying file, line and what was expected (strict mode), or, in lenient
batch mode, is counted and listed in the reader's report
(:class:`~rsclip_utils.datasets.read_report.ReadReport`).
"""

from __future__ import annotations

from pathlib import Path


class FormatError(ValueError):
    """A file does not hold what its format promises."""

    def __init__(self, file: str | Path, line: int | None, message: str, expected: str = ""):
        self.file = str(file)
        self.line = line
        self.message = message
        self.expected = expected
        where = f"{self.file}:{line}" if line is not None else self.file
        text = f"{where}: {message}"
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)
