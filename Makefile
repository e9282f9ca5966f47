# The two commands of the README, each doing its own set-up on a fresh Debian machine with Swift.
#   make run    build and start the service (release)
#   make test   run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := libopenblas-dev pkg-config zlib1g-dev

.PHONY: help deps run test bench
help:
	@echo "make run    build and start the service"
	@echo "make test   run the test suite"
	@echo "make bench  engine benchmark against JAX and NumPy (needs: pip install 'jax[cpu]' numpy)"

# Debian packages the build links against; installed only when missing.
deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: deps
	swift build -c release --product engine-bench
	.build/release/engine-bench

test: deps
	swift build --build-tests
	swift test --skip-build

bench: deps
	swift build -c release --product engine-bench
	python3 scripts/compare_bench.py --engine-bench .build/release/engine-bench
