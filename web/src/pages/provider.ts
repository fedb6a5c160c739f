// The provider view: the services the account receives payments for, their gateways'
// health, what each channel holds unclaimed, and a claim signed by the account's wallet.

import { u8aToHex, hexToU8a } from "@polkadot/util";
import { send } from "../chain";
import type { Account } from "../chain";
import { earnings, health } from "../gateway";
import type { ProviderSign } from "../gateway";
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

function signer(me: Account): ProviderSign {
  return async (message) => {
    if (me.pair) return me.pair.sign(message);
    if (!me.signer?.signRaw) throw new Error("this wallet cannot sign messages");
    const { signature } = await me.signer.signRaw({ address: me.address, data: u8aToHex(message), type: "bytes" });
    return hexToU8a(signature);
  };
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
      const reply = await earnings(endpoint, escrow, me.address, op, signer(me));
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
