// A service's gateways, over gRPC-Web (Connect): what the gateway sells (GatewayInfo), its
// health (grpc.health.v1), the channel's state as the gateway holds it, and paid calls to
// the service's own methods, built from the descriptor set the gateway serves.

import { create, createFileRegistry, fromBinary, fromJson, toJson } from "@bufbuild/protobuf";
import type { DescMessage, DescMethod, DescService, JsonValue } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, encodeBinaryHeader } from "@connectrpc/connect";
import type { Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { HealthCheckResponse_ServingStatus, Health } from "./gen/grpc/health/v1/health_pb";
import { GatewayInfo, PaymentChannelState, ProviderEarnings } from "./gen/osiris/gateway/v1/gateway_pb";
import type { ServiceInfo } from "./gen/osiris/gateway/v1/gateway_pb";
import { channelStateDigest, freeCallDigest, paymentDigest, providerRequestMessage, signDigest } from "./channelKey";
import type { StoredKey } from "./channelKey";

/** How long a health check or an info request may take, ms. */
const QUICK_TIMEOUT_MS = 3_000;
/** How long a paid call may take, ms. */
const CALL_TIMEOUT_MS = 30_000;

const transports = new Map<string, Transport>();
function transport(endpoint: string): Transport {
  let found = transports.get(endpoint);
  if (!found) {
    found = createGrpcWebTransport({ baseUrl: endpoint });
    transports.set(endpoint, found);
  }
  return found;
}

/** A gateway's refusal or failure, in its own words: the status, `osiris-refusal` and message. */
export function callError(error: unknown): Error {
  if (error instanceof ConnectError) {
    const refusal = error.metadata.get("osiris-refusal");
    const words = error.rawMessage || Code[error.code];
    if (error.code === Code.Unavailable && !refusal) return new Error(`the gateway cannot be reached: ${words}`);
    return new Error(refusal ? `refused (${refusal.replaceAll("_", " ")}): ${words}` : `${Code[error.code]}: ${words}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** What the gateway at `endpoint` sells. */
export async function serviceInfo(endpoint: string): Promise<ServiceInfo> {
  try {
    return await createClient(GatewayInfo, transport(endpoint)).getServiceInfo({}, { timeoutMs: QUICK_TIMEOUT_MS });
  } catch (e) {
    throw callError(e);
  }
}

/** `serving`, `not serving` or why it did not answer. */
export async function health(endpoint: string): Promise<{ serving: boolean; text: string }> {
  try {
    const reply = await createClient(Health, transport(endpoint)).check({ service: "" }, { timeoutMs: QUICK_TIMEOUT_MS });
    const serving = reply.status === HealthCheckResponse_ServingStatus.SERVING;
    return { serving, text: serving ? "serving" : HealthCheckResponse_ServingStatus[reply.status].toLowerCase().replace("_", " ") };
  } catch (e) {
    return { serving: false, text: callError(e).message };
  }
}

/** The services and methods the gateway's descriptor set declares (only those it sells). */
export function methods(info: ServiceInfo): { service: DescService; method: DescMethod }[] {
  if (info.descriptorSet.length === 0) return [];
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, info.descriptorSet));
  const found: { service: DescService; method: DescMethod }[] = [];
  for (const name of info.services) {
    const service = registry.getService(name);
    if (!service) continue;
    for (const method of service.methods) {
      if (method.methodKind === "unary") found.push({ service, method });
    }
  }
  return found;
}

/** A message's fields for a form: name, JSON name, and a type in words. */
export function fields(message: DescMessage): { name: string; json: string; type: string; repeated: boolean }[] {
  return message.fields.map((f) => ({
    name: f.name,
    json: f.jsonName,
    repeated: f.fieldKind === "list",
    type:
      f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")
        ? scalarName(f.scalar ?? 9)
        : f.fieldKind === "enum"
          ? "enum"
          : "message",
  }));
}

const SCALARS: Record<number, string> = {
  1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool", 9: "string",
  12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
};
function scalarName(scalar: number): string {
  return SCALARS[scalar] ?? "value";
}

/** A channel's state as the gateway holds it (asked with the channel key's signature). */
export async function channelState(endpoint: string, escrow: string, channelId: bigint, key: StoredKey) {
  const timestamp = BigInt(Math.floor(Date.now() / 1000));
  const signature = signDigest(key, channelStateDigest(escrow, channelId, timestamp));
  try {
    return await createClient(PaymentChannelState, transport(endpoint)).getChannelState(
      { channelId, timestamp, signature },
      { timeoutMs: QUICK_TIMEOUT_MS },
    );
  } catch (e) {
    throw callError(e);
  }
}

/** One paid call's payment: cumulative `amount` planck at `nonce` of `channelId`. */
export interface ChannelPayment {
  escrow: string;
  channelId: bigint;
  nonce: bigint;
  amount: bigint;
  key: StoredKey;
}

/** Calls `method` with `input` (the request in protobuf JSON), paying with `payment`; the reply as JSON. */
export async function paidCall(
  endpoint: string,
  service: DescService,
  method: DescMethod,
  input: JsonValue,
  payment: ChannelPayment,
): Promise<JsonValue> {
  const signature = signDigest(payment.key, paymentDigest(payment.escrow, payment.channelId, payment.nonce, payment.amount));
  const headers = new Headers({
    "osiris-payment-type": "escrow",
    "osiris-channel-id": payment.channelId.toString(),
    "osiris-nonce": payment.nonce.toString(),
    "osiris-amount": payment.amount.toString(),
    "osiris-signature-bin": encodeBinaryHeader(signature),
  });
  return call(endpoint, service, method, input, headers);
}

/** A free call: the consumer's key signs (escrow, org, service, now); `token` is the
 * provider's free-call token for the key, where the gateway needs one. */
export interface FreeCallPayment {
  escrow: string;
  orgId: string;
  serviceId: string;
  key: StoredKey;
  token?: string;
}

/** Calls `method` with `input` as a free call; the reply as JSON. */
export async function freeCall(
  endpoint: string,
  service: DescService,
  method: DescMethod,
  input: JsonValue,
  free: FreeCallPayment,
): Promise<JsonValue> {
  const timestamp = BigInt(Date.now());
  const signature = signDigest(free.key, freeCallDigest(free.escrow, free.orgId, free.serviceId, timestamp));
  const headers = new Headers({
    "osiris-payment-type": "free",
    "osiris-free-timestamp": timestamp.toString(),
    "osiris-signature-bin": encodeBinaryHeader(signature),
  });
  if (free.token) headers.set("osiris-free-call-token", free.token);
  return call(endpoint, service, method, input, headers);
}

async function call(endpoint: string, service: DescService, method: DescMethod, input: JsonValue, headers: Headers) {
  let request;
  try {
    request = fromJson(method.input, input);
  } catch (e) {
    throw new Error(`the request does not fit ${method.input.name}: ${(e as Error).message}`);
  }
  const client = createClient(service, transport(endpoint)) as unknown as Record<
    string,
    (request: unknown, options: { headers: Headers; timeoutMs: number }) => Promise<unknown>
  >;
  try {
    const reply = await client[method.localName](create(method.input, request), { headers, timeoutMs: CALL_TIMEOUT_MS });
    return toJson(method.output, reply as never);
  } catch (e) {
    throw callError(e);
  }
}

/** Signs a provider request: `sign(message)` is the recipient account's sr25519 signature. */
export type ProviderSign = (message: Uint8Array) => Promise<Uint8Array>;

/** What the recipient's channels hold at the gateway at `endpoint` (`op` "list"), or the claims started for its wallet to submit (`op` "claim"). */
export async function earnings(
  endpoint: string,
  escrow: string,
  recipient: string,
  op: "list" | "claim",
  sign: ProviderSign,
) {
  const timestamp = BigInt(Math.floor(Date.now() / 1000));
  const signature = await sign(providerRequestMessage(escrow, recipient, op, timestamp));
  const client = createClient(ProviderEarnings, transport(endpoint));
  try {
    return op === "list"
      ? await client.listEarnings({ timestamp, signature }, { timeoutMs: QUICK_TIMEOUT_MS })
      : await client.prepareClaim({ timestamp, signature }, { timeoutMs: CALL_TIMEOUT_MS });
  } catch (e) {
    throw callError(e);
  }
}
