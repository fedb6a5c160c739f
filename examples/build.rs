//! Compiles the example services' protos with protox (no protoc needed).
fn main() -> std::io::Result<()> {
    let protos = ["../proto/examples/primes.proto", "../proto/examples/text.proto", "../proto/examples/stats.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(protos, ["../proto"]).map_err(|e| std::io::Error::other(e.to_string()))?;
    tonic_prost_build::configure().compile_fds(fds)
}
