# Two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench lock audit

# Every install comes from the lock files (exact versions, sha256 hashes: pip checks each file),
# then hajibot itself without dependencies. `make lock` updates them after pyproject.toml changes.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# the build tools: pinned too, so `pip install -e .` fetches nothing unlocked
BUILD_TOOLS := pip 'setuptools>=68' wheel

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK) $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve both locks from pyproject.toml, keeping the versions already locked where they
# still fit (`make lock UPGRADE=--upgrade` moves everything to the newest allowed versions).
# Universal (every platform, Python 3.11+), so the hashes cover every wheel of each version.
lock: install
	printf '%s\n' $(BUILD_TOOLS) | $(BIN)/uv pip compile -q pyproject.toml - --universal \
	  --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
	  $(UPGRADE) -o $(LOCK)
	printf '%s\n' $(BUILD_TOOLS) | $(BIN)/uv pip compile -q pyproject.toml - --extra dev \
	  --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
	  -c $(LOCK) $(UPGRADE) -o $(DEV_LOCK)
	# pip-audit asks for CacheControl[filecache]; pip's hash mode treats that extra as an
	# unpinned requirement and fails once a newer CacheControl is on the index, unless the
	# pinned line names the extra too
	sed -i 's/^cachecontrol==/cachecontrol[filecache]==/' $(DEV_LOCK)

# Known vulnerabilities in the locked versions, from PyPI's advisory data (add `AUDIT=-s osv` for
# OSV). Needs that service on the network, so it is not part of `make test`; --strict fails the
# run when a package could not be checked, instead of passing without having looked.
audit: install
	$(BIN)/pip-audit --strict --disable-pip --require-hashes $(AUDIT) -r $(LOCK) -r $(DEV_LOCK)

run: install
	$(BIN)/hajibot

test: install
	$(BIN)/ruff check .
	scripts/with-postgres $(BIN)/pytest --durations=15

# Benchmarks run on demand, never in CI: each prints its figures, the machine and the command.
bench: install
	$(BIN)/python bench/bench_matcher.py
	$(BIN)/python bench/bench_mirror.py --rows 5500000 --workdir var/bench
	$(BIN)/python bench/bench_updates.py
