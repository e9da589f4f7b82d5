# Two commands do everything: `make demo` and `make test`. Both set up first;
# set-up is idempotent and quick when already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install
NBVAL := --nbval-current-env --nbval-cell-timeout=600
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: setup system-deps warmup demo test lint size test-unit test-notebooks test-exercises lab bench clean

setup: system-deps $(STAMP) warmup

system-deps:
	@bash .ci/system-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev,oracle]' || $(PY) -m pip install -q -e '.[dev]'
	@touch $@

# Compiles every numba kernel into the on-disk cache once; a no-op when warm.
warmup: $(STAMP)
	@$(PY) -m d2lmods.warmup

demo: setup
	$(PY) -m d2lmods.demo
	@mkdir -p build/notebooks
	$(PY) -m d2lmods.viz.offline --execute --timeout 600 --output-dir build/notebooks notebooks/*.ipynb
	@echo "HTML copies of the chapter (they load nothing from the network): build/notebooks/"
	$(PY) -m autograder demo build/demo-course
	$(PY) -m autograder dashboard build/demo-course --assignment modules
	$(PY) -m autograder dashboard build/demo-course --assignment custom --out build/dashboard-custom.html
	@# the PyTorch edition of the same course (c.D2LCourse.library = "torch"), where torch is installed
	@if $(PY) -c 'import importlib.util as u, sys; sys.exit(u.find_spec("torch") is None)'; then \
	    $(PY) -m autograder demo build/demo-course-torch --library torch --quick && \
	    $(PY) -m autograder dashboard build/demo-course-torch --assignment modules \
	        --out build/dashboard-torch.html && \
	    $(PY) -m autograder dashboard build/demo-course-torch --assignment custom \
	        --out build/dashboard-torch-custom.html; \
	else echo "The PyTorch edition of the demo course is skipped: torch is not installed (pip install -e '.[oracle]')."; fi

test: setup lint size test-unit test-notebooks test-exercises

# Style, formatting and the import contracts of pyproject.toml (the README's layer diagram).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

# Lines of code per package (no docstrings or comments); printed, never enforced.
size:
	@$(PYTHON) .ci/size.py

test-unit: $(STAMP)
	$(PY) -m pytest

test-notebooks: $(STAMP)
	$(PY) -m pytest --nbval $(NBVAL) --nbval-sanitize-with notebooks/sanitize.cfg notebooks/

# The notebooks only: each assignment's checks_public.py shares its name with the others'.
test-exercises: $(STAMP)
	$(PY) -m pytest --nbval-lax $(NBVAL) exercises/source/*/*.ipynb

# The chapter is not an assignment: nbgrader's Validate button, menu and sidebar stay out of it
# (its lab extension is disabled by a page config of this run only, its server extensions too).
NBGRADER_OFF = $(foreach e,formgrader validate_assignment assignment_list course_list,\
    --ServerApp.jpserver_extensions=nbgrader.server_extensions.$(e)=False)
lab: setup
	@mkdir -p build/lab-config/labconfig
	@echo '{"disabledExtensions": {"@jupyter/nbgrader": true}}' > build/lab-config/labconfig/page_config.json
	JUPYTER_CONFIG_DIR=$(CURDIR)/build/lab-config $(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 \
	    --no-browser $(ROOT_FLAG) --notebook-dir=notebooks $(NBGRADER_OFF)

bench: setup
	$(PY) -m bench.mlp
	$(PY) -m bench.lenet
	$(PY) -m bench.modules
	$(PY) -m bench.grading
	$(PY) -m bench.grading_scale   # 1,000 submissions: 1 and 2 workers, Dask

clean:
	rm -rf build .pytest_cache .ruff_cache .import_linter_cache
