#!/usr/bin/env bash
# HTTP throughput on loopback with wrk: GET /health against a small POST /v1/attention
# (L = S = 16, d = 16, weights returned) on the same server. Target: the POST reaches at
# least half the requests/s of /health. Prints a table.
#
#   scripts/bench-http.sh            # 10 s per endpoint, 2 threads, 32 connections
#   DURATION=30s CONNECTIONS=64 scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

swift build -c release --product attention-server >/dev/null
binary=$(swift build -c release --show-bin-path)/attention-server
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"$binary" --host 127.0.0.1 --port "$port" --log-level warning >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done

python3 - "$work/post.lua" <<'PY'
import json, random, sys
random.seed(16)
m = lambda r, c: [[round(random.uniform(-1, 1), 6) for _ in range(c)] for _ in range(r)]
body = json.dumps({"query": m(16, 16), "key": m(16, 16), "value": m(16, 16)})
open(sys.argv[1], "w").write(
    'wrk.method = "POST"\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
    f'wrk.body = {json.dumps(body)}\n')
PY
curl -fs "http://127.0.0.1:$port/v1/attention" --data-binary "@-" -H 'Content-Type: application/json' \
    < <(python3 -c "import json,re; s=open('$work/post.lua').read(); print(json.loads(re.search(r'wrk.body = (.*)', s).group(1)))") >/dev/null

run() {  # name, wrk arguments…; prints "requests/s p50 p99 errors"
    local name=$1; shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/$name.txt"
    python3 - "$work/$name.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {pct(50):.3f} {pct(99):.3f} {errors.group(1) if errors else 0}")
PY
}

wrk -t1 -c4 -d2s "http://127.0.0.1:$port/health" >/dev/null  # warm-up
health=$(run health "http://127.0.0.1:$port/health")
attention=$(run attention -s "$work/post.lua" "http://127.0.0.1:$port/v1/attention")

read -r h_rps h_p50 h_p99 h_err <<<"$health"
read -r a_rps a_p50 a_p99 a_err <<<"$attention"
printf '\nwrk -t%s -c%s -d%s on 127.0.0.1, %s cores\n\n' "$THREADS" "$CONNECTIONS" "$DURATION" "$(nproc)"
printf '| %-40s | %10s | %8s | %8s | %6s |\n' endpoint "requests/s" "p50 ms" "p99 ms" "non-2xx"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------------" "------------" "----------" "----------" "--------"
printf '| %-40s | %10s | %8s | %8s | %6s |\n' "GET /health" "$h_rps" "$h_p50" "$h_p99" "$h_err"
printf '| %-40s | %10s | %8s | %8s | %6s |\n' "POST /v1/attention (L=S=16, d=16)" "$a_rps" "$a_p50" "$a_p99" "$a_err"
python3 -c "r = $a_rps / $h_rps; print(f'\nratio POST/GET = {r:.2f} (target ≥ 0.50): ' + ('met' if r >= 0.5 else 'NOT met'))"
