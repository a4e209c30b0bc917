# Two commands for a newcomer:  `make book`  and  `make test`.
# Both create the virtual environment .venv from requirements.txt when it is missing or stale.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Pin BLAS/OpenMP threads so timings and results are reproducible on shared machines.
export OMP_NUM_THREADS ?= 2
export PYDEVD_DISABLE_FILE_VALIDATION = 1

.PHONY: venv book book-clean test test-fast lab bench homework clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The execution cache is keyed on each page's own source, not on coursekit: when the library changes,
# drop the cache (and Sphinx's environment, so pages are re-read) to execute every page with the new code.
COURSEKIT_SRC := $(shell find coursekit -name '*.py' -o -name '*.csv' 2>/dev/null)
LIB_STAMP     := _build/.coursekit-sources

$(LIB_STAMP): $(COURSEKIT_SRC)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

## Build the book into _build/html (executes every page; cached, so rebuilds re-run only changed pages).
# No MPLBACKEND here: the kernels that execute the pages inherit this environment, and with a non-inline
# backend every plt.show() cell outputs nothing (_ext/coursekit_site.py also drops one set by the caller).
# BOOK_DIR builds another book with this same recipe (the tests' throwaway books), from inside it: the
# execution cache path in _config.yml is relative to the working directory.
BOOK_DIR ?= .
book: $(STAMP) $(LIB_STAMP)
	cd $(BOOK_DIR) && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/jupyter-book build . -W --keep-going

book-clean:
	rm -rf _build

## Run the whole test suite (library, book build, homework grading, browser tests).
test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n 2 --dist loadgroup

## Library tests only: quick feedback while editing coursekit.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow and not browser"

## Open the book's pages in JupyterLab with live widgets (.jupyter/lab/settings: .md pages open as notebooks).
lab: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --LabApp.app_settings_dir="$(abspath .jupyter/lab/settings)" $(LAB_ARGS) book/

## Benchmarks against scikit-learn (writes tables under bench/).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## Regenerate the student versions in homework/ from solutions/.
homework: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m coursekit release --all

clean: book-clean
	rm -rf .pytest_cache .hypothesis
