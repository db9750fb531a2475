# Makefile: Kiln's entry points: deps, build, run, test, golden-update, bench, clean (`make help`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SWIFT    ?= swift
PYTHON   ?= python3
LLVM_BIN ?= /usr/lib/llvm-19/bin
EXAMPLE  ?= Examples/softmax.kiln
# lit ships no `python -m lit`; this runs the installed package whether or not its script is on PATH.
LIT      ?= $(PYTHON) -c 'import sys, lit.main; sys.argv[0] = "lit"; lit.main.main()'
LIT_FLAGS ?=
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GOLDEN_LOG := .build/golden/lit.log

.PHONY: help deps build run test fuzz golden-update bench clean python wheel

help:
	@echo "make run            install what is missing, build kiln (release), compile Examples/matmul.kiln, simulate it with stats, verify it against the reference"
	@echo "make test           install what is missing, swift test + lit golden tests + pytest (kiln CLI and Python package, debug build)"
	@echo "make deps           install LLVM 19 (FileCheck, not, C API), libsqlite3-dev, lit, numpy, pytest and ray if missing"
	@echo "make build          swift build -c release, products kiln and KilnLLVMBackend (the llvm backend kiln loads on use)"
	@echo "make fuzz           random programs on ref, sim, llvm and numpy (release build): FUZZ_N=2000 FUZZ_SEED=1 FUZZ_JOBS=nproc"
	@echo "make python         build libKiln (release) and pip install ./python (the kiln package) into the active Python"
	@echo "make wheel          build a wheel bundling libKiln into .build/wheel/ and check it in a fresh venv"
	@echo "make golden-update FILES=...   regenerate CHECK lines of golden tests; review with git diff"
	@echo "make bench          run Benchmarks/*.py against the release build (ratios to a same-run baseline)"
	@echo "make clean          remove build products and lit scratch files"

# Idempotent: installs only what is missing. apt-get needs root; sudo is used only when not root.
deps:
	@if [ ! -x "$(LLVM_BIN)/FileCheck" ] || [ ! -x "$(LLVM_BIN)/not" ]; then \
	  echo "deps: installing llvm-19-dev llvm-19-tools (FileCheck, not, the LLVM C API)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y llvm-19-dev llvm-19-tools; \
	fi
	@if [ ! -e /usr/include/sqlite3.h ]; then \
	  echo "deps: installing libsqlite3-dev (the tuning cache of kiln tune is a SQLite database)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y libsqlite3-dev; \
	fi
	@if ! $(PYTHON) -c 'import lit' 2>/dev/null; then \
	  echo "deps: installing lit"; \
	  $(PYTHON) -m pip install --quiet lit || $(PYTHON) -m pip install --quiet --break-system-packages lit; \
	fi
	@if ! $(PYTHON) -c 'import numpy, pytest, ml_dtypes' 2>/dev/null; then \
	  echo "deps: installing numpy, pytest, ml_dtypes (Python tests compare kiln's outputs with numpy)"; \
	  $(PYTHON) -m pip install --quiet numpy pytest ml_dtypes || \
	    $(PYTHON) -m pip install --quiet --break-system-packages numpy pytest ml_dtypes; \
	fi
	@if ! $(PYTHON) -c 'import ray' 2>/dev/null; then \
	  echo "deps: installing ray (kiln tune --ray, and its test against a local Ray head)"; \
	  $(PYTHON) -m pip install --quiet ray || $(PYTHON) -m pip install --quiet --break-system-packages ray; \
	fi
	@echo "deps: FileCheck, not, libsqlite3, lit, numpy, pytest and ray are present"

# kiln does not link the llvm backend: it loads libKilnLLVMBackend.so from its own folder on first use.
build:
	$(SWIFT) build -c release --product kiln
	$(SWIFT) build -c release --product KilnLLVMBackend

# The Python package: libKiln and the llvm backend library it loads from its own folder, copied into python/kiln/
# (ignored by git) with the C header, then installed (pip install ./python) or packed into a wheel.
PY_PACKAGE := python/kiln
define copy-libraries
	$(SWIFT) build -c release --product Kiln
	$(SWIFT) build -c release --product KilnLLVMBackend
	bin="$$($(SWIFT) build -c release --show-bin-path)"; mkdir -p $(PY_PACKAGE)/include; \
	cp "$$bin"/libKiln.so "$$bin"/libKilnLLVMBackend.so $(PY_PACKAGE)/; cp Sources/CKiln/include/kiln.h $(PY_PACKAGE)/include/
endef

python: deps
	$(copy-libraries)
	$(PYTHON) -m pip install --quiet ./python || $(PYTHON) -m pip install --quiet --break-system-packages ./python
	cd /tmp && $(PYTHON) -c 'import kiln; print("kiln", kiln.__version__, "installed; libKiln:", kiln.library_path())'

