"""The CPU training step of the default profile, and what could make it faster.

rsclip-tiny from the base model, batch 32 (the default profile's), the loop's own
``train_step`` on random 64-px images and a fixed caption; every variant is measured in this
process, in rounds that alternate the variants (machines of this kind differ, and so do
minutes on one machine), and reported as the median time per step and its ratio to the
baseline measured in the same rounds:

1. the baseline: float32, eager, the threads torch chooses (the loop's CPU default);
2. bfloat16 autocast (the loss in float32, as the loop does): native on CPUs with avx512_bf16
   or AMX, emulated elsewhere; the CPU's flags are printed;
3. ``torch.compile`` of the model, float32 and bfloat16, with its compile time (paid once per
   model: the default profile trains 7, the ablation's 4 runs of about 300 steps and 3 runs of
   250);
4. one thread instead of all;
5. batch 16 and 64: the time per image against batch 32's (does the step have a fixed cost?);
6. ``torch.set_flush_denormal(True)``;
7. two runs at once, one process and one thread each (the ablation's runs are independent):
   their steps per second together against one run's with every thread.

The reading below the table gives the numbers that decide the default profile's choice.

    python benchmarks/bench_cpu_step.py
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

# a cold compile every run: inductor's on-disk cache would otherwise hide the compile time
# that a fresh machine (and each new process of the ablation) pays
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_cpu_step_inductor_")

import torch  # noqa: E402

logging.getLogger().setLevel(logging.ERROR)

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rsclip_utils.models import create_model  # noqa: E402
from rsclip_utils.training import train_step  # noqa: E402

STEPS, WARMUP, ROUNDS = 20, 3, 3


def cpu_flags() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    wanted = [f for f in flags if f in ("avx512f", "avx512_bf16", "amx_bf16", "avx2")]
    return ", ".join(wanted) or "none of avx2, avx512f, avx512_bf16, amx_bf16"


class Variant:
    """One way of running the step: a model, its optimizer and a batch, made once."""

    def __init__(self, name, batch=32, dtype=None, compile_model=False, threads=None,
                 flush_denormal=False):
        self.name, self.batch, self.dtype = name, batch, dtype
        self.threads, self.flush = threads, flush_denormal
        torch.manual_seed(0)
        bundle = create_model("rsclip-tiny", "base", device="cpu")
        self.model = bundle.model
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-5, fused=True)
        self.net = torch.compile(self.model) if compile_model else self.model
        self.images = torch.randn(batch, 3, 64, 64)
        self.texts = bundle.tokenizer(["there are three planes in the picture ."] * batch)
        start = time.perf_counter()
        with self.settings():
            for _ in range(WARMUP):
                self.step()
        self.first = time.perf_counter() - start  # with compile: the compile time
        self.times: list[float] = []

    def settings(self):
        variant = self

        class _Settings:
            def __enter__(self):
                self.threads = torch.get_num_threads()
                if variant.threads:
                    torch.set_num_threads(variant.threads)
                torch.set_flush_denormal(variant.flush)

            def __exit__(self, *exc):
                torch.set_num_threads(self.threads)
                torch.set_flush_denormal(False)

        return _Settings()

    def step(self):
        train_step(self.net, self.opt, None, self.images, self.texts, self.dtype)

    def measure(self):
        with self.settings():
            start = time.perf_counter()
            for _ in range(STEPS):
                self.step()
            self.times.append((time.perf_counter() - start) / STEPS)

    @property
    def per_step(self) -> float:
        return statistics.median(self.times)


def _worker(steps: int, queue, barrier) -> None:
    """One process, one thread: the baseline's step ``steps`` times, timed from the moment both
    workers are ready (``barrier``), so that the two time the same window; puts its seconds."""
    torch.set_num_threads(1)
    v = Variant("worker", threads=1)
    for _ in range(WARMUP):  # outside the window
        v.step()
    barrier.wait()
    start = time.perf_counter()
    for _ in range(steps):
        v.step()
    queue.put(time.perf_counter() - start)


def two_at_once(steps: int) -> float:
    """Steps per second of two one-thread processes running at the same time, together."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue, barrier = ctx.Queue(), ctx.Barrier(2)
    procs = [ctx.Process(target=_worker, args=(steps, queue, barrier)) for _ in range(2)]
    for p in procs:
        p.start()
    seconds = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return 2 * steps / max(seconds)


def main() -> None:
    print(f"CPU flags: {cpu_flags()}; {torch.get_num_threads()} threads; torch "
          f"{torch.__version__}; rsclip-tiny, {STEPS} steps x {ROUNDS} rounds after {WARMUP} "
          "warm-up steps each")
    variants = [
        Variant("float32, eager (baseline)"),
        Variant("bfloat16 autocast, eager", dtype=torch.bfloat16),
        Variant("float32, torch.compile", compile_model=True),
        Variant("bfloat16 autocast, torch.compile", dtype=torch.bfloat16, compile_model=True),
        Variant("float32, eager, 1 thread", threads=1),
        Variant("float32, eager, batch 16", batch=16),
        Variant("float32, eager, batch 64", batch=64),
        Variant("float32, eager, flush denormals", flush_denormal=True),
    ]
    pairs = []
    for _ in range(ROUNDS):
        for v in variants:
            v.measure()
        pairs.append(two_at_once(STEPS))
    base = variants[0]
    per_image = base.per_step / base.batch
    print()
    print("| variant | ms per step | ms per image | ratio to the baseline (time per image) "
          "| first steps (s; compile included) |")
    print("|---|---|---|---|---|")
    for v in variants:
        print(f"| {v.name} | {1000 * v.per_step:.1f} (batch {v.batch}) | "
              f"{1000 * v.per_step / v.batch:.2f} | {v.per_step / v.batch / per_image:.2f}x | "
              f"{v.first:.1f} |")
    together = statistics.median(pairs)
    print(f"| two runs at once, one thread each | - | {1000 / together / base.batch:.2f} | "
          f"{1 / together / base.per_step:.2f}x | - |")
    bf16, comp = variants[1], variants[3]
    saved = (base.per_step - comp.per_step)
    print()
    print(f"Reading: bfloat16 autocast runs at {base.per_step / bf16.per_step:.2f}x the baseline's "
          f"speed here; compiled bfloat16 at {base.per_step / comp.per_step:.2f}x, after "
          f"{comp.first:.0f} s of compiling and warming up, which {saved * 1000:.0f} ms saved per "
          f"step repays after {comp.first / saved if saved > 0 else float('inf'):.0f} steps of "
          "one model (the default profile's runs are 250 to about 300 steps, each a new model). "
          "The "
          "step's time grows with the batch: "
          f"{1000 * variants[5].per_step / 16:.2f} / {1000 * per_image:.2f} / "
          f"{1000 * variants[6].per_step / 64:.2f} ms per image at batch 16 / 32 / 64. Two "
          f"one-thread runs at once make {together * base.per_step:.2f}x the steps per second "
          "of one run with every thread.")


if __name__ == "__main__":
    main()
