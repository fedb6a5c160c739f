//! `osiris services`: what is for sale.

use crate::context::GlobalArgs;
use crate::directory::Directory;
use crate::output::{planck, Report};
use anyhow::Result;
use serde_json::{json, Value};

/// Every service in the registry (through the indexer, or the chain) with its price per
/// call, API content hash and groups.
pub async fn run(global: &GlobalArgs) -> Result<Report> {
    let directory = Directory::open(global).await?;
    let listings = directory.services().await?;
    let mut lines = Vec::new();
    let mut items = Vec::new();
    for l in &listings {
        let groups: Vec<String> = l
            .groups
            .iter()
            .map(|g| format!("{} ({} endpoint(s), paid to {})", g.id, g.endpoints.len(), g.payment_recipient))
            .collect();
        let name = if l.name.is_empty() { String::new() } else { format!(" \"{}\"", l.name) };
        lines.push(format!("{}{name}: {} planck per call; groups {}", l.name(), l.price_per_call, groups.join(", ")));
        let groups: Vec<Value> = l
            .groups
            .iter()
            .map(
                |g| json!({"id": g.id, "payment_recipient": g.payment_recipient.to_string(), "endpoints": g.endpoints}),
            )
            .collect();
        items.push(json!({
            "org_id": l.org_id, "service_id": l.service_id, "name": l.name,
            "price_per_call": planck(l.price_per_call), "content_hash": format!("0x{}", hex::encode(l.content_hash)),
            "groups": groups,
        }));
    }
    if lines.is_empty() {
        lines.push(format!("nothing for sale yet ({} lists no services)", directory.source()));
    }
    Ok(Report::new(lines.join("\n"), Value::Array(items)))
}
