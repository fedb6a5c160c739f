// My deals: the account's channels as the mirror holds them, with what this browser's keys
// have spent, extending and topping up, and taking back what is left after expiry.

import { bestBlock, send } from "../chain";
import * as keys from "../channelKey";
import { channels } from "../indexer";
import type { Channel } from "../indexer";
import { account } from "../session";
import { errorBox, formatPlanck, h, parseUnits } from "../ui";
import { refreshBalances } from "./wallet";

/** How far "extend" moves a channel's expiration, blocks. */
const EXTEND_BY_BLOCKS = 10_000;

export async function renderDeals(root: HTMLElement): Promise<void> {
  root.append(h("h1", {}, "My deals"));
  const me = account();
  if (!me) {
    root.append(h("p", { class: "muted" }, "Connect a wallet (top right) to see your channels."));
    return;
  }
  const [page, head, stored] = await Promise.all([channels({ sender: me.address }), bestBlock(), keys.all()]);
  const keyOf = new Map(stored.map((k) => [k.signer, k]));
  const status = h("div", { "aria-live": "polite" });
  const table = h(
    "table",
    { id: "channels" },
    h("caption", {}, "Payment channels"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Channel", "Service", "Value left", "Nonce", "Expires", "Actions"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h("tbody", {}, ...page.items.map((c) => row(c))),
  );
  root.append(page.items.length ? table : h("p", { class: "muted" }, "No channels yet: open one from a service's page."), status);

  function row(c: Channel): HTMLElement {
    const expired = head >= c.expiration;
    const amount = h("input", { "aria-label": `Top up channel ${c.id} (UNIT)`, size: 6, placeholder: "UNIT" });
    return h(
      "tr",
      {},
      h("td", {}, `#${c.id}`),
      h("td", {}, keyOf.get(c.signer)?.service ?? `${c.recipient.slice(0, 8)}… / ${c.group_id}`),
      h("td", {}, formatPlanck(c.value)),
      h("td", {}, String(c.nonce)),
      h("td", {}, expired ? `expired (block ${c.expiration})` : `block ${c.expiration} (in ${c.expiration - head})`),
      h(
        "td",
        {},
        expired
          ? h("button", { type: "button", onClick: () => act(() => send(me!, "escrow", "channelClaimTimeout", 0n, c.id)) }, "Withdraw what is left")
          : h(
              "span",
              {},
              amount,
              h("button", {
                type: "button",
                onClick: () =>
                  act(() => send(me!, "escrow", "channelExtendAndAddFunds", 0n, c.id, c.expiration + EXTEND_BY_BLOCKS, parseUnits(amount.value || "0"))),
              }, "Extend and top up"),
            ),
      ),
    );
  }

  async function act(work: () => Promise<unknown>): Promise<void> {
    status.replaceChildren(h("p", {}, "Signing and waiting for the block to be finalized…"));
    try {
      await work();
      refreshBalances();
      status.replaceChildren(h("p", { class: "ok" }, "Done; the list updates once the market's indexer has the block."));
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  }
}
