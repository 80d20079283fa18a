# One command per intent; each sets itself up from a fresh clone (venv in .venv, editable install).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup test reproduce long readme bench lint clean-nb clean

# pip -qq: errors only (a machine's pip configuration can name package folders it lacks, and pip
# then warns once per package while installing from the rest)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
# LAION CLIP_benchmark, the independent oracle of tests/test_clip_benchmark_oracle.py, without its
# dependencies: the modules the test uses import only torch, tqdm, torchvision and scikit-learn
# (installed above), while the package requires transformers and pycocoevalcap, unneeded here
	$(BIN)/python -m pip install -qq --disable-pip-version-check --no-deps clip-benchmark==1.6.2
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

reproduce: $(STAMP)
	$(BIN)/python -m rsclip_utils.run --profile default --out runs/default
# the README's tables against this run: a difference is said (which line), not a failure of the run
	$(BIN)/python -m rsclip_utils.readme_results runs/default --check || true

# the data ablation's full budget study (three seeds, up to 64 passes over RET): 47 min here
long: $(STAMP)
	$(BIN)/python -m rsclip_utils.run --profile long --out runs/long
	$(BIN)/python -m rsclip_utils.readme_results runs/long --check || true

# the README's result tables, rewritten from runs/default/metrics.json (and runs/long's)
readme: $(STAMP)
	$(BIN)/python -m rsclip_utils.readme_results runs/default
	if [ -f runs/long/metrics.json ]; then $(BIN)/python -m rsclip_utils.readme_results runs/long; fi

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check rsclip_utils tests benchmarks notebooks

clean-nb: $(STAMP)
	$(BIN)/python -m rsclip_utils.nbcheck --strip notebooks/*.ipynb

clean:
	rm -rf runs .pytest_cache .hypothesis
