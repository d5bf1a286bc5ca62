# A container image of Vouch: the `vouch` binary and the learner SPA.
#
#   docker build -t vouch .
#   docker run -p 8000:8000 -e VOUCH_DATABASE__URL=postgres://… -e VOUCH_AUTH__SESSION_SECRET=… \
#     -e VOUCH_VAULT__URL_SECRET=… -e VOUCH_VAULT__BACKEND=s3 … vouch serve
#
# Not built in CI (no container runtime there); see docs/deploy.md.

# Build stage: the same toolchain and the same `cargo xtask frontend` as development, so the
# image's SPA is the bundle the browser tests ran against.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Installs the wasm32 target, Trunk, wasm-bindgen and binaryen (npm) when missing, then builds dist/.
RUN cargo xtask frontend
RUN cargo build --release -p server --bin vouch

# Runtime stage: glibc, CA certificates (vendors, S3, SMTP over TLS), nothing else.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/vouch --create-home vouch
COPY --from=build /src/target/release/vouch /usr/local/bin/vouch
COPY --from=build /src/dist /usr/share/vouch/dist
USER vouch
WORKDIR /var/lib/vouch
ENV VOUCH_SERVER__STATIC_DIR=/usr/share/vouch/dist \
    VOUCH_SERVER__BIND=0.0.0.0:8000
EXPOSE 8000
# Health: point the orchestrator's HTTP probes at /healthz (liveness) and /readyz (readiness).
ENTRYPOINT ["/usr/local/bin/vouch"]
CMD ["serve"]
