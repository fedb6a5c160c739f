//! Objects encrypted on the client (`osiris object put --encrypt`): the nodes store and
//! serve only ciphertext, and only the accounts the writer named can read the plaintext.
//!
//! Each object gets a fresh random data key. The data key is wrapped for every recipient's
//! account (its sr25519 public key, the key its SS58 address spells) by ECIES on
//! ristretto255 with schnorrkel — the sr25519 library itself: an ephemeral key exchange
//! with the recipient's public key gives a one-time XChaCha20-Poly1305 key that seals the
//! data key. The object's bytes are sealed under the data key with the STREAM construction
//! (RustCrypto `aead::stream`, big-endian 32-bit counter and last-chunk flag) of
//! XChaCha20-Poly1305, chunk by chunk, so a put and a get stream in flat memory and a
//! truncated, reordered or altered object fails to open.
//!
//! Every authentication tag also covers the bucket id and the object key (the associated
//! data), so a node cannot serve one object's ciphertext under another key or bucket.
//!
//! The format (version 1), integers big-endian:
//!
//! ```text
//! magic "OSIRSEAL" (8) | version 1 (1) | recipients n (2)
//! n × { account (32) | ephemeral public key (32) | sealed data key (32 + 16) }
//! stream nonce (19)
//! chunks: SEAL_CHUNK_BYTES of plaintext + 16-byte tag each, the last one sealed as the last
//!         (it may be shorter; an empty object is one last chunk of no plaintext)
//! ```

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use futures_util::Stream;
use osiris_contract_types::ddc::BucketId;
use osiris_payments::signing::account::AccountKey;
use osiris_payments::AccountId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The first bytes of a sealed object.
pub const SEAL_MAGIC: &[u8; 8] = b"OSIRSEAL";
/// The format's version, after the magic.
pub const SEAL_VERSION: u8 = 1;
/// Plaintext bytes per sealed chunk.
pub const SEAL_CHUNK_BYTES: usize = 64 * 1024;
/// A Poly1305 tag's length, bytes.
const TAG_BYTES: usize = 16;
/// One recipient's entry: account, ephemeral public key, sealed data key.
const RECIPIENT_BYTES: usize = 32 + 32 + 32 + TAG_BYTES;
/// The STREAM nonce of XChaCha20-Poly1305 (24 bytes less the 5 of counter and flag).
const STREAM_NONCE_BYTES: usize = 19;
/// Most recipients of one object.
pub const MAX_RECIPIENTS: usize = 64;
/// The key-exchange context of a wrapped data key.
const WRAP_CONTEXT: &[u8] = b"osiris-object-data-key-v1";

/// Why an object could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("not a sealed object (it does not start with the OSIRSEAL header)")]
    NotSealed,
    #[error("sealed with format version {0}; this client reads version {SEAL_VERSION}")]
    Version(u8),
    #[error("the object is sealed for {0} other account(s), not for this key's account")]
    NotARecipient(usize),
    #[error("the sealed object is corrupt, truncated or not this bucket's and key's")]
    Corrupt,
    #[error("an object is sealed for 1 to {MAX_RECIPIENTS} accounts, not {0}")]
    Recipients(usize),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The associated data every tag covers: bucket id and object key.
fn associated_data(bucket: BucketId, key: &str) -> Vec<u8> {
    let mut aad = b"osiris-object".to_vec();
    aad.extend_from_slice(&bucket.0.to_be_bytes());
    aad.extend_from_slice(key.as_bytes());
    aad
}

/// The key's schnorrkel keypair (the same secret its sr25519 signatures use).
fn keypair(key: &AccountKey) -> schnorrkel::Keypair {
    use sp_core::crypto::Pair as _;
    let raw = key.sr25519().to_raw_vec();
    schnorrkel::SecretKey::from_bytes(&raw).expect("an sr25519 pair's secret is a schnorrkel secret key").to_keypair()
}

/// One-time keys wrap the data key: a zero nonce is never used twice under one key.
fn wrap_nonce() -> XNonce {
    XNonce::default()
}

