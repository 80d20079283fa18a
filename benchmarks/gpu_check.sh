#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py): ViT-B-32 throughput and memory per precision, the
# loaders against the step, a short run of the paper profile's loop on shards, the card.
# Needs nothing from the internet; under 10 minutes on one GPU. On a CPU: --dry-run (seconds).
#   bash benchmarks/gpu_check.sh [--dry-run] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
exec "$PY" benchmarks/gpu_check.py "$@"
