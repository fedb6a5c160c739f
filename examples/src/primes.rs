//! Integer factorization and prime listing, served over gRPC.

use crate::pb::primes::{
    primes_server::{Primes, PrimesServer},
    FactorizeReply, FactorizeRequest, ListPrimesRequest, Prime,
};
use futures::Stream;
use std::pin::Pin;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

/// Widest range `ListPrimes` accepts.
pub const MAX_RANGE: u64 = 100_000;

/// Prime factors of `n` with multiplicity, smallest first (empty for 0 and 1).
pub fn factorize(mut n: u64) -> Vec<u64> {
    let mut factors = Vec::new();
    if n < 2 {
        return factors;
    }
    for p in [2u64, 3] {
        while n.is_multiple_of(p) {
            factors.push(p);
            n /= p;
        }
    }
    let mut d = 5u64;
    while d.saturating_mul(d) <= n {
        for candidate in [d, d + 2] {
            while n.is_multiple_of(candidate) {
                factors.push(candidate);
                n /= candidate;
            }
        }
        d += 6;
    }
    if n > 1 {
        factors.push(n);
    }
    factors
}

/// Whether `n` is prime.
pub fn is_prime(n: u64) -> bool {
    n >= 2 && factorize(n) == [n]
}

/// The gRPC service.
#[derive(Debug, Default, Clone)]
pub struct PrimesService;

#[tonic::async_trait]
impl Primes for PrimesService {
    async fn factorize(&self, request: Request<FactorizeRequest>) -> Result<Response<FactorizeReply>, Status> {
        let number = request.into_inner().number;
        let factors = factorize(number);
        let is_prime = factors.len() == 1;
        Ok(Response::new(FactorizeReply { number, factors, is_prime }))
    }

    type ListPrimesStream = Pin<Box<dyn Stream<Item = Result<Prime, Status>> + Send>>;

    async fn list_primes(
        &self,
        request: Request<ListPrimesRequest>,
    ) -> Result<Response<Self::ListPrimesStream>, Status> {
        let ListPrimesRequest { from, to } = request.into_inner();
        if to < from || to - from > MAX_RANGE {
            return Err(Status::invalid_argument(format!(
                "range [{from}, {to}] must be ordered and at most {MAX_RANGE} wide"
            )));
        }
        let primes = (from..=to).filter(|n| is_prime(*n)).map(|value| Ok(Prime { value }));
        Ok(Response::new(Box::pin(futures::stream::iter(primes.collect::<Vec<_>>()))))
    }
}

/// Serves `Primes` on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> Result<(), tonic::transport::Error> {
    serve_until(listener, std::future::pending()).await
}

/// Serves `Primes` on `listener` until `stop` completes; then closes its connections too
/// (a stopped server that clients' pooled connections no longer reach).
pub async fn serve_until(
    listener: TcpListener,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(PrimesServer::new(PrimesService))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            stop,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_multiply_back_and_are_prime() {
        assert_eq!(factorize(360), vec![2, 2, 2, 3, 3, 5]);
        assert_eq!(factorize(97), vec![97]);
        assert_eq!(factorize(1), Vec::<u64>::new());
        assert_eq!(factorize(600_851_475_143), vec![71, 839, 1471, 6857]);
        for n in 2..2000u64 {
            let f = factorize(n);
            assert_eq!(f.iter().product::<u64>(), n);
            assert!(f.iter().all(|p| factorize(*p) == [*p]));
        }
        assert!(is_prime(7919) && !is_prime(7917));
    }
}
