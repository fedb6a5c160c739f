//! Requests within a bucket (the ddc deal): who may do what in a bucket, decided once.
//!
//! A request names its bucket, object key (a prefix for `list`) and a timestamp, and is
//! signed by the caller's account key ([`crate::signing::bucket`]). The operation is
//! the object store method the call goes to. [`decide_bucket`] is **the** rule: the node
//! gateway's authorization and anything explaining a refusal use it, from the mirror alone.

use crate::facts::BucketFacts;
use crate::metadata::{self, bad, number, text};
use crate::refusal::Refusal;
use crate::signing::account::verify_bare_or_wrapped;
use crate::signing::bucket::{bucket_request_message, SIGNATURE_BYTES};
use crate::AccountId;
use base64::Engine;
use http::HeaderMap;
use osiris_contract_types::ddc::{BucketId, NodeId};

/// Longest object key (or list prefix), bytes.
pub const MAX_KEY_BYTES: usize = 120;

/// What a request does to a bucket; `put` and `delete` need write permission, `get`,
/// `list` and `prove` (an audit's challenge) read permission (a writer may also read; the
/// owner may do everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketOp {
    Put,
    Get,
    List,
    Delete,
    Prove,
}

impl BucketOp {
    /// The name that is signed: `put`, `get`, `list` or `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Put => "put",
            Self::Get => "get",
            Self::List => "list",
            Self::Delete => "delete",
            Self::Prove => "prove",
        }
    }

    /// The operation of an object store method (`/osiris.storage.v1.ObjectStore/Put` → put).
    pub fn of_method(path: &str) -> Option<Self> {
        match path.strip_prefix(OBJECT_STORE_PATH)? {
            "Put" => Some(Self::Put),
            "Get" => Some(Self::Get),
            "List" => Some(Self::List),
            "Delete" => Some(Self::Delete),
            "Prove" => Some(Self::Prove),
            _ => None,
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Self::Put | Self::Delete)
    }
}

/// The object store service's path prefix (proto/osiris/storage/v1/objects.proto).
pub const OBJECT_STORE_PATH: &str = "/osiris.storage.v1.ObjectStore/";

/// A request within a bucket, as its metadata carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRequest {
    pub bucket_id: BucketId,
    /// The object's key, or the prefix a `list` is limited to.
    pub key: String,
    /// The caller's account: its sr25519 key signs.
    pub account: AccountId,
    /// Unix milliseconds.
    pub timestamp_ms: u64,
    pub signature: [u8; SIGNATURE_BYTES],
}

/// Why an object key is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadKey {
    #[error("an object key cannot be empty")]
    Empty,
    #[error("{0} bytes; keys have at most {MAX_KEY_BYTES}")]
    TooLong(usize),
    #[error("keys are visible ASCII characters (no spaces)")]
    NotVisibleAscii,
    #[error("keys cannot start with `/` or contain a `..` segment")]
    EscapesBucket,
}

/// Whether an object key is usable: 1 to [`MAX_KEY_BYTES`] visible ASCII characters
/// (a `list` prefix may be empty), no `..` segment, not starting with `/`.
pub fn check_key(key: &str, may_be_empty: bool) -> Result<(), BadKey> {
    if key.is_empty() {
        return if may_be_empty { Ok(()) } else { Err(BadKey::Empty) };
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(BadKey::TooLong(key.len()));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadKey::NotVisibleAscii);
    }
    if key.starts_with('/') || key.split('/').any(|segment| segment == "..") {
        return Err(BadKey::EscapesBucket);
    }
    Ok(())
}

