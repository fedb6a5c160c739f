//! Compiles proto/osiris/gateway/v1 with protox (no protoc needed) into tonic code (clients and servers).
fn main() -> std::io::Result<()> {
    let proto = "../proto/osiris/gateway/v1/gateway.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["../proto"]).map_err(|e| std::io::Error::other(e.to_string()))?;
    tonic_prost_build::configure().compile_fds(fds)
}
