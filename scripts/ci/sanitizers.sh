#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer, then under ThreadSanitizer, each in
# its own scratch path (.build-asan, .build-tsan; git-ignored) so that neither disturbs
# the normal build. Fails on a failing test or on any sanitizer report.
#
#   scripts/ci/sanitizers.sh [address|thread ...]    (default: address thread)
#
# No test is skipped: every one runs under both (BENCHMARKS.md, "Sanitizers").
set -euo pipefail
cd "$(dirname "$0")/../.."
export SWIFT_BACKTRACE=enable=no   # the sanitizers print their own reports
# Reports go to the log, and a report fails the run even when the test passed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/ci/tsan-suppressions.txt}
# Under ThreadSanitizer every test runs, but at most this many at once (Swift Testing's
# default is all of them): its 5-15x slowdown, with every test's synchronous work on the
# two threads of Swift's cooperative pool, kept live servers' handlers waiting past the
# 30-s request deadline (504s) and the test clients' 20-s read timeouts.
tsan_parallel_tests=${TSAN_PARALLEL_TESTS:-4}

sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)

make deps test-model   # test-model: the real BERT the AttentionModels tests run (Makefile)
for sanitizer in "${sanitizers[@]}"; do
    case $sanitizer in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "unknown sanitizer $sanitizer (address or thread)"; exit 2 ;;
    esac
    echo "== build with --sanitize=$sanitizer ($scratch)"
    started=$(date +%s)
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    built=$(date +%s)
    echo "== swift test --sanitize=$sanitizer"
    log="$scratch/sanitizer-tests.log"
    status=0
    width=()
    [ "$sanitizer" = thread ] && width=(env SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="$tsan_parallel_tests")
    "${width[@]}" swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | tee "$log" || status=$?
    reports=$(grep -cE '^(==[0-9]+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer)' "$log" || true)
    echo "== $sanitizer: build $(( built - started )) s, tests $(( $(date +%s) - built )) s, exit $status, $reports sanitizer reports"
    [ "$status" -eq 0 ] && [ "$reports" -eq 0 ] || { echo "FAILED under --sanitize=$sanitizer"; exit 1; }
done
