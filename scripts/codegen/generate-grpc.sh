#!/usr/bin/env bash
# Regenerates the committed Swift code of Sources/InferenceGRPC/Generated/ from Protos/.
# The build never runs protoc or a plugin (no GRPCProtobufGenerator build plugin): run
# this after changing a .proto, and commit the .proto and the generated files together.
#
#   scripts/codegen/generate-grpc.sh           regenerate in place
#   scripts/codegen/generate-grpc.sh --check   regenerate into a temporary folder and
#                                              fail if it differs from what is committed
#
# Tools, each overridable from the environment:
#   PROTOC                   protoc (Debian: apt-get install -y protobuf-compiler, 3.21.12)
#   PROTOC_GEN_SWIFT         protoc-gen-swift 1.39.0         (apple/swift-protobuf)
#   PROTOC_GEN_GRPC_SWIFT_2  protoc-gen-grpc-swift-2 2.4.1   (grpc/grpc-swift-protobuf)
# A plugin not given is looked for in $PROTOC_PLUGINS_DIR/grpc-swift-protobuf/.build/release
# (default /tmp/protoc-plugins) and, if missing there, built into it (several minutes on
# 2 cores): grpc-swift-protobuf 2.4.1 is cloned (its Package.resolved pins grpc-swift-2
# 2.4.3 and swift-protobuf 1.39.0 from the mirror), `swift build -c release --product
# protoc-gen-grpc-swift-2`, then `--product protoc-gen-swift` from the same build folder,
# which takes swift-protobuf's executable at the version the first build resolved.
# The plugins' versions are checked: other versions generate different code.
#
# The command this runs (from the repository root):
#   protoc --proto_path=Protos \
#     --plugin=protoc-gen-swift=$PROTOC_GEN_SWIFT \
#     --swift_out=Sources/InferenceGRPC/Generated \
#     --swift_opt=Visibility=Public,FileNaming=FullPath \
#     --plugin=protoc-gen-grpc-swift-2=$PROTOC_GEN_GRPC_SWIFT_2 \
#     --grpc-swift-2_out=Sources/InferenceGRPC/Generated \
#     --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=FullPath \
#     inference/grpc_predict_v2.proto grpc/health/v1/health.proto
# Visibility=Public: the server target (and tests) import these types from the
# InferenceGRPC module. Client=true: tests call the service with the generated client.
#
# Python stubs (for test clients; not committed), the same .proto through grpcio-tools:
#   pip install grpcio-tools
#   out=$(mktemp -d)
#   python3 -m grpc_tools.protoc --proto_path=Protos --python_out="$out" \
#     --pyi_out="$out" --grpc_python_out="$out" \
#     inference/grpc_predict_v2.proto grpc/health/v1/health.proto
#   PYTHONPATH="$out" python3 -c 'from inference import grpc_predict_v2_pb2_grpc'
# The health stubs land in $out/grpc/health/v1, which cannot be imported beside grpcio
# (its `grpc` package wins, and maps grpc.health to grpcio-health-checking's grpc_health
# when that is installed): for health use grpc_health.v1 of grpcio-health-checking.
# tritonclient[grpc] ships stubs of its own too; scripts/codegen/crosscheck_protos.py
# compares Protos/ with both, field by field.
set -euo pipefail
cd "$(dirname "$0")/../.."

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

swift_protobuf_version=1.39.0
grpc_swift_protobuf_version=2.4.1
protos=(inference/grpc_predict_v2.proto grpc/health/v1/health.proto)
generated=Sources/InferenceGRPC/Generated

PROTOC=${PROTOC:-protoc}
command -v "$PROTOC" >/dev/null || {
    echo "protoc not found (Debian: apt-get install -y protobuf-compiler)" >&2; exit 1; }

plugins_dir=${PROTOC_PLUGINS_DIR:-/tmp/protoc-plugins}
built="$plugins_dir/grpc-swift-protobuf/.build/release"
if [ -z "${PROTOC_GEN_SWIFT:-}" ] || [ -z "${PROTOC_GEN_GRPC_SWIFT_2:-}" ]; then
    if [ ! -x "$built/protoc-gen-swift" ] || [ ! -x "$built/protoc-gen-grpc-swift-2" ]; then
        echo "== building the protoc plugins in $plugins_dir (takes several minutes)"
        mkdir -p "$plugins_dir"
        [ -d "$plugins_dir/grpc-swift-protobuf" ] ||
            git clone -q --branch "$grpc_swift_protobuf_version" \
                https://github.com/grpc/grpc-swift-protobuf "$plugins_dir/grpc-swift-protobuf"
        (cd "$plugins_dir/grpc-swift-protobuf" &&
            nice -n 15 swift build -c release --product protoc-gen-grpc-swift-2 &&
            nice -n 15 swift build -c release --product protoc-gen-swift)
    fi
    PROTOC_GEN_SWIFT=${PROTOC_GEN_SWIFT:-$built/protoc-gen-swift}
    PROTOC_GEN_GRPC_SWIFT_2=${PROTOC_GEN_GRPC_SWIFT_2:-$built/protoc-gen-grpc-swift-2}
fi

expect_version() {   # plugin, expected "name version"
    local got
    got=$("$1" --version)
    [ "$got" = "$2" ] || { echo "$1 reports '$got', expected '$2'" >&2; exit 1; }
}
expect_version "$PROTOC_GEN_SWIFT" "protoc-gen-swift $swift_protobuf_version"
expect_version "$PROTOC_GEN_GRPC_SWIFT_2" "protoc-gen-grpc-swift-2 $grpc_swift_protobuf_version"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$PROTOC" --proto_path=Protos \
    --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public,FileNaming=FullPath \
    --plugin=protoc-gen-grpc-swift-2="$PROTOC_GEN_GRPC_SWIFT_2" \
    --grpc-swift-2_out="$out" \
    --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=FullPath \
    "${protos[@]}"

if [ "$check" = 1 ]; then
    if diff -ru "$generated" "$out"; then
        echo "generated code is up to date"
    else
        echo "generated code differs from Protos/: run $0" >&2
        exit 1
    fi
else
    rm -rf "$generated"
    mkdir -p "$generated"
    cp -R "$out"/. "$generated"/
    (cd "$generated" && find . -type f | sort)
fi
