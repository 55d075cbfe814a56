# The README's two commands: `make demo` and `make test`. Each builds .venv when it is missing or stale.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck serve bench clean

$(STAMP): pyproject.toml $(wildcard */__init__.py)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kiemtin demo

test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy crawler classifier store config review service web cli pipeline.py
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy crawler classifier store config review service web cli pipeline.py

serve: $(STAMP)
	$(BIN)/kiemtin serve

bench: $(STAMP)
	$(BIN)/python bench/classify_bench.py
	$(BIN)/python bench/crawl_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/export_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
