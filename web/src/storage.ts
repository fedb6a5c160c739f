// A bucket's objects, read from the browser: the cluster's nodes (ddc node gateways) over
// gRPC-Web, each request signed by the owner's account key as the node gateways check it
// (payments/src/signing/bucket.rs), and placed as the CLI places them
// (gateway-client/src/storage.rs `placement`).

import { sha256 } from "@noble/hashes/sha2.js";
import { compactToU8a, stringToU8a, u8aConcat, bnToU8a } from "@polkadot/util";
import { decodeAddress } from "@polkadot/util-crypto";
import { createClient, encodeBinaryHeader } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ObjectStore } from "./gen/osiris/storage/v1/objects_pb";
import { callError } from "./gateway";
import { get, network } from "./indexer";

/** Signs a message with the owner's account key (sr25519). */
export type AccountSign = (message: Uint8Array) => Promise<Uint8Array>;

/** How long a list or a download may take, ms. */
const STORAGE_TIMEOUT_MS = 60_000;

interface NodeRow {
  node_id: number;
  url: string;
}
interface ClusterRow {
  cluster_id: number;
  vnodes: number[];
}

const str = (s: string) => {
  const bytes = stringToU8a(s);
  return u8aConcat(compactToU8a(bytes.length), bytes);
};
const u32 = (n: number) => bnToU8a(n, { bitLength: 32, isLe: true });
const u64 = (n: bigint) => bnToU8a(n, { bitLength: 64, isLe: true });

/** SCALE(("osiris/bucket-request/v2", ddc, node_id, bucket_id, op, key, timestamp_ms)). */
function requestMessage(ddc: string, node: number, bucket: number, op: string, key: string, timestampMs: bigint) {
  return u8aConcat(str("osiris/bucket-request/v2"), decodeAddress(ddc), u32(node), u32(bucket), str(op), str(key), u64(timestampMs));
}

/** The nodes of `key`'s replicas, in the order a read tries them (every distinct node). */
export function placement(key: string, vnodes: number[]): number[] {
  if (vnodes.length === 0) return [];
  const digest = sha256(stringToU8a(key));
  const hash = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false);
  const start = Number(hash % BigInt(vnodes.length));
  const nodes: number[] = [];
  for (let i = 0; i < vnodes.length; i++) {
    const node = vnodes[(start + i) % vnodes.length];
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

/** A bucket as the browser reaches it. */
export class Bucket {
  private constructor(
    readonly bucketId: number,
    private readonly ddc: string,
    private readonly vnodes: number[],
    private readonly urls: Map<number, string>,
    private readonly account: string,
    private readonly sign: AccountSign,
  ) {}

  /** The bucket's cluster and nodes, from the market's indexer. */
  static async open(bucketId: number, clusterId: number, account: string, sign: AccountSign): Promise<Bucket> {
    const net = await network();
    if (!net.ddc) throw new Error("this deployment has no ddc contract");
    const cluster = await get<ClusterRow>(`/v1/ddc/clusters/${clusterId}`);
    const urls = new Map<number, string>();
    for (const id of new Set(cluster.vnodes)) urls.set(id, (await get<NodeRow>(`/v1/ddc/nodes/${id}`)).url);
    return new Bucket(bucketId, net.ddc, cluster.vnodes, urls, account, sign);
  }

  private async headers(node: number, op: string, key: string): Promise<Headers> {
    const timestamp = BigInt(Date.now());
    const signature = await this.sign(requestMessage(this.ddc, node, this.bucketId, op, key, timestamp));
    return new Headers({
      "osiris-payment-type": "bucket",
      "osiris-bucket-id": String(this.bucketId),
      "osiris-object-key": key,
      "osiris-account": this.account,
      "osiris-request-timestamp": timestamp.toString(),
      "osiris-signature-bin": encodeBinaryHeader(signature),
    });
  }

  private client(node: number) {
    const url = this.urls.get(node);
    if (!url) throw new Error(`node ${node} has no address in the mirror`);
    return createClient(ObjectStore, createGrpcWebTransport({ baseUrl: url }));
  }

  /** Every object, merged from the nodes that answer; and the nodes that did not. */
  async list(): Promise<{ objects: { key: string; size: bigint }[]; missing: string[] }> {
    const merged = new Map<string, bigint>();
    const missing: string[] = [];
    for (const node of this.urls.keys()) {
      try {
        const reply = await this.client(node).list(
          { limit: 0, startAfter: "" },
          { headers: await this.headers(node, "list", ""), timeoutMs: STORAGE_TIMEOUT_MS },
        );
        for (const o of reply.objects) merged.set(o.key, o.size);
      } catch (e) {
        missing.push(`node ${node}: ${callError(e).message}`);
      }
    }
    if (merged.size === 0 && missing.length === this.urls.size && missing.length > 0) throw new Error(missing.join("; "));
    return { objects: [...merged].map(([key, size]) => ({ key, size })).sort((a, b) => a.key.localeCompare(b.key)), missing };
  }

  /** The object's bytes, from the first of its replicas that serves it. */
  async download(key: string): Promise<Blob> {
    const failures: string[] = [];
    for (const node of placement(key, this.vnodes)) {
      try {
        const parts: Uint8Array<ArrayBuffer>[] = [];
        const stream = this.client(node).get({}, { headers: await this.headers(node, "get", key), timeoutMs: STORAGE_TIMEOUT_MS });
        for await (const chunk of stream) parts.push(new Uint8Array(chunk.data));
        return new Blob(parts);
      } catch (e) {
        failures.push(`node ${node}: ${callError(e).message}`);
      }
    }
    throw new Error(`no replica could serve ${key}: ${failures.join("; ")}`);
  }
}
