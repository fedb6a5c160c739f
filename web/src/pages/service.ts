// A service: what it is, what it has done (reputation), where it runs (live health), its
// methods and their fields, and buying: a channel opened from the browser, then paid calls.

import type { DescMethod, DescService, JsonValue } from "@bufbuild/protobuf";
import { bestBlock, send } from "../chain";
import type { Account } from "../chain";
import * as keys from "../channelKey";
import type { StoredKey } from "../channelKey";
import { channelState, fields, freeCall, health, methods, paidCall, serviceInfo } from "../gateway";
import type { ServiceInfo } from "../gen/osiris/gateway/v1/gateway_pb";
import { channels, network, service as fetchService } from "../indexer";
import type { Group, Service } from "../indexer";
import { account } from "../session";
import { errorBox, errorText, formatPlanck, h, parseUnits, percent } from "../ui";
import { kind } from "./catalogue";
import { refreshBalances } from "./wallet";

/** A channel's life beyond the gateway's expiry threshold, blocks. */
const CHANNEL_LIFETIME_BLOCKS = 10_000;
/** How often, and how far apart (ms), to ask a gateway for a channel it may not have yet. */
const STATE_TRIES = 20;
const STATE_RETRY_MS = 500;
/** How long to wait for the indexer to mirror a new channel, ms. */
const MIRROR_WAIT_MS = 30_000;

export async function renderService(root: HTMLElement, org: string, id: string): Promise<void> {
  const s = await fetchService(org, id);
  const d = s.details;
  root.append(
    h("h1", {}, s.name || s.id),
    h("p", { class: "muted" }, `${s.org_id}/${s.id} · ${kind(d.service_type)}`),
    d.status === "mismatch"
      ? h("p", { class: "error" }, "This service's gateway serves a description other than the one it registered; none is shown.")
      : "",
    d.description ? h("p", { id: "description" }, d.description) : h("p", { class: "muted" }, "No description."),
    h("div", {}, ...d.tags.map((t) => h("span", { class: "tag" }, t))),
    h(
      "p",
      {},
      d.docs_url ? h("a", { href: d.docs_url, rel: "noopener noreferrer" }, "Documentation") : null,
      d.docs_url && d.contact ? " · " : null,
      d.contact ? h("a", { href: d.contact, rel: "noopener noreferrer" }, "Contact") : null,
    ),
    figures(s),
  );
  const endpoints = h("ul", { id: "endpoints" });
  root.append(h("section", { class: "panel" }, h("h2", {}, "Endpoints"), endpoints));
  for (const group of s.groups) {
    for (const endpoint of group.endpoints) {
      const state = h("span", { class: "muted" }, "checking…");
      endpoints.append(h("li", {}, `${endpoint} (group ${group.id}) — `, state));
      void health(endpoint).then((r) => {
        state.textContent = r.text;
        state.className = r.serving ? "ok" : "bad";
      });
    }
  }
  const group = s.groups.find((g) => g.endpoints.length > 0);
  const api = h("section", { class: "panel", id: "methods" }, h("h2", {}, "Methods"));
  const buy = h("section", { class: "panel", id: "buy" }, h("h2", {}, "Buy and call"));
  root.append(api, buy);
  if (!group) {
    api.append(h("p", { class: "muted" }, "No endpoint is registered."));
    return;
  }
  let info: ServiceInfo;
  try {
    info = await serviceInfo(group.endpoints[0]);
  } catch (error) {
    api.append(errorBox(error));
    return;
  }
  const list = methods(info);
  if (list.length === 0) api.append(h("p", { class: "muted" }, "The gateway publishes no method descriptions."));
  for (const { service, method } of list) {
    api.append(
      h("h3", {}, `${service.name}.${method.name}`),
      h("p", { class: "muted" }, `${method.input.name} → ${method.output.name}`),
      fieldTable("Request", method.input.fields.length ? fields(method.input) : []),
      fieldTable("Response", fields(method.output)),
    );
  }
  await renderFreeCalls(buy, `${s.org_id}/${s.id}`, group, info, list);
  await renderBuy(buy, s, group, info, list);
}

