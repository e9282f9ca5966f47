#!/usr/bin/env bash
# HTTP/2 over h2c against HTTP/1.1, same server, same run: a small POST /v1/attention
# (L = S = 16, d = 16, weights returned) under wrk over HTTP/1.1 and under h2load over h2c,
# both with the same number of requests in flight: CONNECTIONS connections of one request at
# a time (wrk; h2load -m 1), and the same requests multiplexed as STREAMS streams on
# CONNECTIONS / STREAMS connections (h2load -m STREAMS), as HTTP/2 clients do.
# Target: h2 reaches at least 0.8× the requests/s of HTTP/1.1. Prints a table.
#
# The machine is shared, so the clients alternate for ROUNDS rounds and the table gives
# medians over rounds, the ratio of each round, and the server's and the client's CPU time
# per request (user + system, from /proc and from the shell's `time`): on a machine where the
# two share the cores, requests/s cannot pass cores / (server + client CPU per request).
#
#   scripts/bench/http2.sh            # 3 rounds of 10 s per client, 2 threads, 32 in flight, 8 streams
#   ROUNDS=5 DURATION=5 CONNECTIONS=64 STREAMS=16 scripts/bench/http2.sh
#   BINARY=/tmp/attention-server scripts/bench/http2.sh   # a given server, no build
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
STREAMS=${STREAMS:-8}
for tool in wrk h2load; do
    command -v $tool >/dev/null || { echo "$tool not found: apt-get install wrk nghttp2-client" >&2; exit 1; }
done

source scripts/bench/small_post.sh  # binary, port, server, work/post.json and post.lua, cpu_ticks
url="http://127.0.0.1:$port/v1/attention"
curl -fs --http2-prior-knowledge "$url" -H 'Content-Type: application/json' --data-binary "@$work/post.json" >/dev/null

# run NAME COMMAND...: prints "requests/s non-2xx server-cpu-µs-per-request client-cpu-µs-per-request"
run() {
    local name=$1; shift
    local before after TIMEFORMAT='%U %S'
    before=$(cpu_ticks)
    { time "$@" >"$work/$name.txt" 2>&1; } 2>"$work/$name.time"
    after=$(cpu_ticks)
    python3 - "$work/$name.txt" "$((after - before))" "$(getconf CLK_TCK)" "$work/$name.time" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
if "Requests/sec" in text:  # wrk
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    bad = int(bad.group(1)) if bad else 0
else:  # h2load
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text).group(1))
    total, ok = map(int, re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded", text).groups())
    status_2xx = int(re.search(r"status codes: (\d+) 2xx", text).group(1))
    requests, bad = total, total - min(ok, status_2xx)
cpu_us = int(sys.argv[2]) / int(sys.argv[3]) * 1e6 / max(requests, 1)
client_us = sum(map(float, open(sys.argv[4]).read().split())) * 1e6 / max(requests, 1)
print(f"{rps:.0f} {bad} {cpu_us:.1f} {client_us:.1f}")
PY
}

multiplexed=$((CONNECTIONS / STREAMS))
wrk -t1 -c4 -d2s -s "$work/post.lua" "$url" >/dev/null  # warm-up
h2load -D 2 -c 4 -m 1 -d "$work/post.json" -H 'Content-Type: application/json' "$url" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    run "http1-$round" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$work/post.lua" "$url" >>"$work/http1.rows"
    run "h2c-$round" h2load -t "$THREADS" -c "$CONNECTIONS" -m 1 -D "$DURATION" -d "$work/post.json" \
        -H 'Content-Type: application/json' "$url" >>"$work/h2c.rows"
    run "h2cmux-$round" h2load -t "$THREADS" -c "$multiplexed" -m "$STREAMS" -D "$DURATION" -d "$work/post.json" \
        -H 'Content-Type: application/json' "$url" >>"$work/h2cmux.rows"
done

printf '\n%s rounds of %s s per client on 127.0.0.1, %s threads each, %s cores, load average %s\n' \
    "$ROUNDS" "$DURATION" "$THREADS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  wrk -t%s -c%s -d%ss -s post.lua %s\n' "$THREADS" "$CONNECTIONS" "$DURATION" "/v1/attention"
printf '  h2load -t %s -c %s -m 1 -D %s -d post.json %s\n' "$THREADS" "$CONNECTIONS" "$DURATION" "/v1/attention"
printf '  h2load -t %s -c %s -m %s -D %s -d post.json %s\n\n' "$THREADS" "$multiplexed" "$STREAMS" "$DURATION" "/v1/attention"
python3 - "$work/http1.rows" "$work/h2c.rows" "$work/h2cmux.rows" "$CONNECTIONS" "$multiplexed" "$STREAMS" "$(nproc)" <<'PY'
import statistics, sys
http1, h2c, mux = ([list(map(float, line.split())) for line in open(path)] for path in sys.argv[1:4])
connections, multiplexed, streams, cores = sys.argv[4:8]
median = lambda rows, column: statistics.median(row[column] for row in rows)
print("| client, POST /v1/attention (L=S=16, d=16) | requests/s | non-2xx | server CPU µs/request "
      f"| client CPU µs/request | most requests/s on {cores} cores | × HTTP/1.1 |")
print("|---|--:|--:|--:|--:|--:|--:|")
for name, rows in ((f"wrk, HTTP/1.1, {connections} connections", http1),
                   (f"h2load, h2c, {connections} connections × 1 stream", h2c),
                   (f"h2load, h2c, {multiplexed} connections × {streams} streams", mux)):
    ratio = statistics.median(r[0] / h[0] for h, r in zip(http1, rows))
    most = int(cores) * 1e6 / (median(rows, 2) + median(rows, 3))
    print(f"| {name} | {median(rows, 0):.0f} | {sum(row[1] for row in rows):.0f} | {median(rows, 2):.1f} "
          f"| {median(rows, 3):.1f} | {most:.0f} | {ratio:.2f} |")
for name, rows in (("h2c 1 stream", h2c), ("h2c multiplexed", mux)):
    ratios = [r[0] / h[0] for h, r in zip(http1, rows)]
    ratio = statistics.median(ratios)
    print(f"\n{name} / HTTP/1.1 per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} "
          f"(target ≥ 0.80): {'met' if ratio >= 0.8 else 'NOT met'}", end="")
print()
PY
