// The indexer's REST API (same origin): the mirror of the contracts, search and reputation.
// Shapes follow its OpenAPI document (/openapi.json).

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Group {
  id: string;
  payment_recipient: string;
  endpoints: string[];
}

export interface Reputation {
  consumers: number;
  channels: number;
  claimed: string;
  agreements: { active: number; fulfilled: number; refunded: number; terminated: number };
  buckets_served: number;
  uptime_24h: number | null;
  uptime_30d: number | null;
  last_seen: string | null;
  updated_at: string | null;
}

export interface ServiceDetails {
  status: string;
  service_type: string | null;
  description: string | null;
  tags: string[];
  docs_url: string | null;
  contact: string | null;
  image_url: string | null;
  detail: string | null;
}

export interface Service {
  org_id: string;
  id: string;
  name: string;
  price_per_call: string;
  groups: Group[];
  details: ServiceDetails;
  reputation: Reputation;
}

export interface Channel {
  id: number;
  sender: string;
  recipient: string;
  signer: string;
  group_id: string;
  value: string;
  nonce: number;
  expiration: number;
}

export interface Network {
  genesis_hash: string;
  node_url: string;
  registry: string;
  escrow: string;
  agreements: string | null;
  ddc: string | null;
  metadata_path: string;
}

/** The indexer's JSON error body. */
interface ErrorBody {
  error: string;
}

/** GET `path` (with `query`), parsed; a non-2xx answer throws its `error` text. */
export async function get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const url = params.size ? `${path}?${params}` : path;
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error("the market's indexer does not answer; is it running?");
  }
  const body = (await response.json().catch(() => null)) as T | ErrorBody | null;
  if (!response.ok) throw new Error((body as ErrorBody | null)?.error ?? `the indexer answered ${response.status}`);
  return body as T;
}

export const services = (query: { q?: string; tag?: string; type?: string; sort?: string; cursor?: string }) =>
  get<Page<Service>>("/v1/services", { ...query, limit: "48" });
export const service = (org: string, id: string) =>
  get<Service>(`/v1/services/${encodeURIComponent(org)}/${encodeURIComponent(id)}`);
export const channels = (query: { sender?: string; recipient?: string; signer?: string }) =>
  get<Page<Channel>>("/v1/channels", { ...query, limit: "500" });
export const channel = (id: bigint | number) => get<Channel>(`/v1/channels/${id}`);
export const escrowBalance = (account: string) =>
  get<{ account: string; balance: string }>(`/v1/balances/${account}`);
export const status = () => get<{ cursor: { block_number: number } | null; chain_head: number }>("/v1/status");

let cachedNetwork: Promise<Network> | undefined;
/** The chain and contracts the indexer follows (asked once). */
export function network(): Promise<Network> {
  cachedNetwork ??= get<Network>("/v1/network");
  return cachedNetwork;
}
