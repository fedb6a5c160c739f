# The pinned dev chain: substrate-contracts-node 0.42.0 (crates.io package contracts-node).
# Build takes over an hour on 2 cores; see scripts/setup.sh for the two workarounds it needs.
FROM rust:1.86-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler clang libclang-dev \
 && rm -rf /var/lib/apt/lists/*
RUN rustup component add rust-src && rustup target add wasm32-unknown-unknown
ENV WASM_BUILD_WORKSPACE_HINT=/usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/contracts-node-0.42.0 \
    WASM_BUILD_TOOLCHAIN=1.86.0
RUN cargo install contracts-node --version 0.42.0 --locked

FROM debian:bookworm-slim
COPY --from=build /usr/local/cargo/bin/substrate-contracts-node /usr/local/bin/
EXPOSE 9944
ENTRYPOINT ["substrate-contracts-node"]
CMD ["--dev", "--tmp", "--rpc-external", "--rpc-cors", "all", "--rpc-port", "9944"]
