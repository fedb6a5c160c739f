//! A service's metadata document: what a market shows about a service beyond the registry's
//! name and price. The provider writes it as JSON, publishes its blake2-256 as the service's
//! `content_hash` in the registry (`osiris service describe`), and serves the very same bytes
//! from its gateways (`service.metadata_file`, in `ServiceInfo.metadata_document`); the
//! indexer fetches it from the service's endpoints and shows it only if the bytes hash to
//! the registry's `content_hash`.
//!
//! ```json
//! { "description": "Factorizes integers up to 2^64.", "tags": ["math", "primes"],
//!   "docs_url": "https://example.com/primes", "contact": "mailto:ops@example.com",
//!   "image_url": "https://example.com/primes.png" }
//! ```
//!
//! Only `description` is required. The API itself is not in the document: the gateway serves
//! it as a descriptor set (`ServiceInfo.descriptor_set`, and gRPC reflection).

use serde::{Deserialize, Serialize};

/// Largest document, bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Longest description, characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Most tags a document may have.
pub const MAX_TAGS: usize = 16;
/// Longest tag, bytes (tags are `[a-z0-9-]`).
pub const MAX_TAG_LEN: usize = 32;
/// Longest URL (`docs_url`, `contact`, `image_url`), bytes.
pub const MAX_URL_LEN: usize = 512;

/// A service's metadata document, as parsed by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDocument {
    /// What the service does, plain text (a market shows it as text, never as markup).
    pub description: String,
    /// Search tags: 1..=[`MAX_TAG_LEN`] bytes of `[a-z0-9-]` each, at most [`MAX_TAGS`].
    #[serde(default)]
    pub tags: Vec<String>,
    /// The service's documentation (`https://` or `http://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// How to reach the provider: an `https://`, `http://` or `mailto:` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// A picture of the service (`https://` or `http://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// Why bytes are not a service document; each names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is {bytes} bytes, more than {MAX_DOCUMENT_BYTES}")]
    TooLarge { bytes: usize },
    #[error("the document is not JSON of the expected fields: {0}")]
    Json(String),
    #[error("{field}: {reason}")]
    Field { field: &'static str, reason: String },
}

/// The document's content hash, as the registry holds it: blake2-256 of its exact bytes.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    osiris_payments::signing::blake2_256(bytes)
}

/// Parses and checks a document: size, JSON fields, description length, tags, URL schemes.
pub fn parse(bytes: &[u8]) -> Result<ServiceDocument, DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge { bytes: bytes.len() });
    }
    let doc: ServiceDocument = serde_json::from_slice(bytes).map_err(|e| DocumentError::Json(e.to_string()))?;
    let field = |field: &'static str, reason: String| DocumentError::Field { field, reason };
    let chars = doc.description.chars().count();
    if chars == 0 || chars > MAX_DESCRIPTION_CHARS {
        return Err(field("description", format!("must be 1 to {MAX_DESCRIPTION_CHARS} characters, is {chars}")));
    }
    if doc.description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(field("description", "must not hold control characters other than newlines".into()));
    }
    if doc.tags.len() > MAX_TAGS {
        return Err(field("tags", format!("at most {MAX_TAGS}, got {}", doc.tags.len())));
    }
    if let Some(bad) = doc.tags.iter().find(|t| !is_tag(t)) {
        return Err(field("tags", format!("{bad:?} is not 1 to {MAX_TAG_LEN} bytes of a-z, 0-9 and -")));
    }
    for (name, url, schemes) in [
        ("docs_url", &doc.docs_url, &["https://", "http://"][..]),
        ("contact", &doc.contact, &["https://", "http://", "mailto:"][..]),
        ("image_url", &doc.image_url, &["https://", "http://"][..]),
    ] {
        let Some(url) = url else { continue };
        let scheme_ok = schemes.iter().any(|s| url.starts_with(s) && url.len() > s.len());
        if !scheme_ok || url.len() > MAX_URL_LEN || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(field(
                name,
                format!("{url:?} is not a {} URL of at most {MAX_URL_LEN} bytes", schemes.join(" or ")),
            ));
        }
    }
    Ok(doc)
}

/// Whether `tag` is a valid tag: 1..=[`MAX_TAG_LEN`] bytes of `[a-z0-9-]`.
pub fn is_tag(tag: &str) -> bool {
    (1..=MAX_TAG_LEN).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_parses_and_its_hash_is_of_its_exact_bytes() {
        let bytes =
            br#"{"description":"Factorizes integers.","tags":["math","primes"],"contact":"mailto:ops@example.com"}"#;
        let doc = parse(bytes).unwrap();
        assert_eq!(doc.tags, ["math", "primes"]);
        assert_eq!(doc.docs_url, None);
        let spaced =
            br#"{ "description":"Factorizes integers.","tags":["math","primes"],"contact":"mailto:ops@example.com"}"#;
        assert_eq!(parse(spaced).unwrap(), doc, "same document");
        assert_ne!(content_hash(bytes), content_hash(spaced), "but other bytes, another hash");
    }

    #[test]
    fn bad_documents_are_named_by_their_field() {
        let err = |json: &str| parse(json.as_bytes()).unwrap_err().to_string();
        assert!(err(r#"{"tags":[]}"#).contains("description"));
        assert!(err(r#"{"description":""}"#).starts_with("description:"));
        assert!(err(r#"{"description":"x","tags":["Math"]}"#).starts_with("tags:"));
        assert!(err(r#"{"description":"x","docs_url":"javascript:alert(1)"}"#).starts_with("docs_url:"));
        assert!(err(r#"{"description":"x","image_url":"data:image/png;base64,AAAA"}"#).starts_with("image_url:"));
        assert!(err(r#"{"description":"x","contact":"mailto:"}"#).starts_with("contact:"));
        assert!(err(r#"{"description":"x","price":1}"#).contains("unknown field"));
        assert!(err("not json").contains("not JSON"));
        let big = format!(r#"{{"description":"{}"}}"#, "a".repeat(MAX_DOCUMENT_BYTES));
        assert!(err(&big).contains("more than"));
        let tags: Vec<String> = (0..=MAX_TAGS).map(|i| format!("\"t{i}\"")).collect();
        assert!(err(&format!(r#"{{"description":"x","tags":[{}]}}"#, tags.join(","))).starts_with("tags:"));
    }
}
