//! DDC domain: storage capacity sold by the block. Providers register nodes and trust
//! managers; a manager forms clusters of virtual nodes (vnodes) mapped onto trusted nodes;
//! apps create buckets in a cluster, deposit funds and pay rent for the resource their
//! buckets use; the cluster distributes what it collected to the providers by vnodes.

mod entity;
mod error;
mod events;
mod rent;

pub use entity::*;
pub use error::DdcError;
pub use events::*;
pub use rent::*;
