#!/usr/bin/env bash
# Load, overload, client faults and SIGTERM under load, run by .ci/run:
#   builds the release server and starts it on a free loopback port with small explicit
#   limits (so that the memory bound means something and the queue fills), then runs
#   scripts/e2e/load/run.py: a few minutes of mixed v1/v2 traffic on keep-alive connections
#   with every answer checked, probes and RSS sampled meanwhile, clients that leave at each
#   stage of a request, and finally SIGTERM with work in flight. The server must exit 0.
# Everything stays on 127.0.0.1. LOAD_SECONDS sets the length of the load phase;
# PROBE_P99_MS the bound on the probes' p99 while saturated (the issue's 50 ms by default).
set -euo pipefail
cd "$(dirname "$0")/../.."

LOAD_SECONDS=${LOAD_SECONDS:-120}
PROBE_P99_MS=${PROBE_P99_MS:-50}
workers=2 queue_depth=6 max_body_bytes=$((4 << 20)) grace=30

python3 -c 'import numpy' 2>/dev/null || pip install -q 'numpy==2.4.6'

source scripts/e2e/server.sh
# --max-weights 65536 keeps any one response's weights (≤ 1 MiB as JSON) small beside the
# bodies, so that memory is ruled by the bodies in flight; --drain-delay gives the test
# time to see readiness turn 503 before the listener closes.
start_server /ready --workers $workers --queue-depth $queue_depth --max-body-bytes $max_body_bytes \
    --max-weights 65536 --request-timeout 20 --drain-delay 1

started=$(date +%s)
python3 -m scripts.e2e.load.run --port "$port" --pid "$server" --workers $workers --queue-depth $queue_depth \
    --max-body-bytes $max_body_bytes --seconds "$LOAD_SECONDS" --grace $grace --probe-p99-ms "$PROBE_P99_MS"

# run.py sent SIGTERM and saw the process end; its exit code:
await_server_exit
if grep -E '"status":"5[0-9]{2}"' "$log" | grep -qv '"status":"503"'; then
    echo "FAIL the server answered a 5xx other than 503"
    exit 1
fi
echo "ok   exit 0 after SIGTERM under load; e2e/load.sh passed in $(( $(date +%s) - started )) s"
