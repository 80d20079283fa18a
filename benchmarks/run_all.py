"""Run every benchmark script and rewrite ``benchmarks/RESULTS.md`` from this one run.

Each ``bench_*.py`` prints Markdown tables whose every number stands beside a baseline measured in
the same process; this script runs them one after another on this machine, and writes their
output under a header naming the date, the machine (CPU, cores, memory, GPU) and the package
versions, with each script's own description of what it measures and its wall time.

    python benchmarks/run_all.py [--only dedup,m2b] [--out benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GPU_RESULTS = HERE / "gpu" / "LAST_RUN.md"
sys.path.insert(0, str(HERE.parent))

from rsclip_utils.report import machine, versions  # noqa: E402


def scripts(only: str | None = None) -> list[Path]:
    """The benchmark scripts in name order (only those named, e.g. ``"dedup,m2b"``)."""
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {w.strip() for w in only.split(",")}
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def description(path: Path) -> tuple[str, str]:
    """A script's title (first docstring line) and the rest of its docstring, usage lines out."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or path.stem
    first, _, rest = doc.partition("\n")
    body = "\n".join(ln for ln in rest.splitlines() if not ln.strip().startswith("python "))
    return first.strip().rstrip("."), body.strip()


def tidy(output: str) -> str:
    """A blank line before each table that follows a text line, so that Markdown renders it."""
    out: list[str] = []
    for line in output.splitlines():
        if line.startswith("|") and out and out[-1].strip() and not out[-1].startswith("|"):
            out.append("")
        out.append(line)
    return "\n".join(out)


def run_script(path: Path) -> tuple[str, float, int]:
    """Its stdout (stderr appended on failure), wall time in seconds and exit status."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=HERE.parent)
    out = tidy(proc.stdout.strip())
    if proc.returncode:
        out += f"\n\n**failed** (exit {proc.returncode}):\n\n```\n{proc.stderr[-3000:]}\n```"
    return out, time.perf_counter() - start, proc.returncode


def main(argv: list[str] | None = None) -> int:
    """Run the scripts, write the results file; exit status 1 if any script failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated names, e.g. dedup,m2b")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    m, v = machine(), versions()
    lines = ["# Benchmark results", "",
             "Written by `make bench` (`benchmarks/run_all.py`) from one run of every script on "
             "the machine below. Ratios are what travel between machines; absolute numbers "
             "hold for this machine only.", "",
             f"- date: {datetime.date.today().isoformat()}",
             f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, GPU: {m['gpu']}",
             f"- platform: {v['platform']}, Python {v['python']}",
             "- packages: " + ", ".join(f"{k} {val}" for k, val in v.items()
                                        if k not in ("python", "platform")), ""]
    failed = 0
    total = time.perf_counter()
    for path in scripts(args.only):
        print(f"== {path.name}", flush=True)
        title, body = description(path)
        out, seconds, rc = run_script(path)
        failed += rc != 0
        print(out, flush=True)
        lines += [f"## {title} (`benchmarks/{path.name}`)", "", body, "", out, "",
                  f"_{path.name}: {seconds:.0f} s wall time._", ""]
    lines.append(f"Total: {time.perf_counter() - total:.0f} s.")
    if GPU_RESULTS.exists():  # measured on a lent GPU machine; make bench cannot remake it
        lines += ["", "## The GPU check, last run on a GPU (`benchmarks/gpu_check.sh`; "
                  "copied from `benchmarks/gpu/LAST_RUN.md`, not rewritten by `make bench`)",
                  "", GPU_RESULTS.read_text().strip()]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"written: {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
