//! Compiles proto/osiris/gateway/v1 and proto/osiris/storage/v1 with protox (no protoc needed) into tonic code (clients and servers).
fn main() -> std::io::Result<()> {
    let protos = ["../proto/osiris/gateway/v1/gateway.proto", "../proto/osiris/storage/v1/objects.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(protos, ["../proto"]).map_err(|e| std::io::Error::other(e.to_string()))?;
    tonic_prost_build::configure().compile_fds(fds)
}
