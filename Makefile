# `make run` sets up and serves on the embedded default (SQLite, in-process
# presence) at http://localhost:8000/.  `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
TWISTD_ARGS ?=

.PHONY: setup run test client clean

$(BIN)/twistd: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ".[test]"
	touch $@

setup: $(BIN)/twistd

client:
	@sh tools/build-client.sh

# Runs this checkout's code (PYTHONPATH), so edits need no reinstall.
run: setup client
	PYTHONPATH=$(CURDIR) $(BIN)/twistd -n rpg $(TWISTD_ARGS)

test: setup client
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
