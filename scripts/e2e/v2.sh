#!/usr/bin/env bash
# End-to-end check of the v2 (Open Inference Protocol) API with real clients:
#   installs the pinned clients into a virtual environment if they are missing,
#   builds the release server, starts it on a free loopback port with an 8 MiB body
#   limit (which the decompression-bomb test relies on), waits for /v2/health/ready,
#   runs scripts/e2e/v2.py (tritonclient, the KServe SDK and raw HTTP, every answer
#   checked against NumPy), then stops the server with SIGTERM and requires exit 0.
# The clients live in their own environment (E2E_VENV, default .venv-e2e) because the
# KServe SDK pins many packages that the other scripts' tools also use.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=${E2E_VENV:-.venv-e2e}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
"$python" -c 'import tritonclient.http, kserve, numpy' 2>/dev/null ||
    "$python" -m pip install -q 'tritonclient[http]==2.73.0' 'kserve==0.21.0' 'numpy==2.4.6'

# The decompression-bomb test relies on an 8 MiB body limit.
source scripts/e2e/server.sh
start_server /v2/health/ready --max-body-bytes 8388608

echo "== python -m scripts.e2e.v2"
"$python" -m scripts.e2e.v2 --url "127.0.0.1:$port"

stop_server e2e/v2.sh
