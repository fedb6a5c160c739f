//! `primes-grpc [--listen ADDR]`: the Primes gRPC service (default 127.0.0.1:50051).
use clap::Parser;

#[derive(Parser)]
#[command(about = "Integer factorization and prime listing over gRPC (proto/examples/primes.proto).")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:50051")]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("primes-grpc listening on {}", listener.local_addr()?);
    osiris_examples::primes::serve(listener).await?;
    Ok(())
}
