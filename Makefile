# searchsvc — the two commands are `make run` and `make test`; both set themselves up.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3.11
SAMPLE_ROWS ?= 20000
export PATH := $(shell pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin):$(PATH)

.PHONY: install run stop test migrate bench clean-data

# Creates .venv and installs the package (editable, with test extras); reruns only when setup.cfg changes.
install: $(VENV)/.installed
$(VENV)/.installed: setup.cfg pyproject.toml ops/system-deps.sh
	bash ops/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Serves on http://127.0.0.1:8080. Without DATABASE_URL, a private cluster under .data/ is
# started (and stopped again on Ctrl-C), migrated and seeded with sample listings when empty.
run: install
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then \
		export DATABASE_URL=$$($(BIN)/searchsvc devdb start); \
		trap '$(BIN)/searchsvc devdb stop' EXIT; trap 'exit 130' INT TERM; \
		echo "private database: $$DATABASE_URL"; \
	fi; \
	$(BIN)/searchsvc migrate; \
	$(BIN)/searchsvc seed --rows $(SAMPLE_ROWS) --if-empty; \
	$(BIN)/searchsvc serve --host 127.0.0.1 --port 8080

# Stops the private cluster that `make run` started.
stop:
	@test -x $(BIN)/searchsvc && $(BIN)/searchsvc devdb stop || true

# The whole suite against a real PostgreSQL (TEST_DATABASE_URL, or a throwaway cluster).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: install
	$(BIN)/searchsvc migrate

clean-data: stop
	rm -rf .data