impl BucketRequest {
    /// Reads the request metadata (`osiris-payment-type: bucket`, `osiris-bucket-id`,
    /// `osiris-object-key`, `osiris-account`, `osiris-request-timestamp`,
    /// `osiris-signature-bin` of 64 bytes). Errors name the header.
    pub fn from_headers(headers: &HeaderMap, op: BucketOp) -> Result<Self, Refusal> {
        let key = match headers.get(metadata::OBJECT_KEY) {
            Some(v) => v.to_str().map_err(|_| bad(metadata::OBJECT_KEY, "not ASCII text".into()))?,
            None if op == BucketOp::List => "",
            None => return Err(bad(metadata::OBJECT_KEY, "missing".into())),
        };
        check_key(key, op == BucketOp::List).map_err(|reason| bad(metadata::OBJECT_KEY, reason.to_string()))?;
        let account_text = text(headers, metadata::ACCOUNT)?;
        let account = account_text
            .parse::<AccountId>()
            .ok()
            .ok_or_else(|| bad(metadata::ACCOUNT, format!("`{account_text}` is not an SS58 account")))?;
        let signature = metadata::signature_bytes::<SIGNATURE_BYTES>(headers)?;
        Ok(Self {
            bucket_id: number(headers, metadata::BUCKET_ID)?,
            key: key.to_string(),
            account,
            timestamp_ms: number(headers, metadata::REQUEST_TIMESTAMP)?,
            signature,
        })
    }

    /// Writes the request metadata (the caller's side).
    pub fn to_headers(&self, headers: &mut HeaderMap) {
        let value = |s: String| http::HeaderValue::try_from(s).expect("ASCII header value");
        headers.insert(metadata::PAYMENT_TYPE, http::HeaderValue::from_static("bucket"));
        headers.insert(metadata::BUCKET_ID, value(self.bucket_id.to_string()));
        headers.insert(metadata::OBJECT_KEY, value(self.key.clone()));
        headers.insert(metadata::ACCOUNT, value(self.account.to_string()));
        headers.insert(metadata::REQUEST_TIMESTAMP, value(self.timestamp_ms.to_string()));
        headers.insert(metadata::SIGNATURE, value(base64::engine::general_purpose::STANDARD.encode(self.signature)));
    }

    /// Whether the signature is the account's over this request to node `node_id` doing
    /// `op` (sr25519, sp-core; as signed by a program or by a wallet extension).
    pub fn signed_by_account(&self, ddc: &AccountId, node_id: NodeId, op: BucketOp) -> bool {
        let message = bucket_request_message(ddc, node_id, self.bucket_id, op.as_str(), &self.key, self.timestamp_ms);
        verify_bare_or_wrapped(&self.account, &message, &self.signature)
    }
}

/// What a node gateway knows when it decides.
#[derive(Debug, Clone, Copy)]
pub struct NodeTerms {
    /// The node this gateway serves as.
    pub node_id: NodeId,
    /// How far a request's timestamp may be from the gateway's clock, ms.
    pub freshness_ms: u64,
    /// The gateway's clock, Unix ms.
    pub now_ms: u64,
}

