// My deals: the account's channels as the mirror holds them, with what this browser's keys
// have spent, extending and topping up, and taking back what is left after expiry.

import { bestBlock, send } from "../chain";
import * as keys from "../channelKey";
import { accountSign } from "../accountSign";
import type { Account } from "../chain";
import { channels, get } from "../indexer";
import type { Channel, Page } from "../indexer";
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
  root.append(
    h("h2", {}, "Channels"),
    page.items.length ? table : h("p", { class: "muted" }, "No channels yet: open one from a service's page."),
    status,
  );
  await renderAgreements(root, me, head);
  await renderBuckets(root, me, head);

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

interface Condition {
  kind: string;
  state: string;
  not_before: number;
  deadline: number;
}
interface Agreement {
  agreement_id: string;
  org_id: string;
  service_id: string;
  state: string;
  locked: string;
  paid: string;
  created_block: number;
  conditions: Condition[];
}

/** The account's agreements, each with its conditions as a timeline of block windows. */
async function renderAgreements(root: HTMLElement, me: Account, head: number): Promise<void> {
  const page = await get<Page<Agreement>>("/v1/agreements", { consumer: me.address, limit: "100" });
  const section = h("section", { class: "panel", id: "agreements" }, h("h2", {}, "Agreements"));
  root.append(section);
  if (page.items.length === 0) {
    section.append(h("p", { class: "muted" }, "No agreements."));
    return;
  }
  for (const a of page.items) {
    section.append(
      h("h3", {}, `${a.org_id}/${a.service_id} — ${a.state}`),
      h("p", { class: "muted" }, `${a.agreement_id.slice(0, 18)}… created at block ${a.created_block}; locked ${formatPlanck(a.locked)}, paid ${formatPlanck(a.paid)}`),
      h(
        "ol",
        { class: "timeline" },
        ...a.conditions.map((c) =>
          h(
            "li",
            {},
            h("strong", {}, c.kind),
            ` — ${c.state}; window blocks ${c.not_before} to ${c.deadline}`,
            c.state === "unfulfilled" ? (head > c.deadline ? " (deadline passed)" : ` (${c.deadline - head} blocks left)`) : "",
          ),
        ),
      ),
    );
  }
}

interface BucketRow {
  bucket_id: number;
  cluster_id: number;
  resource: number;
  rent_per_block: string;
}
interface BucketStatus extends BucketRow {
  rent_covered_until: number | null;
  rent_covered: boolean;
}

/** The account's buckets: rent covered until, and their objects (list and download). */
async function renderBuckets(root: HTMLElement, me: Account, head: number): Promise<void> {
  const page = await get<Page<BucketRow>>("/v1/ddc/buckets", { owner: me.address, limit: "100" }).catch(() => ({ items: [], next_cursor: null }));
  const section = h("section", { class: "panel", id: "buckets" }, h("h2", {}, "Buckets"));
  root.append(section);
  if (page.items.length === 0) {
    section.append(h("p", { class: "muted" }, "No buckets."));
    return;
  }
  for (const b of page.items) {
    const status = await get<BucketStatus>(`/v1/ddc/buckets/${b.bucket_id}`);
    const objects = h("div", { "aria-live": "polite" });
    const until = status.rent_covered_until;
    section.append(
      h("h3", {}, `Bucket ${b.bucket_id} on cluster ${b.cluster_id}`),
      h(
        "p",
        {},
        `Rent ${formatPlanck(b.rent_per_block)} per block; `,
        until === null ? "no rent due." : `covered until block ${until} (${until > head ? `${until - head} blocks from now` : "not covered now"}).`,
      ),
      h("button", { type: "button", onClick: () => void list(b, objects) }, `List the objects of bucket ${b.bucket_id}`),
      objects,
    );
  }

  async function list(b: BucketRow, into: HTMLElement): Promise<void> {
    into.replaceChildren(h("p", { class: "muted" }, "Asking the cluster's nodes…"));
    try {
      const { Bucket } = await import("../storage");
      const bucket = await Bucket.open(b.bucket_id, b.cluster_id, me.address, accountSign(me));
      const { objects, missing } = await bucket.list();
      into.replaceChildren(
        objects.length
          ? h(
              "table",
              {},
              h("caption", {}, `Objects in bucket ${b.bucket_id}`),
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Size"), h("th", { scope: "col" }, "Download"))),
              h(
                "tbody",
                {},
                ...objects.map((o) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, o.key),
                    h("td", {}, `${o.size} bytes`),
                    h("td", {}, h("button", { type: "button", onClick: () => void download(bucket, o.key, into) }, `Download ${o.key}`)),
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, "The bucket is empty."),
        missing.length ? h("p", { class: "muted" }, `Not answering: ${missing.join("; ")}`) : "",
      );
    } catch (error) {
      into.replaceChildren(errorBox(error));
    }
  }

  async function download(bucket: import("../storage").Bucket, key: string, into: HTMLElement): Promise<void> {
    try {
      const blob = await bucket.download(key);
      const link = h("a", { href: URL.createObjectURL(blob), download: key.split("/").pop() ?? key });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      into.append(errorBox(error));
    }
  }
}
