#!/usr/bin/env bash
# HTTP throughput on loopback with wrk: GET /health against a small POST /v1/attention
# (L = S = 16, d = 16, weights returned) on the same server. Target: the POST reaches at
# least half the requests/s of /health. Prints a table.
#
# The machine is shared, so the two alternate for ROUNDS rounds and the table gives
# medians over rounds, the ratio of each round, and the server's CPU time per request
# (user + system, from /proc), which load on the machine disturbs least.
#
#   scripts/bench/http.sh            # 3 rounds of 10 s per endpoint, 2 threads, 32 connections
#   ROUNDS=5 DURATION=5s CONNECTIONS=64 scripts/bench/http.sh
#   SCRATCH=.build-release scripts/bench/http.sh    # another SwiftPM scratch path
#   BINARY=/tmp/attention-server-before scripts/bench/http.sh   # a given server, no build
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

source scripts/bench/small_post.sh  # binary, port, server, work/post.json and post.lua, cpu_ticks
curl -fs "http://127.0.0.1:$port/v1/attention" -H 'Content-Type: application/json' --data-binary "@$work/post.json" >/dev/null

run() {  # name, wrk arguments…; prints "requests/s p50 p99 errors cpu-µs-per-request"
    local name=$1; shift
    local before after
    before=$(cpu_ticks)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/$name.txt"
    after=$(cpu_ticks)
    python3 - "$work/$name.txt" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
def pct(p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
cpu_us = int(sys.argv[2]) / int(sys.argv[3]) * 1e6 / requests
print(f"{rps:.0f} {pct(50):.3f} {pct(99):.3f} {errors.group(1) if errors else 0} {cpu_us:.1f}")
PY
}

wrk -t1 -c4 -d2s "http://127.0.0.1:$port/health" >/dev/null  # warm-up
for round in $(seq 1 "$ROUNDS"); do
    run "health-$round" "http://127.0.0.1:$port/health" >>"$work/health.rows"
    run "attention-$round" -s "$work/post.lua" "http://127.0.0.1:$port/v1/attention" >>"$work/attention.rows"
done

printf '\nwrk -t%s -c%s -d%s on 127.0.0.1, %s cores, %s rounds, load average %s\n\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$(nproc)" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/health.rows" "$work/attention.rows" <<'PY'
import statistics, sys
health, attention = ([list(map(float, line.split())) for line in open(path)] for path in sys.argv[1:3])
median = lambda rows, column: statistics.median(row[column] for row in rows)
print("| endpoint | requests/s | p50 ms | p99 ms | non-2xx | server CPU µs/request |")
print("|---|--:|--:|--:|--:|--:|")
for name, rows in (("GET /health", health), ("POST /v1/attention (L=S=16, d=16)", attention)):
    print(f"| {name} | {median(rows, 0):.0f} | {median(rows, 1):.2f} | {median(rows, 2):.2f} | "
          f"{sum(row[3] for row in rows):.0f} | {median(rows, 4):.1f} |")
ratios = [a[0] / h[0] for h, a in zip(health, attention)]
ratio = statistics.median(ratios)
print(f"\nratio POST/GET per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} "
      f"(target ≥ 0.50): {'met' if ratio >= 0.5 else 'NOT met'}")
print(f"server CPU per request, POST/GET: {median(attention, 4) / median(health, 4):.2f}")
PY
