//! Services that do real work, one per gateway service type, to sell through the gateway:
//!
//! | binary          | service_type | API (proto/examples)                         |
//! |-----------------|--------------|----------------------------------------------|
//! | `primes-grpc`   | `grpc`       | `osiris.examples.primes.v1.Primes`           |
//! | `text-jsonrpc`  | `jsonrpc`    | `osiris.examples.text.v1.TextStats`          |
//! | `stats-process` | `process`    | `osiris.examples.stats.v1.Statistics`        |
//! | `object-store`  | `grpc`, behind a gateway in bucket mode | `osiris.storage.v1.ObjectStore` (proto/osiris/storage) |

pub mod objects;
pub mod primes;
pub mod stats;
pub mod text;

/// Generated protobuf and tonic code of proto/examples.
pub mod pb {
    pub mod primes {
        tonic::include_proto!("osiris.examples.primes.v1");
    }
    pub mod text {
        tonic::include_proto!("osiris.examples.text.v1");
    }
    pub mod stats {
        tonic::include_proto!("osiris.examples.stats.v1");
    }
}
