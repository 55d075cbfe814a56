# The README's two commands: `make demo` and `make test`. Each builds .venv when it is missing or stale, from the
# lock files (see "Installing" in the README): requirements.lock (runtime) for demo and serve,
# requirements-dev.lock (runtime + test, lint and research tools) for test, lint and bench.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
SOURCES := pyproject.toml $(wildcard */__init__.py)
SYNC = $(UV) pip sync --quiet --python $(BIN)/python --require-hashes
EDITABLE = $(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
LOCK = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: demo test lint typecheck serve bench lock clean

# uv installs the locks; it comes from PyPI with pip, pinned and hash-checked by requirements-uv.lock.
$(UV): requirements-uv.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-uv.lock
	touch $(UV)

# .installed: the venv holds requirements.lock (exactly, after this recipe) and kiemtin itself (editable).
$(STAMP): requirements.lock $(SOURCES) | $(UV)
	$(SYNC) requirements.lock
	$(EDITABLE)
	rm -f $(DEV_STAMP)
	touch $(STAMP)

# .installed-dev: the venv holds requirements-dev.lock, a superset of requirements.lock with the same pins.
$(DEV_STAMP): requirements-dev.lock requirements.lock $(SOURCES) | $(UV)
	$(SYNC) requirements-dev.lock
	$(EDITABLE)
	touch $(STAMP) $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/kiemtin demo

test: $(DEV_STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy vntext crawler classifier store config review service web cli research pipeline.py
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(DEV_STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy vntext crawler classifier store config review service web cli research pipeline.py

serve: $(STAMP)
	$(BIN)/kiemtin serve

bench: $(DEV_STAMP)
	$(BIN)/python bench/classify_bench.py
	$(BIN)/python bench/crawl_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/claims_bench.py
	$(BIN)/python bench/scale_bench.py

# Re-resolve the locks after editing pyproject.toml; existing pins are kept unless LOCK_ARGS says otherwise:
# make lock LOCK_ARGS=--upgrade, or make lock LOCK_ARGS="--upgrade-package scikit-learn".
lock: | $(UV)
	$(LOCK) pyproject.toml -o requirements.lock
	$(LOCK) pyproject.toml --extra dev --extra research -c requirements.lock -o requirements-dev.lock
	echo uv | $(LOCK) - -o requirements-uv.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
