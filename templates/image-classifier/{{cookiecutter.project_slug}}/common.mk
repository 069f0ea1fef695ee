# The targets every mlpath project template shares. The Makefile sets this project's own
# variables, includes this file and adds its own targets (data, train, evaluate, ...).
# Run `make` (or `make help`) to list them all.
PYTHON ?= python
PACKAGE := {{ cookiecutter.package_name }}
IMAGE ?= {{ cookiecutter.project_slug }}
# The trained artefact the serving image ships (`make docker-build` checks it is there).
MODEL_FILE := {{ cookiecutter._model_file }}
HOST ?= 127.0.0.1
PORT ?= 8000
# `make monitor BATCH=...` checks another batch (empty: the held-out test split).
BATCH ?=
# `make monitor MONITOR_FLAGS=--fail-on-drift` exits 1 when drift is found.
MONITOR_FLAGS ?=
# `make register REGISTER_FLAGS=--force` promotes the model even if it is not better.
REGISTER_FLAGS ?=
MLFLOW_PORT ?= 5000
# An index pip searches besides PyPI, for `make install` and `make lock` (empty: PyPI alone).
PIP_EXTRA_INDEX ?=

.DEFAULT_GOAL := help
.PHONY: help install lock pipeline monitor shifted-batch monitor-check register ui test coverage \
	lint format serve docker-build docker-run clean

help: ## List the targets (this project's in Makefile, the shared ones in common.mk)
	@awk 'BEGIN {FS = ":.*## "} FNR == 1 {print FILENAME ":"} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install the package (editable) with the dev tools, pinned by requirements-dev.lock
	$(PYTHON) -m pip install -c requirements-dev.lock -e ".[dev]" $(if $(PIP_EXTRA_INDEX),--extra-index-url $(PIP_EXTRA_INDEX))

lock: ## Re-pin every dependency from pyproject.toml into the two lock files (needs the index)
	$(if $(PIP_EXTRA_INDEX),PIP_EXTRA_INDEX_URL="$(PIP_EXTRA_INDEX)" )$(PYTHON) scripts/lock.py

pipeline: data train evaluate ## Run data, train and evaluate in order

monitor: ## Drift report for BATCH (default: the held-out split) -> reports/drift.{json,md}
	$(PYTHON) -m $(PACKAGE).monitor$(if $(BATCH), --batch $(BATCH)) $(MONITOR_FLAGS)

shifted-batch: ## Write SHIFTED_BATCH, a batch that should look drifted
	$(PYTHON) -m $(PACKAGE).monitor --make-shifted-batch $(SHIFTED_BATCH)

monitor-check: ## The monitor stays quiet on BATCH and fires on SHIFTED_BATCH (as CI runs it)
	$(MAKE) --no-print-directory monitor MONITOR_FLAGS=--fail-on-drift
	$(MAKE) --no-print-directory shifted-batch
	@echo "$(PYTHON) -m $(PACKAGE).monitor --batch $(SHIFTED_BATCH) --fail-on-drift  # must exit 1"
	@if $(PYTHON) -m $(PACKAGE).monitor --batch $(SHIFTED_BATCH) --fail-on-drift; then \
		echo "the monitor did not flag $(SHIFTED_BATCH)" >&2; exit 1; \
	elif ! $(PYTHON) -c "import json, sys; sys.exit(not json.load(open('reports/drift.json'))['drift_detected'])"; then \
		echo "the monitor failed on $(SHIFTED_BATCH) without reporting drift" >&2; exit 1; \
	fi
	@echo "monitor-check: no drift in the held-out batch, drift found in $(SHIFTED_BATCH)"

register: ## Register the last trained model in MLflow; promoted if it beats the champion
	$(PYTHON) -m $(PACKAGE).tracking register $(REGISTER_FLAGS)

ui: ## MLflow's UI over this project's runs and registry: http://127.0.0.1:$(MLFLOW_PORT)
	$(PYTHON) -m $(PACKAGE).tracking ui --port $(MLFLOW_PORT)

test: ## Run the test suite
	$(PYTHON) -m pytest

coverage: ## Run the test suite with coverage: the report, and coverage.xml (as CI does)
	$(PYTHON) -m pytest --cov=src --cov-report=term-missing --cov-report=xml

lint: ## Check style and formatting with ruff
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format: ## Fix what ruff can fix and reformat the code
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

serve: ## Serve the trained model at http://$(HOST):$(PORT) (docs at /docs)
	$(PYTHON) -m uvicorn $(PACKAGE).api:app --host $(HOST) --port $(PORT) --no-access-log

docker-build: ## Build the serving image (it ships the trained model: make data train first)
	@test -f $(MODEL_FILE) || { echo "$(MODEL_FILE) not found: run make data train first" >&2; exit 1; }
	docker build -t $(IMAGE) .

docker-run: ## Run the serving image on http://127.0.0.1:$(PORT)
	docker run --rm -p 127.0.0.1:$(PORT):8000 $(IMAGE)

# The Makefile's own `clean::` rule (with the description) deletes what this project generates;
# this one deletes what every project does. Both run.
clean::
	rm -f models/run.json
	find models/registered -type f ! -name README.md -delete
	rm -rf .pytest_cache .ruff_cache .coverage coverage.xml htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
