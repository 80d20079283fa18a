"""Progress bars that read right wherever they are looked at. In a notebook a person runs, tqdm's
widget bar; in a run of the whole course (``python -m rsclip_utils.run`` sets
``RSCLIP_HEADLESS=1`` for its kernels) a text bar written as a new line every
``HEADLESS_INTERVAL`` seconds and at the end (no line at the start; a bar done sooner writes its
last line only), so that the executed notebooks read in any static
viewer (a widget bar saved without its state shows as "0%| | 0/3330") and the run log holds a
few lines instead of carriage returns. Every stage's bar comes from :func:`tqdm` here.
Introduced in notebook 00 (the embedded set's generation)."""

from __future__ import annotations

import os
import re
import sys

from tqdm.auto import tqdm as _auto_tqdm
from tqdm.std import tqdm as _text_tqdm

HEADLESS = "RSCLIP_HEADLESS"
HEADLESS_INTERVAL = 15.0  # seconds between two lines of a headless bar


def headless() -> bool:
    """True in a run no person watches (the runner's kernels)."""
    return os.environ.get(HEADLESS, "") not in ("", "0")


class _Lines:
    """A stream that turns each redraw of a text bar (carriage return, bar) into a line."""

    def __init__(self, stream):
        self.stream = stream
        self.last = None

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip()
        state = re.sub(r"\|[^|]*\|", "|", text.split(" [")[0])  # no bar, no timing: the counts
        if text and state != self.last:  # a redraw of the same state (at close) says nothing
            self.stream.write(text + "\n")
            self.last = state

    def flush(self) -> None:
        self.stream.flush()


class _HeadlessBar(_text_tqdm):
    """A text bar that says nothing for its first ``delay`` seconds (no "0%" line) and, if it
    ended before saying anything, says once where it ended. No monitor thread: lines come at
    ``mininterval`` only."""

    monitor_interval = 0

    def close(self):
        if not self.disable and getattr(self, "last_print_t", 0) < self.start_t + self.delay:
            self.delay = 0  # never shown: the closing line is its one line
        super().close()


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm``, or in a headless run a text bar that writes lines (see the module)."""
    if not headless():
        return _auto_tqdm(*args, **kwargs)
    kwargs.setdefault("file", _Lines(kwargs.pop("file", None) or sys.stderr))
    kwargs.setdefault("mininterval", HEADLESS_INTERVAL)
    kwargs.setdefault("delay", HEADLESS_INTERVAL)
    kwargs.setdefault("ascii", True)
    kwargs.setdefault("ncols", 90)
    return _HeadlessBar(*args, **kwargs)
