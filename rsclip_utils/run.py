"""Run the course notebooks in order through papermill and write ``report.md``.

    python -m rsclip_utils.run --profile {smoke,default,paper} [--only 00,03] [--out DIR]
    python -m rsclip_utils.run --profile paper --data-root DIR

Notebooks are taken in filename order (``notebooks/NN_*.ipynb``) and executed with the kernel
``python3`` bound to this interpreter, in the notebooks folder, with a per-cell timeout from the
profile; executed copies go to ``<out>/notebooks/``. The first failure stops the run, is named
with its notebook and cell, and makes the exit status non-zero. ``make reproduce`` is the
default profile; the tests run the smoke profile through the same code.

The paper profile first checks everything it will need (:func:`paper_preflight`): a CUDA GPU, the
RET-3 datasets complete under ``--data-root`` (and no other registered dataset half there), and
the OpenAI and RemoteCLIP weights cached or downloadable (GPU and weights only when notebook 05
or 06 is selected: ``--only 00,02,03,04`` prepares the manifest on a CPU machine). When anything
is missing it stops before the first notebook, listing all of it, so that a run never fails
half-way for want of data.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from .atomic import write_json
from .config import PROFILES, get_profile
from .paths import repo_root, resolve_run_dir
from .progress import HEADLESS
from .report import machine, write_report


def notebook_paths(folder: str | Path | None = None) -> list[Path]:
    """The numbered notebooks in filename order (the order is the filename)."""
    folder = Path(folder) if folder else repo_root() / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def select(paths: list[Path], only: str | None) -> list[Path]:
    """Keep the notebooks whose two-digit prefixes are listed (``"00,03"``); all when None."""
    if only is None:
        return paths
    wanted = [p.strip() for p in only.split(",") if p.strip()]
    if not wanted:
        raise SystemExit(f"--only {only!r}: no notebook number given (e.g. --only 00,03)")
    known = {p.name[:2] for p in paths}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise SystemExit(
            f"--only: no notebook numbered {', '.join(unknown)}; have {', '.join(sorted(known))}"
        )
    return [p for p in paths if p.name[:2] in wanted]


def bind_python3_kernel(folder: Path) -> None:
    """Make the kernel named ``python3`` run this very interpreter (a user-level kernelspec of
    the same name would otherwise win), by putting a kernelspec first on JUPYTER_PATH."""
    spec_dir = folder / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (rsclip)",
                "language": "python",
            }
        )
    )
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(folder) + (os.pathsep + old if old else "")


KERNEL_LOG = "kernels.log"


def kernel_manager_class(log: Path | None = None):
    """nbclient's kernel manager, with three changes for unattended runs, whose console a person
    reads for what went wrong: on POSIX the kernel talks over local sockets (``ipc``), not TCP,
    so it has no reason to warn "Kernel is running over TCP without encryption"; shutting it
    down after the last cell asks it to stop without first sending SIGINT, which jupyter_client
    does by default and which, landing while the kernel still answers a message, logs "ERROR |
    KeyboardInterrupt caught in kernel" after a notebook that succeeded (a kernel that does not
    stop is still killed); and the kernel process's own log lines (its stderr: ipykernel's
    messages, asyncio's at shutdown, C-level warnings) are appended to ``log`` (the run folder's
    ``kernels.log``) instead of the console. What the notebooks' cells print goes to the
    executed notebooks as before (and what they print to stderr, progress lines among them, to
    the console too: papermill's ``log_output``)."""
    from jupyter_client.manager import AsyncKernelManager

    class UnattendedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if os.name == "posix":
                self.transport = "ipc"

        async def _async_launch_kernel(self, kernel_cmd, **kw) -> None:
            if log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(log, "ab") as stream:  # noqa: PTH123 - the kernel keeps its own copy
                kw["stderr"] = stream
                await super()._async_launch_kernel(kernel_cmd, **kw)

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:  # a shutdown: the shutdown request, then a kill if needed
                return
            await super()._async_interrupt_kernel()

    return UnattendedKernelManager


class PreflightError(SystemExit):
    """The paper profile cannot start; the message lists everything that is missing."""


def paper_preflight(data_root: str | Path | None, model: str = "ViT-B-32",
                    cuda: bool | None = None, needs_model: bool = True) -> list[str]:
    """What the paper profile lacks here, one line each (empty: it can start). The data stages
    alone (``needs_model=False``: notebooks 00-04) need the data but neither a GPU nor weights,
    so a manifest can be prepared on a CPU machine and trained on elsewhere."""
    from .catalog import load_registry, paper_data_status
    from .models import weights_problem

    problems = []
    if cuda is None and needs_model:
        import torch

        cuda = torch.cuda.is_available()
    if needs_model and not cuda:
        problems.append(f"no CUDA GPU: the paper recipe trains {model} with AMP for 108,215 steps "
                        "(on Colab: Runtime > Change runtime type > GPU)")
    if not data_root:
        problems.append("no --data-root: the folder holding the real datasets "
                        "(data/README.md; python -m rsclip_utils.catalog check DIR)")
    elif not Path(data_root).is_dir():
        problems.append(f"--data-root {data_root} does not exist")
    else:
        registry = load_registry()
        statuses, data_problems = paper_data_status(data_root, registry)
        problems += data_problems
        scene_sets = [k for k, s in statuses.items()
                      if s.state == "complete" and registry[k].kind == "CLS"]
        if needs_model and not scene_sets:
            problems.append("no scene-classification set complete (zero-shot, linear probe and "
                            "k-NN need one, Table III): e.g. AID, RESISC45 or EuroSAT; "
                            "python -m rsclip_utils.catalog list")
    for tag in ("openai", "remoteclip") if needs_model else ():
        problem = weights_problem(model, tag)
        if problem:
            problems.append(problem)
    return problems


def run(
    profile: str,
    out: str | Path | None = None,
    only: str | None = None,
    seed: int = 0,
    timeout: int | None = None,
    notebooks_dir: str | Path | None = None,
    log_output: bool = True,
    data_root: str | Path | None = None,
) -> tuple[Path, list[dict]]:
    """Execute the notebooks; returns the run folder and one result per notebook."""

    prof = get_profile(profile)
    paths = select(notebook_paths(notebooks_dir), only)
    if profile == "paper":
        needs_model = any(p.name[:2] >= "05" for p in paths)
        problems = paper_preflight(data_root, prof.train.model, needs_model=needs_model)
        if problems:
            raise PreflightError("the paper profile cannot start; nothing was run. Missing:\n  - "
                                 + "\n  - ".join(problems))
        data_root = str(Path(data_root).resolve())
    parameters = {"PROFILE": profile, "SEED": seed, "INTERACTIVE": False}
    if data_root:
        parameters["DATA_ROOT"] = str(data_root)
    if timeout is not None and timeout <= 0:
        raise SystemExit(f"--timeout {timeout}: a per-cell timeout must be positive seconds")
    if out is not None and not str(out).strip():
        raise SystemExit("--out '': an empty run folder name (leave --out out for runs/<profile>)")
    try:  # before any notebook starts: can the run folder be written?
        run_dir = resolve_run_dir(out or "", profile)
        executed = run_dir / "notebooks"
        executed.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise SystemExit(f"--out {out or 'runs/' + profile}: cannot write the run folder there "
                         f"({e.strerror or type(e).__name__}); choose another --out") from None
    bind_python3_kernel(run_dir / ".jupyter")
    write_json(run_dir / "machine.json", machine())  # the README check compares like with like
    if not paths:
        raise SystemExit(f"no notebooks found in {notebooks_dir or repo_root() / 'notebooks'}")
    headless_before = os.environ.get(HEADLESS)
    os.environ[HEADLESS] = "1"  # the kernels' progress bars as lines (rsclip_utils.progress)
    try:
        results = _execute(paths, profile, parameters, run_dir, executed, timeout or
                           prof.cell_timeout_s, log_output)
    finally:
        if headless_before is None:
            os.environ.pop(HEADLESS, None)
        else:
            os.environ[HEADLESS] = headless_before
    report = write_report(run_dir, profile, results)
    print(f"report: {report}", flush=True)
    return run_dir, results


class _OneLine(logging.Filter):
    """papermill logs what a cell prints to stderr (progress lines among them) with the text's
    own newline, which the log handler doubles: one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = record.msg.rstrip("\n")
        return True


def _execute(paths, profile, parameters, run_dir, executed, timeout, log_output) -> list[dict]:
    """Run each notebook through papermill, in order, until one fails."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    papermill_log = logging.getLogger("papermill")
    if not any(isinstance(f, _OneLine) for f in papermill_log.filters):
        papermill_log.addFilter(_OneLine())

    results: list[dict] = []
    failed = False
    for nb in paths:
        if failed:
            results.append({"notebook": nb.name, "status": "not run"})
            continue
        print(f"== {nb.name} (profile {profile})", flush=True)
        start = time.perf_counter()
        result = {"notebook": nb.name}
        try:
            pm.execute_notebook(
                str(nb),
                str(executed / nb.name),
                # INTERACTIVE=False: no widgets headless, they can stall nbclient
                # (jupyter/nbconvert#1921, jupyter/nbclient#312)
                parameters={**parameters, "RUN_DIR": str(run_dir)},
                kernel_name="python3",
                language="python",
                cwd=str(nb.parent),
                execution_timeout=timeout,
                log_output=log_output,
                progress_bar=False,
                kernel_manager_class=kernel_manager_class(run_dir / KERNEL_LOG),
            )
            result["status"] = "ok"
        except PapermillExecutionError as e:
            failed = True
            result.update(
                status="failed",
                cell=f"{e.cell_index + 1} (In [{e.exec_count}])",
                error=f"{e.ename}: {e.evalue}",
            )
        except Exception as e:  # noqa: BLE001 - a timeout or a dead kernel fails the run too
            failed = True
            result.update(status="failed", cell="?", error=f"{type(e).__name__}: {e} (the "
                          f"kernel's own log: {run_dir / KERNEL_LOG})")
        result["seconds"] = round(time.perf_counter() - start, 1)
        results.append(result)
        print(f"   {result['status']} in {result['seconds']} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m rsclip_utils.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", default="default", choices=sorted(PROFILES))
    parser.add_argument("--only", help="comma-separated notebook numbers, e.g. 00,03")
    parser.add_argument("--out", help="run folder (default runs/<profile>)")
    parser.add_argument("--data-root", help="paper profile: the folder of the real datasets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, help="per-cell timeout in seconds")
    parser.add_argument("--notebooks", help=argparse.SUPPRESS)  # another folder (tests)
    parser.add_argument("--quiet", action="store_true", help="do not echo notebook output")
    args = parser.parse_args(argv)
    _, results = run(
        args.profile,
        args.out,
        args.only,
        args.seed,
        args.timeout,
        args.notebooks,
        log_output=not args.quiet,
        data_root=args.data_root,
    )
    for r in results:
        if r["status"] == "failed":
            print(
                f"FAILED: notebook {r['notebook']}, cell {r['cell']}: {r['error']}", file=sys.stderr
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
