"""What one reader call met: counts, and every problem with file and line.

Introduced in notebook 00. Quirks that real datasets are known to have (an empty label file, a
box 1 px outside the image, a label whose image is missing) are never fatal: they are always
noted in the report. Malformed input raises a :class:`~rsclip_utils.errors.FormatError` in
strict mode and is counted and listed here in lenient mode.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import FormatError


@dataclass
class Problem:
    """One thing a reader met: what kind, where, and what it did about it."""

    kind: str
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"[{self.kind}] {where}: {self.message}"


@dataclass
class ReadReport:
    """What one reader call met: counts, and every problem with file and line.

    ``strict=True`` makes :meth:`malformed` raise; ``strict=False`` (lenient batch mode) counts
    and lists instead. :meth:`note` never raises; its kinds are ``empty_file``, ``empty_folder``,
    ``missing_image``, ``missing_mask``, ``box_clipped``, ``box_outside_image``,
    ``size_mismatch``, ``not_an_image``, ``unreadable_image``, ``truncated_image``,
    ``deep_image`` (deeper than 8 bits or more than three bands: which bands become R, G, B and
    the stretch, :func:`~rsclip_utils.images.depth_note`), ``undecodable_bytes`` (lenient JSON;
    the entries holding them are malformed), ``no_objects``, ``empty_caption``, ``no_captions``,
    ``other_file`` (a file or sub-folder in a label folder that is not read), the scene folders'
    ``nested_folder`` (a class folder's sub-folder, read as that class), ``skipped_folder`` and
    ``not_in_class``, and ``left_out`` (a file a derived set does not use, with the reasons:
    :mod:`~rsclip_utils.datasets.remotecount`).
    """

    source: str
    strict: bool = True
    files: int = 0
    records: int = 0
    objects: int = 0
    captions: int = 0
    problems: list[Problem] = field(default_factory=list)

    def malformed(self, file, line, message: str, expected: str = "", kind: str = "malformed"):
        """A line or element that does not parse: raise (strict) or count and list (lenient)."""
        if self.strict:
            raise FormatError(file, line, message, expected)
        text = f"{message} (expected {expected})" if expected else message
        self.problems.append(Problem(kind, str(file), line, text))

    def note(self, kind: str, file, line, message: str) -> None:
        """A handled quirk: counted and listed, never fatal."""
        self.problems.append(Problem(kind, str(file), line, message))

    def counts(self) -> dict[str, int]:
        """How many problems of each kind."""
        return dict(Counter(p.kind for p in self.problems))

    def merge(self, other: ReadReport) -> ReadReport:
        """Add another report's counts and problems to this one (same source, several files)."""
        self.files += other.files
        self.records += other.records
        self.objects += other.objects
        self.captions += other.captions
        self.problems.extend(other.problems)
        return self

    def to_dict(self, max_problems: int = 50) -> dict:
        """A JSON-ready summary: counts of each kind and the first problems in full."""
        return {
            "source": self.source,
            "files": self.files,
            "records": self.records,
            "objects": self.objects,
            "captions": self.captions,
            "problem_counts": self.counts(),
            "problems": [str(p) for p in self.problems[:max_problems]],
            "problems_left_out": max(0, len(self.problems) - max_problems),
        }

    def summary(self) -> str:
        """One line: files, records, objects, captions and problem counts."""
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items())) or "no problems"
        return (
            f"{self.source}: {self.files} files, {self.records} records, "
            f"{self.objects} objects, {self.captions} captions; {counts}"
        )
