"""``make bench``'s runner: what it takes from each script and how it lays the output out."""

from __future__ import annotations

import importlib.util

from rsclip_utils.paths import repo_root


def _runner():
    spec = importlib.util.spec_from_file_location("run_all",
                                                  repo_root() / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_script_is_run_and_described():
    run_all = _runner()
    names = [p.name for p in run_all.scripts()]
    assert names == sorted(p.name for p in (repo_root() / "benchmarks").glob("bench_*.py"))
    assert [p.name for p in run_all.scripts("dedup,m2b")] == ["bench_dedup.py", "bench_m2b.py"]
    for p in run_all.scripts():
        title, body = run_all.description(p)
        assert title and not title.endswith(".") and body, p.name
        assert "python benchmarks/" not in body  # the usage line is left out


def test_tables_after_text_get_a_blank_line():
    tidy = _runner().tidy
    assert tidy("machine: x\n| a |\n|---|\n| 1 |") == "machine: x\n\n| a |\n|---|\n| 1 |"
    assert tidy("| a |\n|---|") == "| a |\n|---|"