/// The header of an object sealed for `recipients` under a fresh data key, and that key's
/// STREAM encryptor.
fn header(recipients: &[AccountId], aad: &[u8]) -> Result<(Vec<u8>, EncryptorBE32<XChaCha20Poly1305>), SealError> {
    let mut distinct: Vec<AccountId> = Vec::new();
    for r in recipients {
        if !distinct.contains(r) {
            distinct.push(r.clone());
        }
    }
    if distinct.is_empty() || distinct.len() > MAX_RECIPIENTS {
        return Err(SealError::Recipients(distinct.len()));
    }
    let data_key = XChaCha20Poly1305::generate_key(&mut OsRng);
    let mut out = Vec::with_capacity(11 + distinct.len() * RECIPIENT_BYTES + STREAM_NONCE_BYTES);
    out.extend_from_slice(SEAL_MAGIC);
    out.push(SEAL_VERSION);
    out.extend_from_slice(&(distinct.len() as u16).to_be_bytes());
    for account in &distinct {
        let public = schnorrkel::PublicKey::from_bytes(&account.0).map_err(|_| SealError::Recipients(0))?;
        let (ephemeral, wrap) = public.init_aead_unauthenticated::<XChaCha20Poly1305>(WRAP_CONTEXT);
        let sealed_key =
            wrap.encrypt(&wrap_nonce(), Payload { msg: data_key.as_slice(), aad }).map_err(|_| SealError::Corrupt)?;
        out.extend_from_slice(&account.0);
        out.extend_from_slice(ephemeral.as_bytes());
        out.extend_from_slice(&sealed_key);
    }
    let mut nonce = [0u8; STREAM_NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);
    let encryptor = EncryptorBE32::from_aead(XChaCha20Poly1305::new(&data_key), GenericArray::from_slice(&nonce));
    Ok((out, encryptor))
}

/// Reads up to `limit` bytes, fewer only at the end of `reader`.
async fn read_up_to<R: AsyncRead + Unpin>(reader: &mut R, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit);
    while buf.len() < limit {
        let n = (&mut *reader).take((limit - buf.len()) as u64).read_buf(&mut buf).await?;
        if n == 0 {
            break;
        }
    }
    Ok(buf)
}

/// What [`seal`] streams: the header, then each sealed chunk as it is read.
struct Sealing<R> {
    reader: R,
    header: Option<Vec<u8>>,
    encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
    /// The chunk read ahead (whether it is the last one is known once the next is read).
    ahead: Option<Vec<u8>>,
    aad: Vec<u8>,
}

/// `reader`'s bytes sealed for `recipients` as object `key` of `bucket`, as a stream of
/// byte chunks; a read error of `reader` is the stream's error (so a put fails rather than
/// store a truncated object). Errors before the first byte: [`SealError::Recipients`].
pub fn seal<R>(
    reader: R,
    recipients: &[AccountId],
    bucket: BucketId,
    key: &str,
) -> Result<impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static, SealError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let aad = associated_data(bucket, key);
    let (header, encryptor) = header(recipients, &aad)?;
    let state = Sealing { reader, header: Some(header), encryptor: Some(encryptor), ahead: None, aad };
    Ok(futures_util::stream::try_unfold(state, |mut s| async move {
        if let Some(header) = s.header.take() {
            s.ahead = Some(read_up_to(&mut s.reader, SEAL_CHUNK_BYTES).await?);
            return Ok(Some((bytes::Bytes::from(header), s)));
        }
        let Some(current) = s.ahead.take() else { return Ok(None) };
        let next = if current.len() < SEAL_CHUNK_BYTES {
            Vec::new()
        } else {
            read_up_to(&mut s.reader, SEAL_CHUNK_BYTES).await?
        };
        let payload = Payload { msg: &current, aad: &s.aad };
        let sealed = if next.is_empty() {
            let encryptor = s.encryptor.take().expect("the last chunk is sealed once");
            encryptor.encrypt_last(payload)
        } else {
            s.ahead = Some(next);
            s.encryptor.as_mut().expect("chunks before the last").encrypt_next(payload)
        }
        .map_err(|_| std::io::Error::other("sealing a chunk failed"))?;
        Ok(Some((bytes::Bytes::from(sealed), s)))
    }))
}

