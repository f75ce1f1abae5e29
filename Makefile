# RoadExtract: one entry point for install, serve, demo, test, zip, deploy and translations.
#
#   make install      backend venv (.venv) with torch, rasterio, ... (not QGIS's Python)
#   make serve        run the backend by hand (the plugin reuses it)
#   make demo         the main job on the SpaceNet sample -> out/demo/
#   make test         import contracts and every suite: backend, QGIS-side, end-to-end
#   make lint         ruff, import contracts, mypy (QGIS-side core, backend service and jobs)
#   make zip          build/roadextract.zip for QGIS's plugin manager
#   make check-plugin the checks plugins.qgis.org applies to an upload, on that zip
#   make deploy       copy the plugin into the default QGIS profile
#   make transup / transcompile   update / compile the translations in i18n/

PLUGIN_NAME := roadextract
PYTHON ?= python3
QGIS_PYTHON ?= /usr/bin/python3
VENV ?= .venv
QGIS_VENV ?= .venv-qgis
SHARED_DATA ?= ../shared/data
OUT ?= out
QGIS_PLUGINS_DIR ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/default/python/plugins
LRELEASE ?= $(shell command -v lrelease || echo /usr/lib/qt5/bin/lrelease)
PYLUPDATE ?= pylupdate5

BACKEND_PY := $(abspath $(VENV))/bin/python
LINT_ROOT := build/lint
# Plugin files that go into the zip (tests, benchmarks and CI stay out).
PLUGIN_FILES = metadata.txt __init__.py LICENSE README.md pyproject.toml \
	docs/backend_api.md $(shell git ls-files plugin processing_provider gui backend i18n)

.PHONY: install test-env serve demo test test-backend test-qgis bench zip deploy transup \
	transcompile lint lint-imports clean check-plugin

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip setuptools wheel
	# sam2 ships as an sdist whose build needs torch: torch first, then sam2 built against it
	# without its optional CUDA extension (pure PyTorch fallback; nothing to compile).
	$(VENV)/bin/pip install --quiet "torch==2.13.0,!=2.13.0+cpu" "torchvision==0.28.0"
	SAM2_BUILD_CUDA=0 $(VENV)/bin/pip install --quiet --no-build-isolation "sam2==1.1.0"
	$(VENV)/bin/pip install --quiet -e ".[models,distributed,test]"
	touch $@

# QGIS's own Python (it sees qgis and processing) plus pytest, for the QGIS-side tests.
test-env: $(QGIS_VENV)/.installed
$(QGIS_VENV)/.installed:
	$(QGIS_PYTHON) -m venv --system-site-packages $(QGIS_VENV)
	$(QGIS_VENV)/bin/pip install --quiet pytest pytest-qgis requests
	touch $@

serve: install
	$(BACKEND_PY) -m backend serve

demo: install
	mkdir -p $(OUT)/demo
	$(BACKEND_PY) -m backend demo --shared-data $(SHARED_DATA) --out-dir $(OUT)/demo

test: install test-env transcompile
	$(MAKE) lint
	$(MAKE) test-backend
	$(MAKE) test-qgis
	$(MAKE) check-plugin

test-backend:
	$(BACKEND_PY) -m pytest tests/backend -q -p no:cacheprovider

test-qgis:
	ROADEXTRACT_BACKEND_PYTHON=$(BACKEND_PY) ROADEXTRACT_E2E_REQUIRED=1 QT_QPA_PLATFORM=offscreen \
		$(QGIS_VENV)/bin/python -m pytest tests/plugin tests/e2e -q -p no:cacheprovider

bench: install
	$(BACKEND_PY) bench/bench_tiler_vectorizer.py
	$(BACKEND_PY) bench/bench_blend_memory.py
	$(BACKEND_PY) bench/bench_coupled_nms.py
	$(BACKEND_PY) bench/bench_linegraph2road.py
	$(BACKEND_PY) bench/bench_interactive.py
	$(BACKEND_PY) bench/bench_box_to_mask.py

lint: install lint-imports
	$(VENV)/bin/ruff check .
	cd $(LINT_ROOT) && $(abspath $(VENV))/bin/mypy --config-file $(CURDIR)/pyproject.toml \
		$(PLUGIN_NAME)/plugin $(PLUGIN_NAME)/processing_provider
	$(VENV)/bin/mypy -p backend.service -p backend.jobs -p backend.distributed

# The import contracts of pyproject.toml (floors of the backend and of the QGIS side). The
# QGIS side is analysed as QGIS imports it: this folder as the package "roadextract".
lint-imports: install
	mkdir -p $(LINT_ROOT) && ln -sfn "$(CURDIR)" $(LINT_ROOT)/$(PLUGIN_NAME)
	PYTHONPATH=$(LINT_ROOT):. $(VENV)/bin/lint-imports

zip: transcompile
	rm -rf build/$(PLUGIN_NAME) build/$(PLUGIN_NAME).zip
	mkdir -p build/$(PLUGIN_NAME)
	for f in $(PLUGIN_FILES) $(wildcard i18n/*.qm); do \
		[ -e "$$f" ] && install -D -m 644 "$$f" "build/$(PLUGIN_NAME)/$$f"; done; true
	cd build && $(PYTHON) -m zipfile -c $(PLUGIN_NAME).zip $(PLUGIN_NAME)
	@echo "built build/$(PLUGIN_NAME).zip"

# What plugins.qgis.org refuses (size over 25 MB, .pyc/__pycache__, metadata fields and
# URLs, LICENSE, one top folder) fails; the 20 MB budget warns (STRICT=1: fails too).
check-plugin: zip
	$(PYTHON) tools/check_plugin.py build/$(PLUGIN_NAME).zip --budget-mb 20 $(if $(STRICT),--strict,)

deploy: zip
	mkdir -p $(QGIS_PLUGINS_DIR)
	rm -rf $(QGIS_PLUGINS_DIR)/$(PLUGIN_NAME)
	cp -r build/$(PLUGIN_NAME) $(QGIS_PLUGINS_DIR)/
	@echo "deployed to $(QGIS_PLUGINS_DIR)/$(PLUGIN_NAME)"

transup:
	$(PYLUPDATE) -noobsolete i18n/$(PLUGIN_NAME).pro

transcompile:
	@for ts in i18n/*.ts; do [ -e "$$ts" ] && $(LRELEASE) -silent "$$ts"; done; true

clean:
	rm -rf build $(OUT) .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
