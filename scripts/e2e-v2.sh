#!/usr/bin/env bash
# End-to-end check of the v2 (Open Inference Protocol) API with real clients:
#   installs the pinned clients into a virtual environment if they are missing,
#   builds the release server, starts it on a free loopback port with an 8 MiB body
#   limit (which the decompression-bomb test relies on), waits for /v2/health/ready,
#   runs scripts/e2e-v2.py (tritonclient, the KServe SDK and raw HTTP, every answer
#   checked against NumPy), then stops the server with SIGTERM and requires exit 0.
# The clients live in their own environment (E2E_VENV, default .venv-e2e) because the
# KServe SDK pins many packages that the other scripts' tools also use.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${E2E_VENV:-.venv-e2e}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
"$python" -c 'import tritonclient.http, kserve, numpy' 2>/dev/null ||
    "$python" -m pip install -q 'tritonclient[http]==2.73.0' 'kserve==0.21.0' 'numpy==2.4.6'

echo "== build (release)"
swift build -c release --product attention-server
binary=$(swift build -c release --show-bin-path)/attention-server

log=$(mktemp -t attention-e2e-v2.XXXXXX.log)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "== start on 127.0.0.1:$port (log: $log)"
"$binary" --host 127.0.0.1 --port "$port" --max-body-bytes 8388608 --log-format json >"$log" 2>&1 &
server=$!
trap 'kill -9 $server 2>/dev/null || true' EXIT

ready() { curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null; }
for _ in $(seq 1 100); do
    ready && break
    kill -0 $server 2>/dev/null || { cat "$log"; echo "server exited early"; exit 1; }
    sleep 0.1
done
ready || { cat "$log"; echo "server never became ready"; exit 1; }

echo "== e2e-v2.py"
"$python" scripts/e2e-v2.py --url "127.0.0.1:$port"

echo "== SIGTERM"
kill -TERM $server
status=0
wait $server || status=$?
trap - EXIT
if [ "$status" -ne 0 ]; then
    tail -20 "$log"
    echo "server exited with $status after SIGTERM"
    exit 1
fi
grep -q '"status":"500"' "$log" && { echo "the server answered 500"; exit 1; }
echo "ok   exit 0 after SIGTERM; e2e-v2 passed"
