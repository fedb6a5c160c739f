// The browser's signatures are the contracts' and the gateways': the channel key signs the
// escrow's payment message exactly as payments/src/signing/channel.rs does (the test vector
// pinned there and on chain), and a gateway's account of what was signed is believed only
// with this key's signature over it. Runs in Node (no page).

import { expect, test } from "@playwright/test";
import { u8aToHex } from "@polkadot/util";
import { encodeAddress } from "@polkadot/util-crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { paymentDigest, signDigest, signedByKey } from "../src/channelKey";
import type { StoredKey } from "../src/channelKey";

const keyOf = (secret: Uint8Array): StoredKey => ({
  signer: u8aToHex(secp256k1.getPublicKey(secret, true)),
  secret: u8aToHex(secret, -1, false),
  owner: "test",
  service: "test",
  createdAt: 0,
});

test("the payment authorization matches the pinned vector", () => {
  const escrow = encodeAddress(new Uint8Array(32).fill(0x42), 42);
  const key = keyOf(new Uint8Array(32).fill(0x11));
  expect(key.signer).toBe("0x034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa");
  const digest = paymentDigest(escrow, 7n, 3n, 1_000_000_000_000n);
  expect(u8aToHex(digest)).toBe("0x50585ff13e71df926965a60764ca9b33de406ba5e598fdc9ff9b73f1c00226e1");
  expect(u8aToHex(signDigest(key, digest))).toBe(
    "0xf1a55e3360d7817c8f96ba8abd2822dd340d91a87b85f5bd55ee8d7e3e34ebea23dba13e3de41998166a3a0ce2177faf2b9b4b74e9cfbb25b138c4b4bce1a39301",
  );
});

test("a gateway cannot make the browser sign on from an amount it never signed", () => {
  const escrow = encodeAddress(new Uint8Array(32).fill(3), 42);
  const key = keyOf(secp256k1.utils.randomSecretKey());
  const stranger = keyOf(secp256k1.utils.randomSecretKey());
  const ours = signDigest(key, paymentDigest(escrow, 7n, 1n, 3_000n));
  expect(signedByKey(key, escrow, 7n, 1n, 3_000n, ours)).toBe(true);
  expect(signedByKey(key, escrow, 7n, 1n, 900_000n, ours)).toBe(false);
  expect(signedByKey(key, escrow, 7n, 2n, 3_000n, ours)).toBe(false);
  expect(signedByKey(key, escrow, 7n, 1n, 3_000n, new Uint8Array())).toBe(false);
  const theirs = signDigest(stranger, paymentDigest(escrow, 7n, 1n, 900_000n));
  expect(signedByKey(key, escrow, 7n, 1n, 900_000n, theirs)).toBe(false);
});