function figures(s: Service): HTMLElement {
  const r = s.reputation;
  return h(
    "dl",
    { class: "figures", id: "reputation" },
    h("dt", {}, "Price"), h("dd", { id: "price" }, `${formatPlanck(s.price_per_call)} per call`),
    h("dt", {}, "Uptime 24 h"), h("dd", {}, percent(r.uptime_24h)),
    h("dt", {}, "Uptime 30 days"), h("dd", {}, percent(r.uptime_30d)),
    h("dt", {}, "Consumers"), h("dd", {}, String(r.consumers)),
    h("dt", {}, "Channels"), h("dd", {}, String(r.channels)),
    h("dt", {}, "Claimed"), h("dd", {}, formatPlanck(r.claimed)),
    h("dt", {}, "Agreements fulfilled / refunded / terminated"),
    h("dd", {}, `${r.agreements.fulfilled} / ${r.agreements.refunded} / ${r.agreements.terminated}`),
    h("dt", {}, "Storage buckets served"), h("dd", {}, String(r.buckets_served)),
    h("dt", {}, "Last seen"), h("dd", {}, r.last_seen ?? "never"),
  );
}

function fieldTable(caption: string, rows: ReturnType<typeof fields>): HTMLElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Type"))),
    h("tbody", {}, ...rows.map((f) => h("tr", {}, h("td", {}, f.name), h("td", {}, f.repeated ? `repeated ${f.type}` : f.type)))),
  );
}

async function renderBuy(
  root: HTMLElement,
  s: Service,
  group: Group,
  info: ServiceInfo,
  list: { service: DescService; method: DescMethod }[],
): Promise<void> {
  const me = account();
  if (!me) {
    root.append(h("p", { class: "muted" }, "Connect a wallet (top right) to buy calls."));
    return;
  }
  const label = `${s.org_id}/${s.id}`;
  // The registry's price is what the provider published on chain; a gateway asking more is
  // not paid more.
  const price = BigInt(s.price_per_call);
  if (info.pricePerCall && BigInt(info.pricePerCall) !== price) {
    root.append(h("p", { class: "error" }, `The gateway asks ${formatPlanck(info.pricePerCall)} per call, the registry says ${formatPlanck(price)}: calls pay the registry's price.`));
  }
  const key = (await keys.keysFor(me.address, label)).find((k) => k.channelId !== undefined);
  if (!key) {
    root.append(openForm(me, label, group, info, price, () => void rerender()));
    return;
  }
  await renderChannel(root, key, group, price, list);

  async function rerender(): Promise<void> {
    root.replaceChildren(h("h2", {}, "Buy and call"));
    await renderBuy(root, s, group, info, list);
  }
}

function openForm(me: Account, label: string, group: Group, info: ServiceInfo, price: bigint, opened: () => void): HTMLElement {
  const suggested = price * 100n;
  const status = h("div", { "aria-live": "polite" });
  const value = h("input", { id: "channel-value", name: "value", value: unitsText(suggested), inputmode: "decimal" });
  const form = h(
    "form",
    { id: "open-channel", onSubmit: (e) => void open(e) },
    h("p", {}, `A payment channel holds what you deposit for ${label}'s group ${group.id}; each call signs for ${formatPlanck(price)} more. Its key is made and kept in this browser.`),
    h("label", {}, "Deposit (UNIT) ", value),
    " ",
    h("button", { type: "submit" }, "Deposit and open channel"),
    status,
  );
  async function open(event: Event): Promise<void> {
    event.preventDefault();
    const button = form.querySelector("button")!;
    button.disabled = true;
    status.replaceChildren(h("p", {}, "Signing and waiting for the block to be finalized…"));
    try {
      const planck = parseUnits(value.value);
      if (planck < price) throw new Error(`the deposit must cover at least one call (${formatPlanck(price)})`);
      const key = await keys.generate(me.address, label);
      const lifetime = Number(info.expiryThresholdBlocks) + CHANNEL_LIFETIME_BLOCKS;
      const expiration = (await bestBlock()) + lifetime;
      await send(me, "escrow", "depositAndOpenChannel", planck, key.signer, group.payment_recipient, group.id, expiration);
      status.replaceChildren(h("p", {}, "Opened; waiting for the market's indexer to see it…"));
      key.channelId = String((await mirroredChannel(key.signer)).id);
      await keys.save(key);
      refreshBalances();
      opened();
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(errorBox(error));
    }
  }
  return form;
}

