# Sourced by bench/http.sh and bench/http2.sh: the release server they measure (BINARY, or
# built in SCRATCH) on a free loopback port with gRPC off, and the small POST /v1/attention
# they send (L = S = 16, d = 16, weights returned; the same seeded body for both).
# Sets: binary, port, server, work (a temporary folder, removed on exit) with post.json and
# post.lua (wrk's script); defines cpu_ticks.

SCRATCH=${SCRATCH:-.build}
if [ -n "${BINARY:-}" ]; then
    binary=$BINARY  # a server built elsewhere, e.g. a copy of an earlier build to compare with
else
    swift build -c release --scratch-path "$SCRATCH" --product attention-server >/dev/null
    binary=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/attention-server
fi
source scripts/e2e/server.sh  # free_port
port=$(free_port)
work=$(mktemp -d)
"$binary" --host 127.0.0.1 --port "$port" --grpc-port 0 --log-level warning >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done

python3 - "$work/post.json" "$work/post.lua" <<'PY'
import json, random, sys
random.seed(16)
m = lambda r, c: [[round(random.uniform(-1, 1), 6) for _ in range(c)] for _ in range(r)]
body = json.dumps({"query": m(16, 16), "key": m(16, 16), "value": m(16, 16)})
open(sys.argv[1], "w").write(body)
open(sys.argv[2], "w").write(
    'wrk.method = "POST"\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
    f'wrk.body = {json.dumps(body)}\n')
PY

cpu_ticks() {  # user + system clock ticks of the server so far
    awk '{ print $14 + $15 }' "/proc/$server/stat"
}
