// Signing off-chain messages with the connected account's key (sr25519): a dev key in the
// page signs the bytes themselves; a wallet extension signs them wrapped in <Bytes>…</Bytes>,
// which the gateways accept too (payments/src/signing/account.rs).

import { hexToU8a, u8aToHex } from "@polkadot/util";
import type { Account } from "./chain";

export function accountSign(me: Account): (message: Uint8Array) => Promise<Uint8Array> {
  return async (message) => {
    if (me.pair) return me.pair.sign(message);
    if (!me.signer?.signRaw) throw new Error("this wallet cannot sign messages");
    const { signature } = await me.signer.signRaw({ address: me.address, data: u8aToHex(message), type: "bytes" });
    return hexToU8a(signature);
  };
}
