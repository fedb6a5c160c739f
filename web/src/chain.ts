// The chain, through polkadot.js: the node the indexer names (GET /v1/network), the
// contracts with their own ink! metadata, and the accounts that sign (a browser extension's,
// or on a development chain the well-known dev accounts).

import { ApiPromise, WsProvider } from "@polkadot/api";
import { ContractPromise } from "@polkadot/api-contract";
import type { ContractSubmittableResult } from "@polkadot/api-contract/base/Contract";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { WeightV2 } from "@polkadot/types/interfaces";
import type { Signer } from "@polkadot/types/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { network } from "./indexer";

/** The contracts a page signs for. */
export type ContractName = "escrow" | "registry";

/** An account that can sign: a dev key in the page, or one held by an extension. */
export interface Account {
  address: string;
  name: string;
  /** Where it signs: `dev` (a well-known key, development chains only) or the extension's name. */
  source: string;
  pair?: KeyringPair;
  signer?: Signer;
}

/** The dev chain's well-known accounts (their keys are public: development chains only). */
export const DEV_ACCOUNTS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

/** How long to wait for the node to answer before saying so, ms. */
const CONNECT_TIMEOUT_MS = 8_000;

let api: Promise<ApiPromise> | undefined;

/** The node connection (made once). Throws in words when the node does not answer. */
export function connect(): Promise<ApiPromise> {
  api ??= (async () => {
    const { node_url } = await network();
    const provider = new WsProvider(node_url, false);
    await provider.connect();
    const ready = ApiPromise.create({ provider, throwOnConnect: true });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the chain's node at ${node_url} does not answer`)), CONNECT_TIMEOUT_MS),
    );
    return Promise.race([ready, timeout]);
  })();
  api.catch(() => (api = undefined));
  return api;
}

/** Whether the chain is a development chain (then the dev accounts are offered). */
export async function isDevelopment(): Promise<boolean> {
  const chain = await connect();
  return (await chain.rpc.system.chainType()).isDevelopment;
}

/** The dev accounts, for development chains. */
export async function devAccounts(): Promise<Account[]> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  return DEV_ACCOUNTS.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name, source: "dev", pair };
  });
}

/** The accounts of the browser's wallet extensions (none when there is no extension). */
export async function extensionAccounts(): Promise<Account[]> {
  const { web3Enable, web3Accounts, web3FromAddress } = await import("@polkadot/extension-dapp");
  const extensions = await web3Enable("Osiris Market");
  if (extensions.length === 0) return [];
  const accounts = await web3Accounts();
  return Promise.all(
    accounts.map(async (a) => ({
      address: a.address,
      name: a.meta.name ?? a.address,
      source: a.meta.source,
      signer: (await web3FromAddress(a.address)).signer,
    })),
  );
}

/** The account's free balance on chain, planck. */
export async function freeBalance(address: string): Promise<bigint> {
  const chain = await connect();
  const info = (await chain.query.system.account(address)) as unknown as { data: { free: { toBigInt(): bigint } } };
  return info.data.free.toBigInt();
}

/** The latest block number. */
export async function bestBlock(): Promise<number> {
  const chain = await connect();
  return (await chain.rpc.chain.getHeader()).number.toNumber();
}

interface Metadata {
  types: { id: number; type: { path?: string[]; def: { variant?: { variants?: { name: string; docs?: string[] }[] } } } }[];
}

const contracts = new Map<ContractName, Promise<{ contract: ContractPromise; errors: Map<string, string> }>>();

/** A contract of the deployment with its ABI, and its typed errors' docs by variant name. */
function contract(name: ContractName) {
  let found = contracts.get(name);
  if (!found) {
    found = (async () => {
      const [chain, net] = await Promise.all([connect(), network()]);
      const response = await fetch(net.metadata_path.replaceAll("{name}", name));
      if (!response.ok) throw new Error(`the ${name} contract's metadata is not served (${response.status})`);
      const metadata = (await response.json()) as Metadata & Record<string, unknown>;
      const address = name === "escrow" ? net.escrow : net.registry;
      const errors = new Map<string, string>();
      for (const { type } of metadata.types) {
        const last = type.path?.[type.path.length - 1] ?? "";
        if (!last.endsWith("Error")) continue;
        for (const v of type.def.variant?.variants ?? []) errors.set(v.name, (v.docs ?? []).join(" ").trim());
      }
      return { contract: new ContractPromise(chain, metadata, address), errors };
    })();
    found.catch(() => contracts.delete(name));
    contracts.set(name, found);
  }
  return found;
}

