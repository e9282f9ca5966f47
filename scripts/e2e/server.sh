# Sourced by the end-to-end scripts: builds the release server, runs it on a free loopback
# port until a readiness path answers, and stops it with SIGTERM requiring exit code 0.
# Sets: binary, port, log, server. With SCHEME=https the readiness probe speaks TLS
# (without verifying the certificate). scripts/bench/http.sh and scripts/ci/container.sh
# source it for free_port alone.

# free_port: prints a TCP port free on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server READY_PATH [SERVER_FLAGS...]
start_server() {
    local ready_path=$1
    shift
    echo "== build (release)"
    swift build -c release --product attention-server
    binary=$(swift build -c release --show-bin-path)/attention-server
    log=$(mktemp -t attention-e2e.XXXXXX.log)
    port=$(free_port)
    echo "== start on 127.0.0.1:$port (log: $log)"
    # The gRPC port too is a free one unless the caller names it (8081 may be taken).
    ATTENTION_GRPC_PORT=${ATTENTION_GRPC_PORT:-$(free_port)} \
        "$binary" --host 127.0.0.1 --port "$port" --log-format json "$@" >"$log" 2>&1 &
    server=$!
    trap 'kill -9 $server 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        curl -fsk "${SCHEME:-http}://127.0.0.1:$port$ready_path" >/dev/null && return 0
        kill -0 $server 2>/dev/null || { cat "$log"; echo "server exited early"; exit 1; }
        sleep 0.1
    done
    cat "$log"
    echo "server never became ready"
    exit 1
}

# stop_server NAME: SIGTERM, then exit code 0 and no 500 in the log.
stop_server() {
    echo "== SIGTERM"
    kill -TERM $server
    await_server_exit
    if grep -q '"status":"500"' "$log"; then
        echo "the server answered 500"
        exit 1
    fi
    echo "ok   exit 0 after SIGTERM; $1 passed"
}

# await_server_exit: waits for the server, which has had its SIGTERM, and requires exit
# code 0 (else the log's last lines); the start_server trap is no longer needed.
await_server_exit() {
    local status=0
    wait $server || status=$?
    trap - EXIT
    if [ "$status" -ne 0 ]; then
        tail -20 "$log"
        echo "server exited with $status after SIGTERM"
        exit 1
    fi
}
