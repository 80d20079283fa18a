"""Progress bars (rsclip_utils.progress): tqdm's own bar where a person watches, lines of text in
a headless run, which every static viewer of an executed notebook and every log reads."""

import io

from tqdm.std import tqdm as text_tqdm

from rsclip_utils import progress


def test_a_headless_bar_writes_lines_not_redraws(monkeypatch):
    monkeypatch.setenv(progress.HEADLESS, "1")
    out = io.StringIO()
    bar = progress.tqdm(total=5, desc="train", file=out, mininterval=0, delay=0)
    for _ in range(5):
        bar.update()
    bar.close()
    text = out.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and lines and all(line.startswith("train:") for line in lines)
    assert "5/5" in lines[-1] and len(lines) == len(set(lines))  # each line a new state


def test_a_headless_bar_is_throttled_and_a_disabled_one_says_nothing(monkeypatch):
    monkeypatch.setenv(progress.HEADLESS, "1")
    out = io.StringIO()
    for _ in progress.tqdm(range(10_000), desc="many", file=out):
        pass
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "10000/10000" in lines[0]  # done within 15 s: its last line
    quiet = io.StringIO()
    for _ in progress.tqdm(range(3), file=quiet, disable=True):
        pass
    assert quiet.getvalue() == ""


def test_where_a_person_watches_it_is_tqdm_auto(monkeypatch):
    for value in (None, "0"):
        if value is None:
            monkeypatch.delenv(progress.HEADLESS, raising=False)
        else:
            monkeypatch.setenv(progress.HEADLESS, value)
        out = io.StringIO()
        bar = progress.tqdm(total=1, file=out)
        assert not progress.headless() and not isinstance(bar.fp._wrapped, progress._Lines)
        bar.close()
    monkeypatch.setenv(progress.HEADLESS, "1")
    bar = progress.tqdm(total=1, file=io.StringIO())
    assert isinstance(bar, text_tqdm)
    assert isinstance(getattr(bar.fp, "_wrapped", bar.fp), progress._Lines)
    bar.close()


def test_a_headless_bar_says_its_last_state_once(monkeypatch):
    monkeypatch.setenv(progress.HEADLESS, "1")
    out = io.StringIO()
    bar = progress.tqdm(total=2, desc="runs", file=out, mininterval=0, delay=0)
    bar.update(2)
    bar.refresh()  # as tqdm's close does: the same state, later
    bar.close()
    lines = out.getvalue().splitlines()
    assert sum("2/2" in line for line in lines) == 1
