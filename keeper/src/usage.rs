//! The rule that turns what nodes hold into a bucket's usage in the cluster's resource
//! unit, pure (no I/O): what the keeper allocates and the owner pays rent for.
//!
//! An object counts only when **every** node its placement names listed it, at the
//! smallest size they listed: a node that lists objects nobody else holds, or inflates a
//! size, cannot make an owner pay for them; a placed node that did not answer makes its
//! objects not count this time (the owner is never charged on doubt). The bucket's bytes
//! are those objects' sizes summed (each counted once, whatever the replication: the owner
//! rents logical bytes), and its usage is `ceil(bytes / bytes_per_unit)` units.

use osiris_contract_types::ddc::{NodeId, Resource};
use osiris_gateway_client::storage::placement;
use std::collections::BTreeMap;

/// What one node listed of a bucket: key → size in bytes; `None`: it did not answer.
pub type Listing = Option<BTreeMap<String, u64>>;

/// The bucket's bytes that every placed node agrees it holds (see the module docs).
pub fn agreed_bytes(listings: &BTreeMap<NodeId, Listing>, vnodes: &[NodeId], replicas: usize) -> u64 {
    let mut keys: std::collections::BTreeSet<&String> = std::collections::BTreeSet::new();
    for listing in listings.values().flatten() {
        keys.extend(listing.keys());
    }
    keys.into_iter()
        .filter_map(|key| {
            let placed = placement(key, vnodes, replicas);
            let sizes: Option<Vec<u64>> = placed
                .iter()
                .map(|node| listings.get(node).and_then(|l| l.as_ref()).and_then(|l| l.get(key)).copied())
                .collect();
            sizes.and_then(|s| s.into_iter().min())
        })
        .sum()
}

/// Resource units for `bytes`, rounded up (`bytes_per_unit` ≥ 1).
pub fn units(bytes: u64, bytes_per_unit: u64) -> Resource {
    let units = bytes.div_ceil(bytes_per_unit.max(1));
    Resource::try_from(units).unwrap_or(Resource::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VNODES: [NodeId; 4] = [NodeId(0), NodeId(1), NodeId(0), NodeId(1)];

    fn honest(objects: &BTreeMap<String, u64>) -> BTreeMap<NodeId, Listing> {
        let mut listings: BTreeMap<NodeId, Listing> = BTreeMap::new();
        for (key, size) in objects {
            for node in placement(key, &VNODES, 2) {
                listings
                    .entry(node)
                    .or_insert_with(|| Some(BTreeMap::new()))
                    .as_mut()
                    .unwrap()
                    .insert(key.clone(), *size);
            }
        }
        listings
    }

    #[test]
    fn units_round_up() {
        assert_eq!((units(0, 1024), units(1, 1024), units(1024, 1024), units(1025, 1024)), (0, 1, 1, 2));
    }

    proptest! {
        /// Honest nodes: every object counts once. Then node 1 lies — ghost objects, inflated
        /// sizes — and the figure does not grow; it goes silent and the figure does not grow.
        #[test]
        fn a_lying_or_silent_node_never_raises_the_figure(
            objects in proptest::collection::btree_map("[a-z]{1,6}", 1u64..10_000, 0..30),
            ghosts in proptest::collection::btree_map("[A-Z]{1,6}", 1u64..1_000_000, 1..10),
            inflate in 1u64..1_000_000,
        ) {
            let listings = honest(&objects);
            let total: u64 = objects.values().sum();
            prop_assert_eq!(agreed_bytes(&listings, &VNODES, 2), total);

            let mut lying = listings.clone();
            let liar = lying.entry(NodeId(1)).or_insert_with(|| Some(BTreeMap::new())).as_mut().unwrap();
            for size in liar.values_mut() {
                *size += inflate;
            }
            liar.extend(ghosts);
            prop_assert_eq!(agreed_bytes(&lying, &VNODES, 2), total);

            let mut silent = listings;
            silent.insert(NodeId(1), None);
            prop_assert!(agreed_bytes(&silent, &VNODES, 2) <= total);
        }
    }
}
