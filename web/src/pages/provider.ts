// The provider view: the services the account receives payments for, their gateways'
// health, what each channel holds unclaimed, and a claim signed by the account's wallet.

import { u8aToHex } from "@polkadot/util";
import { accountSign } from "../accountSign";
import { send } from "../chain";
import type { Account } from "../chain";
import { earnings, health } from "../gateway";
import { get, network } from "../indexer";
import type { Page, Service } from "../indexer";
import { account } from "../session";
import { errorBox, formatPlanck, h } from "../ui";
import { refreshBalances } from "./wallet";

/** How long to wait for a claim to show in the mirror, ms. */
const MIRROR_WAIT_MS = 30_000;

export async function renderProvider(root: HTMLElement): Promise<void> {
  root.append(h("h1", {}, "Provider"));
  const me = account();
  if (!me) {
    root.append(h("p", { class: "muted" }, "Connect the wallet of the account your services are paid to (top right)."));
    return;
  }
  const mine = (await allServices()).filter((s) => s.groups.some((g) => g.payment_recipient === me.address));
  if (mine.length === 0) {
    root.append(h("p", { class: "muted" }, "No service pays this account."));
    return;
  }
  const list = h("ul", { id: "my-services" });
  const endpoints = new Set<string>();
  for (const s of mine) {
    const gateways = h("ul", {});
    for (const g of s.groups.filter((g) => g.payment_recipient === me.address)) {
      for (const endpoint of g.endpoints) {
        endpoints.add(endpoint);
        const state = h("span", { class: "muted" }, "checking…");
        gateways.append(h("li", {}, `${endpoint} (group ${g.id}) — `, state));
        void health(endpoint).then((r) => {
          state.textContent = r.text;
          state.className = r.serving ? "ok" : "bad";
        });
      }
    }
    list.append(h("li", {}, h("a", { href: `#/service/${s.org_id}/${s.id}` }, `${s.name || s.id} (${s.org_id}/${s.id})`), gateways));
  }
  root.append(h("section", { class: "panel" }, h("h2", {}, "My services"), list));
  const panel = h("section", { class: "panel", id: "earnings" }, h("h2", {}, "Unclaimed earnings"));
  root.append(panel);
  await renderEarnings(panel, me, [...endpoints]);
  const history = h("section", { class: "panel", id: "earned" }, h("h2", {}, "Earned over time"));
  root.append(history);
  await renderHistory(history, me.address).catch((error) => history.append(errorBox(error)));
}

interface ClaimEvent {
  block_number: number;
  fields: { recipient?: string; amount?: string } | null;
}

