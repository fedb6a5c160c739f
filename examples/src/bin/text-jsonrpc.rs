//! `text-jsonrpc [--listen ADDR]`: the TextStats JSON-RPC 2.0 endpoint (default 127.0.0.1:8545).
use clap::Parser;

#[derive(Parser)]
#[command(about = "Text statistics as a JSON-RPC 2.0 endpoint (proto/examples/text.proto).")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8545")]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("text-jsonrpc listening on {}", listener.local_addr()?);
    osiris_examples::text::serve(listener).await?;
    Ok(())
}