/** Waits until the indexer mirrors the channel opened with `signer`. */
async function mirroredChannel(signer: string) {
  const started = Date.now();
  for (;;) {
    const page = await channels({ signer });
    if (page.items[0]) return page.items[0];
    if (Date.now() - started > MIRROR_WAIT_MS) throw new Error("the channel was opened but the market's indexer has not seen it yet; reload in a moment");
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function renderChannel(
  root: HTMLElement,
  key: StoredKey,
  group: Group,
  price: bigint,
  list: { service: DescService; method: DescMethod }[],
): Promise<void> {
  const { escrow } = await network();
  const endpoint = group.endpoints[0];
  const channelInput = h("input", { id: "channel-id", name: "channel", value: key.channelId!, inputmode: "numeric", size: 8 });
  const stateView = h("dl", { class: "figures", id: "channel-state", "aria-live": "polite" });
  const channelId = () => {
    if (!/^\d+$/.test(channelInput.value.trim())) throw new Error(`"${channelInput.value}" is not a channel id`);
    return BigInt(channelInput.value.trim());
  };

  async function showState() {
    try {
      const state = await channelState(endpoint, escrow, channelId(), key);
      const value = BigInt(state.channelValue);
      const signed = BigInt(state.currentSignedAmount);
      stateView.replaceChildren(
        h("dt", {}, "Channel"), h("dd", {}, `#${state.channelId}`),
        h("dt", {}, "Value"), h("dd", {}, formatPlanck(value)),
        h("dt", {}, "Spent at this nonce"), h("dd", { id: "spent" }, formatPlanck(signed)),
        h("dt", {}, "Remaining"), h("dd", { id: "remaining", "data-planck": String(value - signed) }, formatPlanck(value - signed)),
        h("dt", {}, "Expires at block"), h("dd", {}, String(state.expiration)),
      );
      return state;
    } catch (error) {
      stateView.replaceChildren(h("dt", {}, "Channel"), h("dd", {}, errorText(error)));
      throw error;
    }
  }

  const download = h("a", { href: URL.createObjectURL(keys.keyFile(key)), download: `channel-${key.channelId}.key` }, "Export the channel key (CLI key file)");
  root.append(
    h("p", {}, h("label", {}, "Pay from channel ", channelInput), " with this browser's key. ", download),
    stateView,
  );
  // A channel opened a moment ago may not have reached the gateway's mirror yet.
  for (let tries = 0; tries < STATE_TRIES; tries++) {
    if (await showState().then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, STATE_RETRY_MS));
  }
  channelInput.addEventListener("change", () => void showState().catch(() => undefined));

  if (list.length === 0) return;
  const { form, output } = methodForm("try-it", "Try it", `Call (pays ${formatPlanck(price)})`, list, async (service, method, request) => {
    const id = channelId();
    const state = await channelState(endpoint, escrow, id, key);
    const signed = BigInt(state.currentSignedAmount);
    // Sign on only from an amount this key signed: a gateway cannot inflate it.
    if (signed > 0n && !keys.signedByKey(key, escrow, id, state.currentNonce, signed, state.currentSignature)) {
      throw new Error(`the gateway says ${formatPlanck(signed)} was signed at nonce ${state.currentNonce}, but shows no signature of this channel's key for it; not paying`);
    }
    const amount = signed + price;
    const reply = await paidCall(endpoint, service, method, request, { escrow, channelId: id, nonce: state.currentNonce, amount, key });
    return { text: `Paid ${formatPlanck(price)} for this call.`, reply };
  }, () => showState().then(() => undefined, () => undefined));
  output.id = "last-call";
  root.append(form, output);
}

type Methods = { service: DescService; method: DescMethod }[];
type Run = (service: DescService, method: DescMethod, request: JsonValue) => Promise<{ text: string; reply: JsonValue }>;

/**
 * A form generated from the methods' request fields: a method picker, one input per field,
 * and a button that runs `run`; its reply (or refusal, in words) goes to `output`. `id`
 * names the form; its reply is `#<id>-reply`.
 */
function methodForm(id: string, title: string, button: string, list: Methods, run: Run, after?: () => Promise<void>) {
  const methodSelect = h(
    "select",
    { id: `${id}-method`, "aria-label": "Method" },
    ...list.map(({ service, method }, i) => h("option", { value: String(i) }, `${service.name}.${method.name}`)),
  );
  const inputs = h("div", {});
  const showInputs = () => {
    const { method } = list[Number(methodSelect.value)];
    inputs.replaceChildren(
      ...fields(method.input).map((f) =>
        h(
          "label",
          {},
          `${f.name} (${f.repeated ? `${f.type}, comma-separated` : f.type}) `,
          f.type === "bool" && !f.repeated
            ? h("input", { type: "checkbox", name: f.json })
            : h("input", { type: "text", name: f.json, "data-type": f.type, "data-repeated": f.repeated ? "yes" : "no" }),
        ),
      ),
    );
  };
  methodSelect.addEventListener("change", showInputs);
  showInputs();
  const output = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "call", id, onSubmit: (e) => void call(e) },
    h("h3", {}, title),
    h("label", {}, "Method ", methodSelect),
    inputs,
    h("button", { type: "submit" }, button),
  );
  async function call(event: Event) {
    event.preventDefault();
    const submit = form.querySelector("button")!;
    submit.disabled = true;
    output.replaceChildren(h("p", { class: "muted" }, "Calling…"));
    try {
      const { service, method } = list[Number(methodSelect.value)];
      const { text, reply } = await run(service, method, readInputs(inputs));
      output.replaceChildren(h("p", { class: "ok" }, text), h("pre", { class: "reply", id: `${id}-reply` }, JSON.stringify(reply, null, 2)));
    } catch (error) {
      output.replaceChildren(errorBox(error));
    } finally {
      submit.disabled = false;
      await after?.();
    }
  }
  return { form, output };
}

