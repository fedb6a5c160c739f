// The catalogue: search, filters, sorting, one card per service.

import { get, services } from "../indexer";
import type { Page, Service } from "../indexer";
import { formatPlanck, h, percent } from "../ui";

const TYPES: [string, string][] = [["", "Any kind"], ["calls", "Calls"], ["jobs", "Compute jobs"], ["storage", "Storage (ddc clusters)"]];
const SORTS: [string, string][] = [["", "Best match"], ["price", "Price (lowest first)"], ["uptime", "Uptime"], ["consumers", "Consumers"]];

export async function renderCatalogue(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const q = params.get("q") ?? "";
  const form = h(
    "form",
    { class: "search", role: "search", onSubmit: (e) => submit(e) },
    h("input", { type: "search", name: "q", value: q, placeholder: "Search services (e.g. primes)", "aria-label": "Search services" }),
    h("input", { type: "text", name: "tag", value: params.get("tag") ?? "", placeholder: "tag", "aria-label": "Tag", size: 10 }),
    select("type", "Kind", TYPES, params.get("type") ?? ""),
    select("sort", "Sort by", SORTS, params.get("sort") ?? ""),
    h("button", { type: "submit" }, "Search"),
  );
  const list = h("ul", { class: "cards", "aria-label": "Services" });
  root.append(h("h1", {}, "Services"), form, list);
  const page = await services({
    q: q || undefined,
    tag: params.get("tag") || undefined,
    type: params.get("type") || undefined,
    sort: params.get("sort") || undefined,
  });
  const storage = params.get("type") === "storage";
  if (page.items.length === 0 && !storage) list.append(h("li", { class: "muted" }, "No service matches."));
  list.append(...page.items.map(card));
  // Storage is rented from clusters (the ddc contract), whichever services run their nodes.
  if (storage) await renderClusters(list);
}

function submit(event: Event): void {
  event.preventDefault();
  const data = new FormData(event.target as HTMLFormElement);
  const params = new URLSearchParams();
  for (const [k, v] of data) if (typeof v === "string" && v) params.set(k, v);
  location.hash = `#/?${params}`;
}

function select(name: string, label: string, options: [string, string][], value: string): HTMLSelectElement {
  const element = h("select", { name, "aria-label": label }, ...options.map(([v, text]) => h("option", { value: v }, text)));
  element.value = value;
  return element;
}

function card(s: Service): HTMLElement {
  const href = `#/service/${encodeURIComponent(s.org_id)}/${encodeURIComponent(s.id)}`;
  return h(
    "li",
    { class: "card", "data-service": `${s.org_id}/${s.id}` },
    h("h2", {}, h("a", { href }, s.name || s.id)),
    h("div", { class: "muted" }, `${s.org_id}/${s.id}`),
    s.details.description ? h("p", {}, s.details.description) : null,
    h("div", {}, ...s.details.tags.map((t) => h("span", { class: "tag" }, t))),
    h(
      "dl",
      { class: "figures" },
      h("dt", {}, "Price"), h("dd", {}, `${formatPlanck(s.price_per_call)} per call`),
      h("dt", {}, "Kind"), h("dd", {}, kind(s.details.service_type)),
      h("dt", {}, "Uptime"), h("dd", {}, percent(s.reputation.uptime_24h)),
      h("dt", {}, "Consumers"), h("dd", {}, String(s.reputation.consumers)),
      ...(s.reputation.buckets_served > 0
        ? [h("dt", {}, "Buckets served"), h("dd", {}, String(s.reputation.buckets_served))]
        : []),
    ),
  );
}

/** A gateway's service type in words. */
export function kind(type: string | null): string {
  if (type === "job") return "compute jobs";
  if (type === null) return "not checked yet";
  return `calls (${type})`;
}

interface Cluster {
  cluster_id: number;
  manager: string;
  vnodes: number[];
  resource_per_vnode: number;
  resource_used: number;
  rent_per_resource: string;
  manager_fee_bp: number;
}

/** Storage for rent: the ddc clusters, each priced per resource unit and block. */
async function renderClusters(list: HTMLElement): Promise<void> {
  const page: Page<Cluster> = await get("/v1/ddc/clusters", { limit: "48" });
  if (page.items.length === 0) list.append(h("li", { class: "muted" }, "No storage cluster."));
  for (const c of page.items) {
    const capacity = c.vnodes.length * c.resource_per_vnode;
    list.append(
      h(
        "li",
        { class: "card", "data-cluster": String(c.cluster_id) },
        h("h2", {}, `Storage cluster ${c.cluster_id}`),
        h("div", { class: "muted" }, `managed by ${c.manager.slice(0, 8)}…; rent a bucket with \`osiris bucket create --cluster ${c.cluster_id}\``),
        h(
          "dl",
          { class: "figures" },
          h("dt", {}, "Price"), h("dd", {}, `${formatPlanck(c.rent_per_resource)} per resource unit per block`),
          h("dt", {}, "Nodes"), h("dd", {}, `${new Set(c.vnodes).size} (${c.vnodes.length} vnodes)`),
          h("dt", {}, "Free"), h("dd", {}, `${capacity - c.resource_used} of ${capacity} units`),
          h("dt", {}, "Manager's fee"), h("dd", {}, `${(c.manager_fee_bp / 100).toFixed(2)} %`),
        ),
      ),
    );
  }
}