/// Reads the object from `reader`; if it is sealed, writes its plaintext to `out` (opened
/// with `key`, which must be one of its recipients), else copies it as it is. Returns the
/// bytes written and whether it was sealed.
///
/// Errors: [`SealError::NotARecipient`], [`SealError::Corrupt`] (a tag did not verify: the
/// object was altered, cut short, or is another key's), [`SealError::Version`], I/O.
/// Plaintext before a corrupt chunk may already be written: the caller discards the output
/// on an error.
pub async fn open_or_copy<R, W>(
    mut reader: R,
    out: &mut W,
    key: &AccountKey,
    bucket: BucketId,
    object_key: &str,
) -> Result<(u64, bool), SealError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let start = read_up_to(&mut reader, SEAL_MAGIC.len()).await?;
    if start != SEAL_MAGIC {
        out.write_all(&start).await?;
        let copied = tokio::io::copy(&mut reader, out).await?;
        out.flush().await?;
        return Ok((start.len() as u64 + copied, false));
    }
    let written = open_after_magic(reader, out, key, bucket, object_key).await?;
    Ok((written, true))
}

/// [`open_or_copy`] for a sealed object whose magic was read.
async fn open_after_magic<R, W>(
    mut reader: R,
    out: &mut W,
    key: &AccountKey,
    bucket: BucketId,
    object_key: &str,
) -> Result<u64, SealError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let fixed = read_up_to(&mut reader, 3).await?;
    if fixed.len() < 3 {
        return Err(SealError::Corrupt);
    }
    if fixed[0] != SEAL_VERSION {
        return Err(SealError::Version(fixed[0]));
    }
    let count = u16::from_be_bytes([fixed[1], fixed[2]]) as usize;
    if count == 0 || count > MAX_RECIPIENTS {
        return Err(SealError::Corrupt);
    }
    let entries = read_up_to(&mut reader, count * RECIPIENT_BYTES).await?;
    let nonce = read_up_to(&mut reader, STREAM_NONCE_BYTES).await?;
    if entries.len() < count * RECIPIENT_BYTES || nonce.len() < STREAM_NONCE_BYTES {
        return Err(SealError::Corrupt);
    }
    let aad = associated_data(bucket, object_key);
    let me = key.account();
    let entry = entries.chunks(RECIPIENT_BYTES).find(|e| e[..32] == me.0).ok_or(SealError::NotARecipient(count))?;
    let ephemeral = schnorrkel::PublicKey::from_bytes(&entry[32..64]).map_err(|_| SealError::Corrupt)?;
    let unwrap = keypair(key).aead_unauthenticated::<XChaCha20Poly1305>(WRAP_CONTEXT, &ephemeral);
    let data_key =
        unwrap.decrypt(&wrap_nonce(), Payload { msg: &entry[64..], aad: &aad }).map_err(|_| SealError::Corrupt)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&data_key).map_err(|_| SealError::Corrupt)?;
    let mut decryptor = DecryptorBE32::from_aead(cipher, GenericArray::from_slice(&nonce));
    let sealed_chunk = SEAL_CHUNK_BYTES + TAG_BYTES;
    let mut current = read_up_to(&mut reader, sealed_chunk).await?;
    let mut written = 0u64;
    loop {
        // A full chunk may be the last one only if nothing follows it.
        let next =
            if current.len() == sealed_chunk { read_up_to(&mut reader, sealed_chunk).await? } else { Vec::new() };
        let payload = Payload { msg: &current, aad: &aad };
        if next.is_empty() {
            let plain = decryptor.decrypt_last(payload).map_err(|_| SealError::Corrupt)?;
            out.write_all(&plain).await?;
            out.flush().await?;
            return Ok(written + plain.len() as u64);
        }
        let plain = decryptor.decrypt_next(payload).map_err(|_| SealError::Corrupt)?;
        out.write_all(&plain).await?;
        written += plain.len() as u64;
        current = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    async fn sealed(plain: &[u8], recipients: &[AccountId], bucket: u32, key: &str) -> Vec<u8> {
        let stream = seal(std::io::Cursor::new(plain.to_vec()), recipients, BucketId(bucket), key).unwrap();
        let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
        chunks.concat()
    }

    async fn opened(sealed: &[u8], who: &str, bucket: u32, key: &str) -> Result<Vec<u8>, SealError> {
        let mut out = Vec::new();
        let reader = std::io::Cursor::new(sealed.to_vec());
        let (n, was_sealed) =
            open_or_copy(reader, &mut out, &AccountKey::from_uri(who).unwrap(), BucketId(bucket), key).await?;
        assert!(was_sealed);
        assert_eq!(n, out.len() as u64);
        Ok(out)
    }

    fn account(uri: &str) -> AccountId {
        AccountKey::from_uri(uri).unwrap().account()
    }

    #[tokio::test]
    async fn every_size_round_trips_for_every_recipient_and_hides_the_plaintext() {
        let recipients = [account("//Eve"), account("//Ferdie")];
        for size in [0, 1, SEAL_CHUNK_BYTES - 1, SEAL_CHUNK_BYTES, SEAL_CHUNK_BYTES + 1, 3 * SEAL_CHUNK_BYTES + 7] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let sealed = sealed(&plain, &recipients, 3, "a/b").await;
            let chunks = size.div_ceil(SEAL_CHUNK_BYTES).max(1);
            assert_eq!(sealed.len(), 11 + 2 * RECIPIENT_BYTES + STREAM_NONCE_BYTES + size + chunks * TAG_BYTES);
            if size >= 64 {
                assert!(!sealed.windows(64).any(|w| w == &plain[..64]), "no plaintext run in the ciphertext");
            }
            assert_eq!(opened(&sealed, "//Eve", 3, "a/b").await.unwrap(), plain, "size {size}");
            assert_eq!(opened(&sealed, "//Ferdie", 3, "a/b").await.unwrap(), plain, "size {size}");
        }
    }

    #[tokio::test]
    async fn a_stranger_another_key_a_flipped_bit_or_a_cut_all_fail_to_open() {
        let plain = vec![7u8; 2 * SEAL_CHUNK_BYTES + 5];
        let sealed = sealed(&plain, &[account("//Eve")], 3, "secret").await;
        assert!(matches!(opened(&sealed, "//Dave", 3, "secret").await, Err(SealError::NotARecipient(1))));
        // A node serving this ciphertext as another object, or in another bucket.
        assert!(matches!(opened(&sealed, "//Eve", 3, "other").await, Err(SealError::Corrupt)));
        assert!(matches!(opened(&sealed, "//Eve", 4, "secret").await, Err(SealError::Corrupt)));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        assert!(matches!(opened(&flipped, "//Eve", 3, "secret").await, Err(SealError::Corrupt)));
        // Cut at a chunk boundary: what is left looks whole but its last chunk is not the last.
        let header = 11 + RECIPIENT_BYTES + STREAM_NONCE_BYTES;
        let cut = &sealed[..header + 2 * (SEAL_CHUNK_BYTES + TAG_BYTES)];
        assert!(matches!(opened(cut, "//Eve", 3, "secret").await, Err(SealError::Corrupt)));
        // Swapping Eve's entry's account for Dave's gives Dave nothing.
        let mut relabelled = sealed.clone();
        relabelled[11..43].copy_from_slice(&account("//Dave").0);
        assert!(matches!(opened(&relabelled, "//Dave", 3, "secret").await, Err(SealError::Corrupt)));
    }

    #[tokio::test]
    async fn a_plain_object_is_copied_as_it_is() {
        let mut out = Vec::new();
        let key = AccountKey::from_uri("//Eve").unwrap();
        let (n, was_sealed) = open_or_copy(&b"OSIRS plain"[..], &mut out, &key, BucketId(1), "k").await.unwrap();
        assert_eq!((n, was_sealed, out.as_slice()), (11, false, &b"OSIRS plain"[..]));
        assert!(matches!(seal(&b""[..], &[], BucketId(1), "k"), Err(SealError::Recipients(0))));
    }
}