/** Free calls, where the gateway offers them: signed by a key of this browser's, no wallet needed. */
async function renderFreeCalls(root: HTMLElement, label: string, group: Group, info: ServiceInfo, list: Methods): Promise<void> {
  if (info.freeCallsPerPeriod === 0n || list.length === 0) return;
  const { escrow } = await network();
  const owner = account()?.address ?? "anonymous";
  const stored = await keys.keysFor(owner, `free:${label}`);
  const key = stored[0] ?? (await keys.generate(owner, `free:${label}`));
  const token = h("input", { id: "free-call-token", name: "token", size: 40 });
  const section = h(
    "section",
    { class: "panel", id: "free-calls" },
    h("h2", {}, "Free calls"),
    h("p", {}, `${info.freeCallsPerPeriod} free call(s) every ${info.freeCallPeriodSecs} s for each key. This browser's key: `, h("code", {}, key.signer)),
    info.freeCallsNeedToken ? h("label", {}, "The provider's free-call token for this key ", token) : "",
  );
  const { form, output } = methodForm("free-call", "Call for free", "Call for free", list, async (service, method, request) => {
    const reply = await freeCall(group.endpoints[0], service, method, request, {
      escrow,
      orgId: info.orgId,
      serviceId: info.serviceId,
      key,
      token: info.freeCallsNeedToken ? token.value.trim() : undefined,
    });
    return { text: "A free call: nothing paid.", reply };
  });
  output.id = "free-call-result";
  section.append(form, output);
  root.after(section);
}

function readInputs(container: HTMLElement): JsonValue {
  const request: Record<string, JsonValue> = {};
  for (const input of Array.from(container.querySelectorAll("input"))) {
    if (input.type === "checkbox") {
      request[input.name] = input.checked;
      continue;
    }
    const text = input.value.trim();
    if (!text) continue;
    const one = (v: string): JsonValue => (["double", "float", "int32", "uint32", "sint32", "fixed32", "sfixed32"].includes(input.dataset.type ?? "") ? Number(v) : v);
    request[input.name] = input.dataset.repeated === "yes" ? text.split(",").map((v) => one(v.trim())) : one(text);
  }
  return request;
}

function unitsText(planck: bigint): string {
  const unit = 10n ** 12n;
  const fraction = (planck % unit).toString().padStart(12, "0").replace(/0+$/, "");
  return fraction ? `${planck / unit}.${fraction}` : `${planck / unit}`;
}
