# The osiris CLI (with the contracts built in: Rust 1.86 + cargo-contract 5.0.3 for the Wasm), the indexer,
# the gateway and the example services (protos under /opt/osiris/proto).
FROM rust:1.86-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler clang libclang-dev \
 && rm -rf /var/lib/apt/lists/*
RUN rustup component add rust-src clippy && rustup target add wasm32-unknown-unknown
RUN cargo install cargo-contract --version 5.0.3 --locked
WORKDIR /src
COPY . .
RUN cd contracts && cargo contract build --release --manifest-path registry/Cargo.toml \
 && cargo contract build --release --manifest-path escrow/Cargo.toml
# The workspace itself needs a current stable Rust.
RUN rustup toolchain install stable --profile minimal && cargo +stable build --release -p osiris-cli -p osiris-indexer -p osiris-gateway -p osiris-examples

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/osiris /src/target/release/osiris-indexer /src/target/release/osiris-gateway \
     /src/target/release/primes-grpc /src/target/release/text-jsonrpc /src/target/release/stats-process /usr/local/bin/
COPY --from=build /src/proto /opt/osiris/proto
COPY --from=build /src/contracts/target/ink /opt/osiris/contracts/target/ink
ENV OSIRIS_CONTRACTS_DIR=/opt/osiris/contracts
ENTRYPOINT ["osiris"]
