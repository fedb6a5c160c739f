//! Audits (proof of storage): the keeper challenges a node with a random object it should
//! hold, a random byte range and a fresh nonce; the node answers SHA-256(nonce ‖ range) and
//! whether its copy still hashes to the digest it had when stored (the object store's
//! `Prove`). Every other replica placed for the object gets the same challenge, at the same
//! time, so a node cannot precompute or borrow an answer, and its answer is judged against
//! theirs ([`judge`], pure).

use osiris_contract_types::ddc::{BucketId, NodeId};
use osiris_gateway_client::pb::storage::ProveRequest;
use osiris_gateway_client::storage::{Storage, StorageError};
use osiris_ledger::audits::{Audit, AuditResult};
use rand::Rng;

/// Longest range a challenge covers, bytes.
pub const AUDIT_RANGE_BYTES: u64 = 64 * 1024;
/// A challenge's nonce, bytes.
pub const NONCE_BYTES: usize = 32;

/// What a node answered a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Proof {
        proof: Vec<u8>,
        intact: bool,
    },
    /// It does not have the object (or not that much of it).
    Missing,
    /// It did not answer.
    Unreachable,
    /// It refused the keeper (the bucket's rent unpaid, say): no audit.
    Refused(String),
}

impl Answer {
    fn of(result: Result<osiris_gateway_client::pb::storage::ProveReply, StorageError>) -> Self {
        match result {
            Ok(reply) => Answer::Proof { proof: reply.proof, intact: reply.intact },
            Err(StorageError::Node { status, .. }) => match status.code() {
                tonic::Code::NotFound | tonic::Code::OutOfRange => Answer::Missing,
                tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown => Answer::Unreachable,
                _ => Answer::Refused(status.message().to_string()),
            },
            Err(e) => Answer::Refused(e.to_string()),
        }
    }
}

/// The result of `target`'s answer, given the other placed replicas' answers to the same
/// challenge; `None`: no audit (the node refused the keeper). A missing object or a copy
/// altered since it was stored fails; otherwise the intact proofs vote (the target's
/// included): the majority's passes, a minority fails, a tie is disputed; alone, an intact
/// proof passes.
pub fn judge(target: &Answer, others: &[Answer]) -> Option<(AuditResult, Option<String>)> {
    match target {
        Answer::Refused(_) => None,
        Answer::Unreachable => Some((AuditResult::Unreachable, Some("no answer".into()))),
        Answer::Missing => Some((AuditResult::Failed, Some("the object is missing".into()))),
        Answer::Proof { intact: false, .. } => {
            Some((AuditResult::Failed, Some("its copy no longer hashes to the digest it was stored with".into())))
        }
        Answer::Proof { proof, intact: true } => {
            let intact: Vec<&Vec<u8>> = others
                .iter()
                .filter_map(|a| match a {
                    Answer::Proof { proof, intact: true } => Some(proof),
                    _ => None,
                })
                .collect();
            if intact.is_empty() {
                return Some((AuditResult::Passed, Some("no other intact replica to compare with".into())));
            }
            let agree = 1 + intact.iter().filter(|p| **p == proof).count();
            let best_other = intact
                .iter()
                .filter(|p| **p != proof)
                .map(|p| intact.iter().filter(|q| *q == p).count())
                .max()
                .unwrap_or(0);
            Some(match agree.cmp(&best_other) {
                std::cmp::Ordering::Greater => (AuditResult::Passed, None),
                std::cmp::Ordering::Less => (
                    AuditResult::Failed,
                    Some(format!("its proof differs from what {best_other} other replica(s) agree on")),
                ),
                std::cmp::Ordering::Equal => {
                    (AuditResult::Disputed, Some("another replica claims an intact copy with another proof".into()))
                }
            })
        }
    }
}

/// Challenges `target` (one of `placed`, the object's replicas) on `key` of `bucket`, of
/// `size` bytes, and judges its answer; `None` when the node refused the keeper.
pub async fn audit_object(
    storage: &Storage,
    bucket: BucketId,
    key: &str,
    size: u64,
    placed: &[NodeId],
    target: NodeId,
) -> Option<Audit> {
    let (offset, length, nonce) = {
        let mut rng = rand::thread_rng();
        let offset = if size == 0 { 0 } else { rng.gen_range(0..size) };
        let length = (size - offset).min(rng.gen_range(1..=AUDIT_RANGE_BYTES));
        let mut nonce = vec![0u8; NONCE_BYTES];
        rng.fill(&mut nonce[..]);
        (offset, length, nonce)
    };
    let challenge = ProveRequest { offset, length, nonce };
    let mut nodes = vec![target];
    nodes.extend(placed.iter().copied().filter(|n| *n != target));
    let answers =
        futures::future::join_all(nodes.iter().map(|node| storage.prove(*node, bucket, key, challenge.clone()))).await;
    let answers: Vec<Answer> = answers.into_iter().map(Answer::of).collect();
    let (result, detail) = judge(&answers[0], &answers[1..])?;
    Some(Audit {
        node_id: target,
        bucket_id: bucket,
        key: key.to_string(),
        range_start: offset,
        range_bytes: length,
        result,
        detail,
        audited_at: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(p: u8, intact: bool) -> Answer {
        Answer::Proof { proof: vec![p], intact }
    }

    #[test]
    fn a_missing_or_altered_copy_fails_and_intact_proofs_vote() {
        let result = |target: &Answer, others: &[Answer]| judge(target, others).map(|(r, _)| r);
        assert_eq!(result(&Answer::Missing, &[proof(1, true)]), Some(AuditResult::Failed));
        assert_eq!(result(&proof(1, false), &[proof(1, true)]), Some(AuditResult::Failed), "altered on its disk");
        assert_eq!(result(&proof(1, true), &[proof(1, true)]), Some(AuditResult::Passed));
        assert_eq!(result(&proof(1, true), &[proof(2, false)]), Some(AuditResult::Passed), "the other copy is altered");
        assert_eq!(result(&proof(1, true), &[proof(2, true)]), Some(AuditResult::Disputed));
        assert_eq!(result(&proof(1, true), &[proof(2, true), proof(2, true)]), Some(AuditResult::Failed));
        assert_eq!(result(&proof(2, true), &[proof(1, true), proof(2, true)]), Some(AuditResult::Passed));
        assert_eq!(result(&proof(1, true), &[Answer::Unreachable]), Some(AuditResult::Passed));
        assert_eq!(result(&Answer::Unreachable, &[proof(1, true)]), Some(AuditResult::Unreachable));
        assert_eq!(result(&Answer::Refused("rent".into()), &[]), None);
    }
}
