# GAN Studio — `make run` launches the studio, `make test` runs the suite; both create .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# torch 2.13.0: on our machines a local CPU build; elsewhere pip's default build for the platform.
# GPU users may install the CUDA build of their choice into .venv first (see README); it is kept.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean train-gpu bundle check-bundle

# Debian's python3 makes no venv without python3-venv: as root with apt-get, install it and try again.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && rm -rf $(VENV) && apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

# Qt's platform plugin needs system libraries the PySide6 wheel lacks: as root on Debian/Ubuntu they are
# installed here, elsewhere the check names them with the command that installs them.
run: $(STAMP)
	$(PY) -m studio.ui.platform_check --install
	$(PY) main.py

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

# ruff (style, import order, likely bugs) and the import-linter contracts (the layers).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/generate.py

# One folder that runs without Python (PyInstaller, packaging/gan-studio.spec): dist/gan-studio/gan-studio.
# Takes minutes and a few GB of build files; packaging/check_bundle.sh (make check-bundle) tries it under Xvfb.
bundle: $(STAMP)
	$(PY) -m pip install -q -e ".[bundle]"
	$(PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
	  packaging/gan-studio.spec

check-bundle:
	packaging/check_bundle.sh

# The default model's GPU run (tools/train_gpu.sh): warm start, ~8 minutes on one GPU, results into OUT.
train-gpu:
	tools/train_gpu.sh $(OUT)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
