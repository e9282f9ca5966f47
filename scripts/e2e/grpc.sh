#!/usr/bin/env bash
# End-to-end check of the Open Inference Protocol over gRPC with real, unmodified clients:
#   tritonclient's gRPC client and grpcio-health-checking (scripts/e2e/grpc_triton.py) and the
#   KServe SDK's InferenceGRPCClient (scripts/e2e/grpc_kserve.py), each in its own process
#   (both register the `inference` protobuf package), against three release servers:
#   the main one (8 MiB body limit, a 2 s drain delay), one with a single worker and no
#   queue (full pool, deadlines, cancellation), and one with TLS and API keys. Ends with
#   SIGTERM: grpc.health.v1 must say NOT_SERVING while draining, then every server exits 0.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=${GRPC_VENV:-.venv-grpc}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
# grpcio-health-checking 1.82+ needs protobuf 7, which tritonclient 2.73's stubs do not load.
"$python" -c 'import tritonclient.grpc, grpc_health.v1, numpy' 2>/dev/null ||
    "$python" -m pip install -q 'tritonclient[grpc]==2.73.0' 'grpcio-health-checking<1.82' 'protobuf<7' 'numpy==2.4.6'
kserve_venv=${E2E_VENV:-.venv-e2e}
[ -x "$kserve_venv/bin/python" ] || python3 -m venv "$kserve_venv"
"$kserve_venv/bin/python" -c 'import kserve, numpy' 2>/dev/null ||
    "$kserve_venv/bin/python" -m pip install -q 'tritonclient[http]==2.73.0' 'kserve==0.21.0' 'numpy==2.4.6'

source scripts/e2e/server.sh
grpc_port=$(free_port)
start_server /ready --grpc-port "$grpc_port" --max-body-bytes 8388608 --drain-delay 2

work=$(mktemp -d)
extra=()
trap 'kill -9 $server "${extra[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

# start_extra NAME HTTP_PORT GRPC_PORT FLAGS...: another server, waited for on /ready.
start_extra() {
    local name=$1 http=$2 grpc=$3 scheme=http
    shift 3
    [[ " $* " == *" --tls-cert "* ]] && scheme=https
    "$binary" --host 127.0.0.1 --port "$http" --grpc-port "$grpc" --log-format json "$@" >"$work/$name.log" 2>&1 &
    extra+=($!)
    for _ in $(seq 1 100); do
        curl -fsk "$scheme://127.0.0.1:$http/ready" >/dev/null && return 0
        sleep 0.1
    done
    cat "$work/$name.log"
    echo "$name server never became ready"
    exit 1
}

small_http=$(free_port) small_grpc=$(free_port)
start_extra small "$small_http" "$small_grpc" --workers 1 --queue-depth 0

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
echo "e2e-grpc-key-$RANDOM$RANDOM" >"$work/keys"
secure_http=$(free_port) secure_grpc=$(free_port)
start_extra secure "$secure_http" "$secure_grpc" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --api-keys-file "$work/keys"

echo "== python -m scripts.e2e.grpc_triton"
"$python" -m scripts.e2e.grpc_triton --url "127.0.0.1:$grpc_port" \
    --small-url "127.0.0.1:$small_grpc" --small-http "127.0.0.1:$small_http" \
    --secure-url "127.0.0.1:$secure_grpc" --cert "$work/cert.pem" --key-file "$work/keys"
echo "== python -m scripts.e2e.grpc_kserve"
"$kserve_venv/bin/python" -m scripts.e2e.grpc_kserve --url "127.0.0.1:$grpc_port"

echo "== SIGTERM: NOT_SERVING while draining"
kill -TERM $server
"$python" - "127.0.0.1:$grpc_port" <<'PY'
import sys, time, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
for _ in range(100):  # within the 2 s drain delay
    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
    if status == health_pb2.HealthCheckResponse.NOT_SERVING:
        print("ok   grpc.health.v1 says NOT_SERVING while draining")
        break
    time.sleep(0.02)
else:
    sys.exit("grpc.health.v1 never said NOT_SERVING during the drain delay")
PY
await_server_exit
for pid in "${extra[@]}"; do
    kill -TERM "$pid"
    wait "$pid" || { echo "a server exited with $? after SIGTERM"; exit 1; }
done
extra=()
if grep -q '"status":"500"' "$log"; then echo "the server answered 500"; exit 1; fi
echo "ok   every server exited 0 after SIGTERM; e2e/grpc.sh passed"
