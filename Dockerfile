# attention-server: the attention HTTP service in a small Debian image.
#
#   podman build --format docker -t attention-server:local .   (or: docker build ...)
#   podman run --rm --network host -e ATTENTION_HOST=127.0.0.1 attention-server:local
#
# It listens on 0.0.0.0 unless told otherwise: HTTP (REST v1 and the Open Inference Protocol
# v2) on 8080, the Open Inference Protocol over gRPC (h2c, or TLS with ATTENTION_TLS_CERT)
# and grpc.health.v1 on 8081. --format docker keeps the HEALTHCHECK.
#
# Every server flag is also an environment variable: --port → ATTENTION_PORT, --workers →
# ATTENTION_WORKERS, ... (the README's Deploy section lists them).

# ---- build: the official Swift image, Debian 12 variant, same Swift as the project -----
FROM swift:6.3.1-bookworm AS build

# OpenBLAS headers and openblas.pc for the CBLAS system-library target (pkgConfig "openblas").
# Versions are not pinned (DL3008): the stage follows bookworm, as the image it starts from.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# The contract and the playground page, compiled into the binary (embedInCode resources):
# Sources/AttentionServer/Resources/ holds symlinks to them, which COPY keeps as symlinks.
COPY openapi.yaml ./
COPY playground ./playground
# .dockerignore drops every file under Tests/ but keeps its folders: SwiftPM wants each
# test target's folder to exist to load the package, not its sources.
COPY Tests ./Tests

# Release build with the Swift runtime and Foundation linked in statically: the binary then
# needs only libc, libm, libstdc++, libgcc_s and OpenBLAS at run time. The cache mount keeps
# the package checkouts and objects between builds on the same machine.
# strip --strip-debug: drops DWARF (116 -> 91 MB) but keeps the symbol table, so the Swift
# backtracer copied beside the binary still names the functions in a crash log.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --static-swift-stdlib --product attention-server \
    && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && mkdir -p /staging \
    && strip --strip-debug -o /staging/attention-server "$bin/attention-server" \
    && find "$bin/" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
    && toolchain="$(dirname "$(readlink -f "$(command -v swift)")")/.." \
    && cp "$toolchain/libexec/swift/linux/swift-backtrace-static" /staging/

# ---- runtime: Debian 12 slim with OpenBLAS only -----------------------------------------
FROM debian:bookworm-slim

# libopenblas0-pthread: the OpenBLAS build Debian's libopenblas-dev links against by default
# (DYNAMIC_ARCH: it picks the AVX-512/AVX2 kernels of the CPU it runs on).
# Versions are not pinned (DL3008): a rebuild should pick up bookworm's security updates.
# A fixed non-root user; numeric so Kubernetes can check runAsNonRoot.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas0-pthread \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && groupadd --gid 10001 attention \
    && useradd --uid 10001 --gid attention --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin attention

WORKDIR /app
# The binary, any SwiftPM resource bundle next to it (where Bundle.module looks) and the
# Swift backtracer, which prints a symbolicated backtrace to stderr if the server crashes.
COPY --from=build /staging/ /app/

# Listen on every interface in the container (the server's own default is 127.0.0.1).
# OpenBLAS: the engine runs one GEMM per pool worker, single-threaded; don't let OpenBLAS
# start a thread per host core at load time (it doesn't see the cgroup's CPU limit).
ENV ATTENTION_HOST=0.0.0.0 \
    ATTENTION_PORT=8080 \
    ATTENTION_GRPC_PORT=8081 \
    OPENBLAS_NUM_THREADS=1 \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER 10001:10001
# 8080: HTTP/1.1 (REST v1, OIP v2 REST, /health, /ready, /metrics).
# 8081: OIP over gRPC and grpc.health.v1 (ATTENTION_GRPC_PORT; 0 turns it off).
EXPOSE 8080 8081

# No curl in the image: the server probes its own /health (exit 0 healthy, 1 not).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/app/attention-server", "healthcheck"]

# Exec form: the server is PID 1 and gets SIGTERM itself (readiness 503, drain, exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/attention-server"]