# The wheel, then a check that it installs and runs a kernel in a new venv (numpy and ml_dtypes come from PyPI).
wheel: deps
	$(copy-libraries)
	rm -rf .build/wheel python/build; mkdir -p .build/wheel
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir .build/wheel ./python
	rm -rf python/build .build/wheel/venv; $(PYTHON) -m venv .build/wheel/venv
	.build/wheel/venv/bin/pip install --quiet .build/wheel/kiln-*.whl
	cd /tmp && env -u KILN_LIBRARY -u KILN_LLVM_BACKEND $(CURDIR)/.build/wheel/venv/bin/python -c \
	  'import kiln, numpy as np; k = kiln.compile_source("kernel k<N = 4>(x: f32[N]) -> f32[N] { return x * 2.0 }"); \
	   x = np.arange(5, dtype=np.float32); assert (k(x) == 2 * x).all() and (k(x, backend="llvm") == 2 * x).all(); \
	   print("wheel ok:", kiln.library_path())'
	@ls -l .build/wheel/*.whl

run: deps build
	@kiln="$$($(SWIFT) build -c release --show-bin-path)/kiln"; example=Examples/matmul.kiln; out=.build/run; \
	mkdir -p "$$out"; \
	echo "+ kiln build $$example --emit bytecode -o $$out/matmul.kbc"; "$$kiln" build $$example --emit bytecode -o "$$out/matmul.kbc"; \
	echo "+ kiln sim $$out/matmul.kbc --random 1 --output-dir $$out --stats"; \
	"$$kiln" sim "$$out/matmul.kbc" --random 1 --output-dir "$$out" --stats; \
	echo "+ kiln verify $$example   (reference interpreter vs simulator, same random inputs)"; "$$kiln" verify $$example

# Debug build: the tests compile it anyway, and a release build would double the compile time.
# Both suites run even if the first fails; the target fails if either did.
test: deps
	@set +e; \
	$(SWIFT) test; unit=$$?; \
	mkdir -p "$(dir $(GOLDEN_LOG))"; rm -f "$(GOLDEN_LOG)"; \
	$(SWIFT) build --product kiln && $(SWIFT) build --product KilnLLVMBackend && \
	  $(LIT) -v $(LIT_FLAGS) Tests/golden --param kiln="$$($(SWIFT) build --show-bin-path)/kiln" | tee "$(GOLDEN_LOG)"; \
	golden=$$?; \
	if ! command -v chromium >/dev/null; then \
	  echo "test: installing chromium (the HTML report test opens the report in it)"; \
	  { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; } || echo "test: chromium not installed"; \
	fi; \
	bin="$$($(SWIFT) build --show-bin-path)"; $(SWIFT) build --product Kiln && \
	  KILN="$$bin/kiln" KILN_LIBRARY="$$bin/libKiln.so" PYTHONPATH=python $(PYTHON) -m pytest -q Tests/python; python=$$?; \
	passed=$$(grep -cE '^(PASS|XFAIL): ' "$(GOLDEN_LOG)"); \
	failed=$$(grep -cE '^(FAIL|XPASS|UNRESOLVED|TIMEOUT): ' "$(GOLDEN_LOG)"); \
	echo "make test: swift test exit $$unit, lit exit $$golden, pytest exit $$python"; \
	echo "golden: $$passed passed, $$failed failed"; \
	[ $$unit -eq 0 ] && [ $$golden -eq 0 ] && [ $$python -eq 0 ]

# Differential random testing (utils/kiln_fuzz, Docs/testing.md): generated kernels run on every executor;
# failures are reduced and written to fuzz-findings/. A tool, not a timed test; exits 1 if anything failed.
FUZZ_N    ?= 2000
FUZZ_SEED ?= 1
FUZZ_JOBS ?= $(shell nproc)
fuzz: deps build
	$(PYTHON) utils/kiln-fuzz --kiln "$$($(SWIFT) build -c release --show-bin-path)/kiln" -n $(FUZZ_N) --seed $(FUZZ_SEED) \
	  --jobs $(FUZZ_JOBS) --findings fuzz-findings

# Regenerates CHECK lines on purpose (FILES: test files or folders); see utils/update-golden.py.
golden-update: deps
	@if [ -z "$(FILES)" ]; then \
	  echo 'usage: make golden-update FILES="Tests/golden/diagnostics/foo.kiln ..."   (a folder works: FILES=Tests/golden)'; \
	  exit 2; \
	fi
	$(SWIFT) build --product kiln
	$(SWIFT) build --product KilnLLVMBackend
	$(PYTHON) utils/update-golden.py --kiln "$$($(SWIFT) build --show-bin-path)/kiln" $(FILES)
	@echo "golden-update: now review the change with: git diff -- $(FILES)"

# Benchmarks print ratios against a baseline measured in the same script (CPython's compile for the
# front end today; numpy and published NKI figures once the backends exist). Each Benchmarks/*.py takes --kiln.
bench: build
	$(SWIFT) build -c release --product Kiln
	@kiln="$$($(SWIFT) build -c release --show-bin-path)/kiln"; found=0; \
	for script in Benchmarks/*.py; do \
	  [ -e "$$script" ] || continue; found=1; \
	  echo "+ $$script"; $(PYTHON) "$$script" --kiln "$$kiln"; \
	done; \
	[ $$found = 1 ] || echo "bench: no benchmarks in Benchmarks/ yet"

clean:
	$(SWIFT) package clean
	rm -rf .build/golden
	find Tests/golden -type d -name Output -prune -exec rm -rf {} +
	rm -f Tests/golden/.lit_test_times.txt
