//! From a registry listing to a reply: choose the instance group the consumer has a
//! payment channel to (or open one when asked), then call the group's endpoints in turn
//! until one answers.

use crate::context::GlobalArgs;
use crate::directory::{ChannelListing, Directory, GroupListing, Listing};
use crate::paying::{self, CallSpec, Failure};
use anyhow::{bail, Context, Result};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::{Balance, BlockNumber, ChannelId};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long to wait for a channel just opened to reach the directory (and so the gateways'
/// mirror, which follows finalized blocks).
pub const CHANNEL_VISIBLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Poll interval while waiting for that.
const CHANNEL_VISIBLE_POLL: Duration = Duration::from_millis(200);

/// How to pay when the consumer has no channel to the service yet.
#[derive(Debug, Clone, Copy)]
pub struct OpenChannel {
    /// Planck to lock in the new channel.
    pub value: Balance,
    /// Its expiration, in blocks from the current finalized block.
    pub expires_in: BlockNumber,
}

/// The group a call goes to and the channel that pays for it.
#[derive(Debug, Clone)]
pub struct Route {
    pub group: GroupListing,
    pub channel_id: ChannelId,
}

/// Picks the first group (in the registry's order) with endpoints and a channel signed by
/// `key` that has not expired and still holds money; the channel with the most value in it.
/// Without one, opens a channel when `open` says so, or fails naming the command that
/// opens one.
pub async fn route(
    directory: &Directory,
    global: &GlobalArgs,
    listing: &Listing,
    key: &PaymentKey,
    key_file: &std::path::Path,
    open: Option<OpenChannel>,
) -> Result<Route> {
    let reachable: Vec<&GroupListing> = listing.groups.iter().filter(|g| !g.endpoints.is_empty()).collect();
    let Some(first) = reachable.first() else {
        bail!("{} has no gateway endpoints in the registry", listing.name());
    };
    let head = directory.head().await?;
    for group in &reachable {
        let channels = directory.channels(&key.signer_key(), &group.payment_recipient, &group.id).await?;
        if let Some(channel) = best_channel(&channels, head) {
            return Ok(Route { group: (*group).clone(), channel_id: channel.id });
        }
    }
    let Some(open) = open else {
        bail!(
            "no open payment channel signed by {} to {} (group {}, recipient {}): open one with \
             `osiris channel open --recipient {} --group {} --key-file {} --value <planck> --deposit`, \
             or call again with --open-channel <planck>",
            key_file.display(),
            listing.name(),
            first.id,
            first.payment_recipient,
            first.payment_recipient,
            first.id,
            key_file.display(),
        );
    };
    let channel_id = open_channel(directory, global, first, key, open).await?;
    Ok(Route { group: (*first).clone(), channel_id })
}

/// The unexpired channel with the most value, if any holds money.
fn best_channel(channels: &[ChannelListing], head: BlockNumber) -> Option<&ChannelListing> {
    channels.iter().filter(|c| c.expiration > head && c.value > 0).max_by_key(|c| (c.value, c.id))
}

/// Opens a channel from the signing account to `group` (from its escrow balance, or
/// depositing from its free balance when that is short) and waits until the directory
/// has it, so the gateways accept payments from it.
async fn open_channel(
    directory: &Directory,
    global: &GlobalArgs,
    group: &GroupListing,
    key: &PaymentKey,
    open: OpenChannel,
) -> Result<ChannelId> {
    let connected = global.connect().await?;
    let escrow = connected.escrow();
    let signer = global.signer()?;
    let now = BlockNumber::try_from(connected.chain.block_number().await?)?;
    let expiration = now.checked_add(open.expires_in).context("expiration overflows a block number")?;
    let balance = escrow.balance_of(&osiris_chain::account::account_of(&signer)).await?;
    let (recipient, signer_key) = (&group.payment_recipient, key.signer_key());
    let outcome = if balance >= open.value {
        escrow.open_channel(&signer, signer_key, recipient, &group.id, open.value, expiration).await?
    } else {
        escrow.deposit_and_open_channel(&signer, signer_key, recipient, &group.id, open.value, expiration).await?
    };
    let id = outcome.value;
    eprintln!(
        "opened channel {id}: {} planck to {recipient} group {} until block {expiration} (block #{})",
        open.value, group.id, outcome.block_number
    );
    let started = Instant::now();
    while !directory.has_channel(id).await? {
        if started.elapsed() > CHANNEL_VISIBLE_TIMEOUT {
            bail!(
                "channel {id} was opened but {} has not seen it after {CHANNEL_VISIBLE_TIMEOUT:?}",
                directory.source()
            );
        }
        tokio::time::sleep(CHANNEL_VISIBLE_POLL).await;
    }
    Ok(id)
}

/// Calls the route's group: its endpoints in the registry's order, moving on when an
/// endpoint is down or is not the service the registry lists (another service, group or
/// price). Fails with every endpoint's reason when none answers, or at once when the call
/// itself is refused.
pub async fn call(listing: &Listing, route: &Route, spec: &CallSpec<'_>) -> Result<Value> {
    let mut reasons = Vec::new();
    for url in &route.group.endpoints {
        let attempt = async {
            let (client, info) = paying::open(url).await?;
            check_identity(listing, &route.group, &info).map_err(Failure::Endpoint)?;
            paying::call(url, &client, &info, spec).await
        };
        match attempt.await {
            Ok(reply) => return Ok(reply),
            Err(Failure::Endpoint(e)) => reasons.push(format!("{e:#}")),
            Err(Failure::Call(e)) => return Err(e),
        }
    }
    bail!("no endpoint of {} group {} answered: {}", listing.name(), route.group.id, reasons.join("; "))
}

/// The gateway must sell the listed service, for the listed group, at the listed price.
fn check_identity(
    listing: &Listing,
    group: &GroupListing,
    info: &osiris_gateway_client::pb::ServiceInfo,
) -> Result<()> {
    let sells = format!("{}/{}", info.org_id, info.service_id);
    if sells != listing.name() || info.group_id != group.id {
        bail!("it sells {sells} group {}, not {} group {}", info.group_id, listing.name(), group.id);
    }
    if info.price_per_call != listing.price_per_call.to_string() {
        bail!("it asks {} planck per call but the registry lists {}", info.price_per_call, listing.price_per_call);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use osiris_contract_types::Nonce;

    fn channel(id: ChannelId, value: Balance, expiration: BlockNumber) -> ChannelListing {
        ChannelListing { id, value, nonce: Nonce(0), expiration }
    }

    #[test]
    fn the_best_channel_is_unexpired_and_fullest() {
        let channels = [
            channel(ChannelId(0), 900, 50),
            channel(ChannelId(1), 100, 500),
            channel(ChannelId(2), 300, 500),
            channel(ChannelId(3), 0, 900),
        ];
        assert_eq!(best_channel(&channels, 100).map(|c| c.id), Some(ChannelId(2)), "0 expired, 3 empty");
        assert_eq!(best_channel(&channels, 10).map(|c| c.id), Some(ChannelId(0)));
        assert_eq!(best_channel(&channels, 900), None);
    }
}