/// **The** rule of requests within a bucket, from the mirror's facts of the bucket (`None`:
/// the mirror does not know it): the timestamp is fresh; the bucket's cluster maps a vnode
/// to this node and the bucket has resource allocated; the caller is the owner, or a writer
/// (any operation), or a reader or the owner of a node of the cluster (`get`, `list`: a
/// node repairs by copying from its peers), or the cluster's manager (`list`: its keeper
/// measures usage); the owner's deposit covers the rent at
/// the mirror's finalized block. The signature and replays are checked by the caller (a
/// signature check costs more than all of these).
pub fn decide_bucket(
    facts: Option<&BucketFacts>,
    request: &BucketRequest,
    op: BucketOp,
    terms: NodeTerms,
) -> Result<(), Refusal> {
    if request.timestamp_ms.abs_diff(terms.now_ms) > terms.freshness_ms {
        return Err(Refusal::StaleRequest {
            timestamp_ms: request.timestamp_ms,
            now_ms: terms.now_ms,
            freshness_ms: terms.freshness_ms,
        });
    }
    let facts = facts.ok_or(Refusal::UnknownBucket(request.bucket_id))?;
    let bucket = &facts.bucket;
    if !facts.vnodes.contains(&terms.node_id) {
        return Err(Refusal::BucketNotOnNode {
            bucket_id: bucket.bucket_id,
            cluster_id: bucket.cluster_id,
            node_id: terms.node_id,
        });
    }
    if bucket.resource == 0 {
        return Err(Refusal::BucketNotAllocated(bucket.bucket_id));
    }
    let caller = request.account.to_string();
    let permitted = caller == bucket.owner
        || bucket.writers.contains(&caller)
        || (!op.writes() && (bucket.readers.contains(&caller) || facts.node_owners.contains(&caller)))
        || (matches!(op, BucketOp::List | BucketOp::Prove) && caller == bucket.manager);
    if !permitted {
        return Err(Refusal::BucketForbidden {
            bucket_id: bucket.bucket_id,
            account: caller,
            needs: if op.writes() { "writer" } else { "reader" },
        });
    }
    if !facts.rent_covered() {
        return Err(Refusal::BucketRentUnpaid {
            bucket_id: bucket.bucket_id,
            covered_until: facts.rent_covered_until(),
            block: facts.now(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::BucketAccess;
    use crate::signing::account::AccountKey;
    use osiris_contract_types::ddc::ClusterId;

    fn who(uri: &str) -> AccountId {
        AccountKey::from_uri(uri).unwrap().account()
    }

    fn facts() -> BucketFacts {
        BucketFacts {
            bucket: BucketAccess {
                bucket_id: BucketId(1),
                owner: who("//Eve").to_string(),
                cluster_id: ClusterId(0),
                resource: 8,
                writers: vec![who("//Charlie").to_string()],
                readers: vec![who("//Ferdie").to_string()],
                manager: who("//Alice").to_string(),
            },
            vnodes: [0, 1, 0, 1].map(NodeId).to_vec(),
            node_owners: vec![who("//Bob").to_string()],
            owner_deposit: 1_000,
            owner_buckets: vec![(10, 100)],
            finalized_block: 110,
        }
    }

    fn request(uri: &str) -> BucketRequest {
        BucketRequest {
            bucket_id: BucketId(1),
            key: "k".into(),
            account: who(uri),
            timestamp_ms: 5_000,
            signature: [0; 64],
        }
    }

    const TERMS: NodeTerms = NodeTerms { node_id: NodeId(1), freshness_ms: 1_000, now_ms: 5_500 };

    #[test]
    fn owners_writers_and_readers_get_what_they_may() {
        let f = facts();
        for op in [BucketOp::Put, BucketOp::Get, BucketOp::List, BucketOp::Delete, BucketOp::Prove] {
            assert_eq!(decide_bucket(Some(&f), &request("//Eve"), op, TERMS), Ok(()));
            assert_eq!(decide_bucket(Some(&f), &request("//Charlie"), op, TERMS), Ok(()));
            let reader = decide_bucket(Some(&f), &request("//Ferdie"), op, TERMS);
            assert_eq!(reader.is_ok(), !op.writes(), "{op:?}");
            // The manager lists and audits (its keeper), and does nothing else.
            let manager = decide_bucket(Some(&f), &request("//Alice"), op, TERMS);
            assert_eq!(manager.is_ok(), matches!(op, BucketOp::List | BucketOp::Prove), "{op:?}");
            // A peer node's owner copies replicas (repair): it reads, it never writes.
            let peer = decide_bucket(Some(&f), &request("//Bob"), op, TERMS);
            assert_eq!(peer.is_ok(), !op.writes(), "{op:?}");
            assert!(matches!(
                decide_bucket(Some(&f), &request("//Dave"), op, TERMS),
                Err(Refusal::BucketForbidden { .. })
            ));
        }
        let refusal = decide_bucket(Some(&f), &request("//Ferdie"), BucketOp::Put, TERMS).unwrap_err();
        assert_eq!(refusal.label(), "bucket_forbidden");
        assert!(refusal.to_string().contains("writer"), "{refusal}");
    }

    #[test]
    fn each_precondition_is_named() {
        let eve = request("//Eve");
        assert_eq!(decide_bucket(None, &eve, BucketOp::Get, TERMS), Err(Refusal::UnknownBucket(BucketId(1))));
        let elsewhere = NodeTerms { node_id: NodeId(7), ..TERMS };
        assert!(matches!(
            decide_bucket(Some(&facts()), &eve, BucketOp::Get, elsewhere),
            Err(Refusal::BucketNotOnNode { node_id: NodeId(7), .. })
        ));
        let mut empty = facts();
        empty.bucket.resource = 0;
        assert_eq!(
            decide_bucket(Some(&empty), &eve, BucketOp::Get, TERMS),
            Err(Refusal::BucketNotAllocated(BucketId(1)))
        );
        // 1,000 planck at 10 per block from block 100 lasts to block 200.
        let mut late = facts();
        late.finalized_block = 200;
        assert_eq!(
            decide_bucket(Some(&late), &eve, BucketOp::Get, TERMS),
            Err(Refusal::BucketRentUnpaid { bucket_id: BucketId(1), covered_until: 200, block: 200 })
        );
        late.finalized_block = 199;
        assert_eq!(decide_bucket(Some(&late), &eve, BucketOp::Get, TERMS), Ok(()));
        let stale = NodeTerms { now_ms: 6_001, ..TERMS };
        assert!(matches!(decide_bucket(Some(&facts()), &eve, BucketOp::Get, stale), Err(Refusal::StaleRequest { .. })));
    }

    #[test]
    fn metadata_round_trips_and_bad_headers_are_named() {
        let key = AccountKey::from_uri("//Eve").unwrap();
        let ddc = AccountId::from([3; 32]);
        let mut req = request("//Eve");
        req.signature = key.sign_bucket_request(&ddc, NodeId(7), BucketId(1), "get", "k", 5_000);
        let mut headers = HeaderMap::new();
        req.to_headers(&mut headers);
        let parsed = BucketRequest::from_headers(&headers, BucketOp::Get).unwrap();
        assert_eq!(parsed, req);
        assert!(parsed.signed_by_account(&ddc, NodeId(7), BucketOp::Get));
        assert!(!parsed.signed_by_account(&ddc, NodeId(7), BucketOp::Delete));
        assert!(!parsed.signed_by_account(&ddc, NodeId(8), BucketOp::Get), "signed for node 7, not 8");
        for (header, value) in [
            (metadata::BUCKET_ID, "x"),
            (metadata::OBJECT_KEY, "../etc/passwd"),
            (metadata::ACCOUNT, "nobody"),
            (metadata::REQUEST_TIMESTAMP, "-5"),
            (metadata::SIGNATURE, "AAAA"),
        ] {
            let mut bad = headers.clone();
            bad.insert(header, value.parse().unwrap());
            match BucketRequest::from_headers(&bad, BucketOp::Get) {
                Err(Refusal::BadMetadata { header: named, .. }) => assert_eq!(named, header),
                other => panic!("{header}={value}: {other:?}"),
            }
        }
        headers.remove(metadata::OBJECT_KEY);
        assert!(BucketRequest::from_headers(&headers, BucketOp::Get).is_err());
        assert_eq!(BucketRequest::from_headers(&headers, BucketOp::List).unwrap().key, "");
    }

    #[test]
    fn methods_name_their_operation() {
        assert_eq!(BucketOp::of_method("/osiris.storage.v1.ObjectStore/Put"), Some(BucketOp::Put));
        assert_eq!(BucketOp::of_method("/osiris.storage.v1.ObjectStore/Copy"), None);
        assert_eq!(BucketOp::of_method("/other.Service/Get"), None);
        assert!(check_key("photos/cat.jpg", false).is_ok());
        assert!(check_key("a b", false).is_err());
        assert!(check_key(&"x".repeat(MAX_KEY_BYTES + 1), false).is_err());
    }
}