/** Cumulative planck claimed by `recipient`, by block, from the mirror's ChannelClaimed events. */
async function renderHistory(root: HTMLElement, recipient: string): Promise<void> {
  const points: { block: number; total: bigint }[] = [];
  let total = 0n;
  let cursor: string | undefined;
  do {
    const page: Page<ClaimEvent> = await get("/v1/events", { contract: "escrow", name: "ChannelClaimed", limit: "500", cursor });
    for (const e of page.items) {
      if (e.fields?.recipient !== recipient) continue;
      total += BigInt(e.fields.amount ?? "0");
      points.push({ block: e.block_number, total });
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  if (points.length === 0) {
    root.append(h("p", { class: "muted" }, "Nothing claimed yet."));
    return;
  }
  root.append(chart(points), h("p", {}, `${formatPlanck(total)} claimed in ${points.length} claim(s), last at block ${points[points.length - 1].block}.`));
}

const SVG = "http://www.w3.org/2000/svg";

/** A step chart of the cumulative total over blocks (SVG, with a text alternative). */
function chart(points: { block: number; total: bigint }[]): SVGSVGElement {
  const [width, height, pad] = [640, 200, 40];
  const first = points[0].block;
  const span = Math.max(1, points[points.length - 1].block - first);
  const max = Number(points[points.length - 1].total) || 1;
  const x = (block: number) => pad + ((block - first) / span) * (width - 2 * pad);
  const y = (total: bigint) => height - pad - (Number(total) / max) * (height - 2 * pad);
  let path = `M ${x(first)} ${height - pad}`;
  for (const p of points) path += ` V ${y(p.total)} H ${x(p.block)}`;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Claimed planck over blocks ${first} to ${points[points.length - 1].block}`);
  const element = (name: string, attrs: Record<string, string>, text?: string) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    svg.append(e);
  };
  element("line", { x1: String(pad), y1: String(height - pad), x2: String(width - pad), y2: String(height - pad), stroke: "#57606a" });
  element("line", { x1: String(pad), y1: String(pad), x2: String(pad), y2: String(height - pad), stroke: "#57606a" });
  element("path", { d: path, fill: "none", stroke: "#0b57d0", "stroke-width": "2" });
  element("text", { x: String(pad), y: String(height - 12), "font-size": "12" }, `block ${first}`);
  element("text", { x: String(width - pad), y: String(height - 12), "font-size": "12", "text-anchor": "end" }, `block ${points[points.length - 1].block}`);
  element("text", { x: String(pad + 4), y: String(pad - 8), "font-size": "12" }, formatPlanck(points[points.length - 1].total));
  return svg;
}

async function allServices(): Promise<Service[]> {
  const found: Service[] = [];
  let cursor: string | undefined;
  do {
    const page: Page<Service> = await get("/v1/services", { limit: "500", cursor });
    found.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return found;
}

interface Row {
  channelId: bigint;
  nonce: bigint;
  spent: bigint;
  authorized: bigint;
  signature: Uint8Array;
  status: string;
}

async function rows(endpoints: string[], me: Account, op: "list" | "claim"): Promise<Row[]> {
  const { escrow } = await network();
  const byChannel = new Map<string, Row>();
  const errors: unknown[] = [];
  for (const endpoint of endpoints) {
    try {
      const reply = await earnings(endpoint, escrow, me.address, op, accountSign(me));
      for (const c of reply.channels) {
        byChannel.set(`${c.channelId}/${c.nonce}`, {
          channelId: c.channelId,
          nonce: c.nonce,
          spent: BigInt(c.spent),
          authorized: BigInt(c.authorized),
          signature: c.signature,
          status: c.status,
        });
      }
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === endpoints.length && errors.length > 0) throw errors[0];
  return [...byChannel.values()];
}

async function renderEarnings(panel: HTMLElement, me: Account, endpoints: string[]): Promise<void> {
  const body = h("div", {});
  const status = h("div", { "aria-live": "polite" });
  const claim = h("button", { type: "button", id: "claim", onClick: () => void run() }, "Claim all");
  panel.append(body, claim, status);

  async function show(): Promise<Row[]> {
    const found = await rows(endpoints, me, "list");
    const total = found.reduce((sum, r) => sum + r.spent, 0n);
    body.replaceChildren(
      h("p", {}, "Total unclaimed: ", h("strong", { id: "unclaimed-total", "data-planck": String(total) }, formatPlanck(total))),
      found.length
        ? h(
            "table",
            { id: "unclaimed" },
            h("caption", {}, "By channel"),
            h("thead", {}, h("tr", {}, ...["Channel", "Nonce", "Unclaimed", "Status"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              ...found.map((r) =>
                h("tr", {}, h("td", {}, `#${r.channelId}`), h("td", {}, String(r.nonce)), h("td", {}, formatPlanck(r.spent)), h("td", {}, r.status)),
              ),
            ),
          )
        : h("p", { class: "muted" }, "Nothing to claim."),
    );
    claim.disabled = found.length === 0;
    return found;
  }

  async function run(): Promise<void> {
    claim.disabled = true;
    status.replaceChildren(h("p", {}, "Starting the claim at the gateway, then signing it in your wallet…"));
    try {
      const started = (await rows(endpoints, me, "claim")).filter((r) => r.status === "claiming");
      if (started.length === 0) throw new Error("nothing to claim");
      const claims = started.map((r) => ({
        channelId: r.channelId,
        actualAmount: r.spent,
        planAmount: r.authorized,
        signature: u8aToHex(r.signature),
        isSendback: false,
      }));
      const total = started.reduce((sum, r) => sum + r.spent, 0n);
      await send(me, "escrow", "multiChannelClaim", 0n, claims);
      status.replaceChildren(h("p", {}, "Claimed on chain; waiting for the market's indexer…"));
      const since = Date.now();
      while ((await show()).some((r) => r.status === "claiming") && Date.now() - since < MIRROR_WAIT_MS) {
        await new Promise((r) => setTimeout(r, 500));
      }
      refreshBalances();
      status.replaceChildren(h("p", { class: "ok", id: "claimed" }, `Claimed ${formatPlanck(total)} into your escrow balance.`));
    } catch (error) {
      status.replaceChildren(errorBox(error));
      await show().catch(() => undefined);
    }
  }

  try {
    await show();
  } catch (error) {
    body.replaceChildren(errorBox(error));
    claim.disabled = true;
  }
}
