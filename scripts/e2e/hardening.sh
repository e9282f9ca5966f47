#!/usr/bin/env bash
# End-to-end check of access control and hostile input on the release binary, run by .ci/run:
#   HTTPS with a self-signed certificate made here, API keys, the healthcheck subcommand
#   over TLS, a plain-HTTP client on the TLS port, and a real decompression bomb (1 GiB of
#   zeros gzipped to about 1 MB) on v1 and v2, with the server's peak memory read from
#   /proc before and after: it must stay bounded by --max-body-bytes, not grow by a GiB.
# Everything stays on 127.0.0.1. Needs openssl and curl (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in openssl curl; do
    command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool; }
done

work=$(mktemp -d -t attention-hardening.XXXXXX)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
key=$(openssl rand -base64 32)
printf '# e2e keys\n%s\n' "$key" >"$work/keys"
max_body=$((8 << 20))

source scripts/e2e/server.sh
SCHEME=https start_server /ready --max-body-bytes "$max_body" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --api-keys-file "$work/keys"
base="https://127.0.0.1:$port"
fail() { echo "FAIL $*"; exit 1; }  # start_server's EXIT trap kills the server

echo "== healthcheck subcommand"
ATTENTION_TLS_CERT="$work/cert.pem" "$binary" healthcheck --port "$port" || fail "healthcheck over TLS (from the environment)"
"$binary" healthcheck --port "$port" --tls || fail "healthcheck --tls"
if "$binary" healthcheck --port "$port" --no-tls; then fail "a plain-HTTP healthcheck answered on the TLS port"; fi
echo "ok   healthcheck over TLS exits 0, over plain HTTP 1"

echo "== TLS and API keys with curl"
status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$work/cert.pem" "$@"; }
[ "$(status "$base/health")" = 200 ] || fail "/health without a key"
[ "$(status "$base/metrics")" = 200 ] || fail "/metrics without a key"
[ "$(status "$base/v2/health/ready")" = 200 ] || fail "/v2/health/ready without a key"
body='{"query": [[1, 0]], "key": [[1, 0], [0, 1]], "value": [[1], [2]]}'
[ "$(status "$base/v1/attention" -d "$body")" = 401 ] || fail "/v1/attention without a key"
[ "$(status "$base/v1/attention" -H 'Authorization: Bearer wrong' -d "$body")" = 401 ] || fail "a wrong key"
[ "$(status "$base/v1/attention" -H "Authorization: Bearer $key" -d "$body")" = 200 ] || fail "the right key"
curl -s --cacert "$work/cert.pem" -D - -o /dev/null "$base/v2" | grep -qi '^www-authenticate: Bearer' || fail "no WWW-Authenticate"
if curl -s -m 5 "http://127.0.0.1:$port/health" >/dev/null; then fail "plain HTTP answered on the TLS port"; fi
grep -qF -- "$key" "$log" && fail "the key appears in the log"
echo "ok   probes open, 401 without or with a wrong key, 200 with it; plain HTTP refused; key not logged"

echo "== decompression bomb"
python3 - "$work/bomb.gz" <<'PY'
import sys, zlib
compressor = zlib.compressobj(9, zlib.DEFLATED, 31)   # 31: gzip framing
block = bytes(1 << 20)
with open(sys.argv[1], "wb") as out:
    for _ in range(1024):
        out.write(compressor.compress(block))
    out.write(compressor.flush())
PY
peak_kib() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }
before=$(peak_kib)
echo "bomb: $(stat -c %s "$work/bomb.gz") bytes inflating to 1073741824; server peak RSS before: $((before / 1024)) MiB"
for path in /v1/attention /v2/models/scaled_dot_product_attention/infer; do
    code=$(status "$base$path" -H "Authorization: Bearer $key" -H 'Content-Encoding: gzip' \
        -H 'Content-Type: application/json' --data-binary "@$work/bomb.gz")
    [ "$code" = 413 ] || fail "$path answered $code to the bomb, not 413"
done
after=$(peak_kib)
growth_mib=$(((after - before) / 1024))
echo "server peak RSS after both bombs: $((after / 1024)) MiB (+$growth_mib MiB; --max-body-bytes is $((max_body >> 20)) MiB)"
# Inflating in full would add 1024 MiB; the bound leaves room for allocator slack.
[ "$growth_mib" -lt 128 ] || fail "peak memory grew by $growth_mib MiB"
[ "$(status "$base/health")" = 200 ] || fail "the server did not live on"
echo "ok   413 on v1 and v2, memory bounded"

stop_server e2e/hardening.sh
rm -rf "$work"
