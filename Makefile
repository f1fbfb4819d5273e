# Two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: install
	$(BIN)/hajibot

test: install
	$(BIN)/ruff check .
	scripts/with-postgres $(BIN)/pytest

# Benchmarks run on demand, never in CI: each prints its figures, the machine and the command.
bench: install
	$(BIN)/python bench/bench_matcher.py
	$(BIN)/python bench/bench_mirror.py --rows 5500000 --workdir var/bench
	$(BIN)/python bench/bench_updates.py
