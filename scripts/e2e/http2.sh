#!/usr/bin/env bash
# End-to-end check of HTTP/2 on the main port against the release binary, run by .ci/run:
#   over TLS (a self-signed certificate made here): curl --http2 negotiates h2 by ALPN, and
#   HTTP/1.1 still answers on the same port; SIGTERM exits 0;
#   in plaintext: curl --http2-prior-knowledge (h2c) on /health, a small POST /v1/attention
#   (answer checked) and a v2 infer, HTTP/1.1 on the same port, h2load on /health and on a
#   small POST (L = S = 16, d = 16) with no failed stream, a rapid-reset client
#   (CVE-2023-44487) and a many-streams client (scripts/e2e/http2_clients.py), after which the
#   server still answers and its resident memory is back near its baseline; then SIGTERM with
#   an HTTP/2 connection open: GOAWAY, and exit 0.
# Everything stays on 127.0.0.1. Needs curl with HTTP/2, openssl and h2load (Debian's
# nghttp2-client), installed when missing, and the `h2` package (hyperframe, hpack) in a
# virtual environment of its own (HTTP2_VENV, default .venv-http2).
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v h2load >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client openssl curl; }
curl -V | grep -q HTTP2 || { echo "this curl has no HTTP/2"; exit 1; }
venv=${HTTP2_VENV:-.venv-http2}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
"$python" -c 'import h2, hyperframe, hpack' 2>/dev/null || "$python" -m pip install -q 'h2==4.3.0'

work=$(mktemp -d -t attention-http2.XXXXXX)
source scripts/e2e/server.sh
fail() { echo "FAIL $*"; exit 1; }  # start_server's EXIT trap kills the server
# curl_version URL [curl arguments...]: "<status> <HTTP version>"
curl_version() { local url=$1; shift; curl -s -o "$work/body" -w '%{http_code} %{http_version}' "$@" "$url"; }
small='{"query": [[1, 0]], "key": [[1, 0], [0, 1]], "value": [[1], [2]]}'
# The answer's output: softmax([1, 0]/√2) mixes the values 1 and 2.
check_small() {
    python3 -c 'import json, math, sys
out = json.load(open(sys.argv[1]))["output"][0][0]
w = 1 / (1 + math.exp(-1 / math.sqrt(2)))
sys.exit(0 if abs(out - (w + 2 * (1 - w))) < 1e-5 else f"output {out}")' "$work/body"
}

echo "== TLS: h2 by ALPN, HTTP/1.1 beside it"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
SCHEME=https start_server /ready --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --grpc-port 0
base="https://127.0.0.1:$port"
[ "$(curl_version "$base/health" --http2 --cacert "$work/cert.pem")" = "200 2" ] || fail "curl --http2 over TLS: $(cat "$work/body")"
[ "$(curl_version "$base/v1/attention" --http2 --cacert "$work/cert.pem" -H 'Content-Type: application/json' -d "$small")" = "200 2" ] ||
    fail "POST over h2: $(cat "$work/body")"
check_small || fail "the answer over h2"
[ "$(curl_version "$base/health" --http1.1 --cacert "$work/cert.pem")" = "200 1.1" ] || fail "HTTP/1.1 over TLS"
curl -sv --http2 --cacert "$work/cert.pem" -o /dev/null "$base/health" 2>&1 | grep -q 'ALPN: server accepted h2' ||
    fail "ALPN did not pick h2"
echo "ok   curl --http2: ALPN h2, 200 on /health and POST /v1/attention (answer checked); --http1.1: 200 over HTTP/1.1"
stop_server "TLS"

echo "== h2c (prior knowledge) and HTTP/1.1 on one plaintext port"
start_server /ready --grpc-port 0 --max-concurrent-streams 100
base="http://127.0.0.1:$port"
[ "$(curl_version "$base/health" --http2-prior-knowledge)" = "200 2" ] || fail "h2c /health"
[ "$(curl_version "$base/v1/attention" --http2-prior-knowledge -H 'Content-Type: application/json' -d "$small")" = "200 2" ] ||
    fail "h2c POST /v1/attention: $(cat "$work/body")"
check_small || fail "the answer over h2c"
v2='{"inputs": [{"name": "query", "shape": [1, 2], "datatype": "FP32", "data": [1, 0]},
    {"name": "key", "shape": [2, 2], "datatype": "FP32", "data": [1, 0, 0, 1]},
    {"name": "value", "shape": [2, 1], "datatype": "FP32", "data": [1, 2]}]}'
[ "$(curl_version "$base/v2/models/scaled_dot_product_attention/infer" --http2-prior-knowledge -d "$v2")" = "200 2" ] ||
    fail "h2c v2 infer: $(cat "$work/body")"
