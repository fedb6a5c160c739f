//! `object-store [--listen ADDR] [--dir DIR]`: the object store of a ddc node (default
//! 127.0.0.1:50061, data under ./objects, a directory per bucket).
use clap::Parser;

#[derive(Parser)]
#[command(
    about = "Objects of buckets on disk, over gRPC (proto/osiris/storage/v1/objects.proto); run it behind a gateway in bucket mode."
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:50061")]
    listen: std::net::SocketAddr,
    /// Where the buckets' directories are.
    #[arg(long, default_value = "objects")]
    dir: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("object-store listening on {} (data in {})", listener.local_addr()?, args.dir.display());
    osiris_examples::objects::serve(listener, args.dir).await?;
    Ok(())
}
