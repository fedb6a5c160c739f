// The channel key: a secp256k1 key made in the browser (@noble/curves), kept in IndexedDB,
// exportable as the CLI's key file (64 hex digits and a newline). It signs the payment
// authorizations the gateway checks and the escrow contract pays out on, in exactly the
// contract's format (osiris_contract_types::escrow::payment_message).

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bnToU8a, compactToU8a, stringToU8a, u8aConcat, u8aToHex, hexToU8a } from "@polkadot/util";
import { blake2AsU8a, decodeAddress } from "@polkadot/util-crypto";

/** The domain tags of the signed messages (contracts/types and payments/src/signing). */
const PAYMENT_DOMAIN_TAG = "osiris/escrow/v1";
const CHANNEL_STATE_TAG = "osiris/channel-state/v1";
const PROVIDER_TAG = "osiris/provider/v1";

/** A stored channel key, and the channel it pays once opened. */
export interface StoredKey {
  /** The compressed public key, 0x-hex (33 bytes): the channel's `signer`. */
  signer: string;
  /** The 32-byte secret, hex without 0x (the CLI key file's content). */
  secret: string;
  /** The account that opened the channel with it. */
  owner: string;
  /** `org/service` it was made for. */
  service: string;
  channelId?: string;
  createdAt: number;
}

const DB_NAME = "osiris-market";
const STORE = "channel-keys";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "signer" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`the browser's key storage is not available: ${request.error?.message}`));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise((resolve, reject) => {
    const request = work(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`key storage: ${request.error?.message}`));
  });
}

/** A new key for `owner`'s channel to `service`, stored before anything is signed with it. */
export async function generate(owner: string, service: string): Promise<StoredKey> {
  const secret = secp256k1.utils.randomSecretKey();
  const key: StoredKey = {
    signer: u8aToHex(secp256k1.getPublicKey(secret, true)),
    secret: u8aToHex(secret, -1, false),
    owner,
    service,
    createdAt: Date.now(),
  };
  await run("readwrite", (s) => s.put(key));
  return key;
}

export const save = (key: StoredKey) => run("readwrite", (s) => s.put(key));
export const all = () => run<StoredKey[]>("readonly", (s) => s.getAll());

/** The stored keys of `owner` for `service`, newest first. */
export async function keysFor(owner: string, service: string): Promise<StoredKey[]> {
  return (await all()).filter((k) => k.owner === owner && k.service === service).sort((a, b) => b.createdAt - a.createdAt);
}

/** The CLI's key file for `key`: `osiris call --key-file` reads it. */
export function keyFile(key: StoredKey): Blob {
  return new Blob([`${key.secret}\n`], { type: "text/plain" });
}

const scale = {
  str: (s: string) => {
    const bytes = stringToU8a(s);
    return u8aConcat(compactToU8a(bytes.length), bytes);
  },
  u64: (n: bigint) => bnToU8a(n, { bitLength: 64, isLe: true }),
  u128: (n: bigint) => bnToU8a(n, { bitLength: 128, isLe: true }),
};

/** blake2-256 of SCALE(("osiris/escrow/v1", escrow, channel_id, nonce, amount)). */
export function paymentDigest(escrow: string, channelId: bigint, nonce: bigint, amount: bigint): Uint8Array {
  return blake2AsU8a(
    u8aConcat(scale.str(PAYMENT_DOMAIN_TAG), decodeAddress(escrow), scale.u64(channelId), scale.u64(nonce), scale.u128(amount)),
    256,
  );
}

/** blake2-256 of SCALE(("osiris/channel-state/v1", escrow, channel_id, timestamp_secs)). */
export function channelStateDigest(escrow: string, channelId: bigint, timestampSecs: bigint): Uint8Array {
  return blake2AsU8a(
    u8aConcat(scale.str(CHANNEL_STATE_TAG), decodeAddress(escrow), scale.u64(channelId), scale.u64(timestampSecs)),
    256,
  );
}

/** The 65-byte `r || s || v` signature (low-s, RFC 6979) over a 32-byte digest. */
export function signDigest(key: StoredKey, digest: Uint8Array): Uint8Array {
  // noble's "recovered" format puts the recovery id first.
  const recovered = secp256k1.sign(digest, hexToU8a(`0x${key.secret}`), { prehash: false, format: "recovered" });
  return u8aConcat(recovered.slice(1), recovered.slice(0, 1));
}

/** SCALE(("osiris/provider/v1", escrow, recipient, op, timestamp_secs)): what a recipient
 * signs (sr25519, its account key) to ask its gateway for its earnings. */
export function providerRequestMessage(escrow: string, recipient: string, op: string, timestampSecs: bigint): Uint8Array {
  return u8aConcat(scale.str(PROVIDER_TAG), decodeAddress(escrow), decodeAddress(recipient), scale.str(op), scale.u64(timestampSecs));
}

/** blake2-256 of SCALE(("osiris/free-call/v1", escrow, org_id, service_id, timestamp_ms)):
 * what a consumer's key signs for a free call. */
export function freeCallDigest(escrow: string, orgId: string, serviceId: string, timestampMs: bigint): Uint8Array {
  return blake2AsU8a(
    u8aConcat(scale.str("osiris/free-call/v1"), decodeAddress(escrow), scale.str(orgId), scale.str(serviceId), scale.u64(timestampMs)),
    256,
  );
}

/** Whether `signature` (65 bytes, `r || s || v`) is `key`'s authorization of `amount` at
 * `nonce`: a gateway's account of what was signed is believed only with it. */
export function signedByKey(key: StoredKey, escrow: string, channelId: bigint, nonce: bigint, amount: bigint, signature: Uint8Array): boolean {
  if (signature.length !== 65) return false;
  try {
    const recovered = u8aConcat(signature.slice(64), signature.slice(0, 64));
    const digest = paymentDigest(escrow, channelId, nonce, amount);
    return u8aToHex(secp256k1.recoverPublicKey(recovered, digest, { prehash: false })) === key.signer;
  } catch {
    return false;
  }
}