grep -q '"outputs"' "$work/body" || fail "v2 infer answered no outputs"
[ "$(curl_version "$base/v1/attention" --http1.1 -d "$small")" = "200 1.1" ] || fail "HTTP/1.1 on the h2c port"
check_small || fail "the answer over HTTP/1.1"
# An HTTP/1.1 client that asks to upgrade gets HTTP/1.1 (h2c upgrade is not offered: RFC 9113 deprecates it).
[ "$(curl_version "$base/health" --http2)" = "200 1.1" ] || fail "an Upgrade: h2c request was not served over HTTP/1.1"
echo "ok   h2c: 200 on /health, POST /v1/attention (answer checked) and a v2 infer; HTTP/1.1 on the same port"

echo "== header list limit (16 KiB on HTTP/2)"
header() { head -c "$1" /dev/zero | tr '\0' a; }
[ "$(curl_version "$base/health" --http2-prior-knowledge -H "X-Padding: $(header 15000)")" = "200 2" ] || fail "a 15 KB header list"
if curl -s -o /dev/null --http2-prior-knowledge -H "X-Padding: $(header 20000)" "$base/health"; then
    fail "a 20 KB header list was served over HTTP/2"
fi
[ "$(curl_version "$base/health" --http2-prior-knowledge)" = "200 2" ] || fail "the server did not live on"
echo "ok   15 KB of headers served, 20 KB refused (connection ended), the server lives on"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
python3 - "$work/post.json" <<'PY'
import json, random, sys
random.seed(16)
m = lambda r, c: [[round(random.uniform(-1, 1), 6) for _ in range(c)] for _ in range(r)]
json.dump({"query": m(16, 16), "key": m(16, 16), "value": m(16, 16)}, open(sys.argv[1], "w"))
PY
# h2load_ok NAME h2load arguments...: no failed or errored stream, every status 2xx.
h2load_ok() {
    local name=$1; shift
    h2load "$@" >"$work/$name.txt" 2>&1 || { cat "$work/$name.txt"; fail "h2load $name"; }
    grep -E '^(finished in|requests:|status codes:)' "$work/$name.txt" | sed 's/^/     /'
    python3 - "$work/$name.txt" <<'PY' || fail "h2load $name"
import re, sys
text = open(sys.argv[1]).read()
total, done, ok, failed, errored = map(int, re.search(
    r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text).groups())
status_2xx = int(re.search(r"status codes: (\d+) 2xx", text).group(1))
sys.exit(0 if done == ok == status_2xx == total and failed == errored == 0 else "streams failed")
PY
}
echo "== h2load"
h2load_ok warmup -n 2000 -c 4 -m 10 "$base/health"
baseline=$(rss_kib)
h2load_ok health -n 50000 -c 16 -m 10 "$base/health"
h2load_ok post -n 20000 -c 16 -m 4 -d "$work/post.json" -H 'Content-Type: application/json' "$base/v1/attention"
echo "ok   h2load: every stream answered 2xx on /health and POST /v1/attention"

echo "== rapid reset and many streams"
"$python" -m scripts.e2e.http2_clients rapid-reset "$port"
"$python" -m scripts.e2e.http2_clients many-streams "$port"
[ "$(curl_version "$base/v1/attention" --http2-prior-knowledge -d "$small")" = "200 2" ] || fail "the server did not live on"
check_small || fail "the answer after the attacks"
# Resident memory once the server is quiet again: near the baseline taken after warm-up.
sleep 2
after=$(rss_kib)
growth_mib=$(((after - baseline) / 1024))
echo "resident memory: $((baseline / 1024)) MiB after warm-up, $((after / 1024)) MiB after load and attacks (+$growth_mib MiB)"
[ "$growth_mib" -lt 64 ] || fail "resident memory grew by $growth_mib MiB"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ready")" = 200 ] || fail "not ready after the attacks"
echo "ok   rapid reset ends each connection with ENHANCE_YOUR_CALM; streams up to the limit answered, past it GOAWAY; memory back near baseline"

echo "== SIGTERM with an HTTP/2 connection open: GOAWAY, then exit 0"
"$python" -m scripts.e2e.http2_clients await-goaway "$port" >"$work/goaway.txt" &
client=$!
for _ in $(seq 1 100); do grep -q connected "$work/goaway.txt" && break; sleep 0.1; done
kill -TERM $server
wait $client || { cat "$work/goaway.txt"; fail "no GOAWAY on SIGTERM"; }
tail -1 "$work/goaway.txt"
await_server_exit
grep -q '"status":"500"' "$log" && fail "the server answered 500"
echo "ok   GOAWAY (NO_ERROR) on SIGTERM, exit 0; e2e/http2.sh passed"
rm -rf "$work"