/** A contract's refusal, in the contract's own words (its error variant's docs). */
export class ContractRefusal extends Error {
  constructor(
    readonly variant: string,
    words: string,
  ) {
    super(words ? `${words} (${variant})` : variant);
  }
}

/** What a dry run says a message would return: `{ok: value}` or a thrown ContractRefusal. */
async function dryRun(name: ContractName, from: string, message: string, value: bigint, args: unknown[]) {
  const { contract: c, errors } = await contract(name);
  const query = c.query[message];
  if (!query) throw new Error(`the ${name} contract has no message ${message}`);
  // The dry run may use what one extrinsic may (both time and proof size); the
  // transaction then asks for what the dry run needed.
  const weights = c.api.consts.system.blockWeights as unknown as {
    perClass: { normal: { maxExtrinsic: { unwrap(): { refTime: unknown; proofSize: unknown } } } };
  };
  const limits = weights.perClass.normal.maxExtrinsic.unwrap();
  const gasLimit = c.api.registry.createType("WeightV2", { refTime: limits.refTime, proofSize: limits.proofSize }) as WeightV2;
  const outcome = await query(from, { gasLimit, storageDepositLimit: null, value }, ...args);
  if (outcome.result.isErr) {
    const error = outcome.result.asErr;
    if (error.isModule) {
      const { section, name: which, docs } = c.api.registry.findMetaError(error.asModule);
      throw new Error(`${docs.join(" ") || which} (${section}.${which})`);
    }
    throw new Error(`the chain refused the call: ${error.type}`);
  }
  const output = outcome.output?.toJSON() as { ok?: unknown; err?: unknown } | null;
  const inner = output?.ok as { ok?: unknown; err?: unknown } | null | undefined;
  if (output?.err !== undefined) throw new Error(`the contract could not run ${message}: ${JSON.stringify(output.err)}`);
  if (inner && typeof inner === "object" && "err" in inner) {
    const variant = typeof inner.err === "string" ? inner.err : Object.keys(inner.err as object)[0];
    const pascal = variant.charAt(0).toUpperCase() + variant.slice(1);
    throw new ContractRefusal(pascal, errors.get(pascal) ?? "");
  }
  return { outcome, value: inner && typeof inner === "object" && "ok" in inner ? inner.ok : inner };
}

/** Reads a contract message (no transaction). */
export async function query(name: ContractName, from: string, message: string, ...args: unknown[]) {
  return (await dryRun(name, from, message, 0n, args)).value;
}

/**
 * Sends `message` to contract `name` from `account` with `value` planck attached, after a
 * dry run (which states the contract's refusal, if any, before anything is signed); resolves
 * when the block holding it is finalized, with the dry run's return value.
 */
export async function send(account: Account, name: ContractName, message: string, value: bigint, ...args: unknown[]) {
  const { outcome, value: returned } = await dryRun(name, account.address, message, value, args);
  const { contract: c } = await contract(name);
  const deposit = outcome.storageDeposit.isCharge ? outcome.storageDeposit.asCharge : null;
  const tx = c.tx[message]({ gasLimit: outcome.gasRequired, storageDepositLimit: deposit, value }, ...args);
  await new Promise<void>((resolve, reject) => {
    const done = (result: ContractSubmittableResult) => {
      if (result.dispatchError) {
        if (result.dispatchError.isModule) {
          const { section, name: which, docs } = c.api.registry.findMetaError(result.dispatchError.asModule);
          reject(new Error(`${docs.join(" ") || which} (${section}.${which})`));
        } else reject(new Error(`the chain refused the transaction: ${result.dispatchError.type}`));
        return true;
      }
      if (result.status.isFinalized) {
        resolve();
        return true;
      }
      if (result.status.isInvalid || result.status.isDropped || result.status.isUsurped) {
        reject(new Error(`the transaction was not included (${result.status.type})`));
        return true;
      }
      return false;
    };
    let unsubscribe: (() => void) | undefined;
    let finished = false;
    const callback = (result: ContractSubmittableResult) => {
      if (!finished && done(result)) {
        finished = true;
        unsubscribe?.();
      }
    };
    const sending = account.pair
      ? tx.signAndSend(account.pair, callback)
      : tx.signAndSend(account.address, { signer: account.signer }, callback);
    sending.then((u) => (finished ? u() : (unsubscribe = u))).catch(reject);
  });
  return returned;
}
