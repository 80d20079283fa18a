"""Small files the tests write (tests only)."""

from __future__ import annotations

from PIL import Image


def blank_image(path, size=(100, 80)):
    """A flat-coloured RGB image of ``size`` at ``path`` (folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 120, 60)).save(path)
