// Osiris Market: the pages (hash routes) and the wallet in the header.

import { renderCatalogue } from "./pages/catalogue";
import { renderWallet } from "./pages/wallet";
import { onAccountChange } from "./session";
import { errorBox, h } from "./ui";

const page = document.getElementById("page")!;
let generation = 0;

/** Renders the page the hash names: `#/`, `#/service/ORG/ID`, `#/deals`, `#/provider`. */
async function route(): Promise<void> {
  const mine = ++generation;
  const [, name = "", ...rest] = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  const [path, search = ""] = name.split("?");
  const params = new URLSearchParams(location.hash.split("?")[1] ?? search);
  const body = h("div", {});
  page.replaceChildren(body);
  try {
    // Only the catalogue is in the first download; the pages that sign load the chain's
    // libraries when opened.
    if (path === "service" && rest.length >= 2) {
      await (await import("./pages/service")).renderService(body, rest[0], rest[1].split("?")[0]);
    } else if (path === "deals") await (await import("./pages/deals")).renderDeals(body);
    else if (path === "provider") await (await import("./pages/provider")).renderProvider(body);
    else await renderCatalogue(body, params);
  } catch (error) {
    if (mine === generation) body.append(errorBox(error));
  }
}

window.addEventListener("hashchange", () => void route());
onAccountChange(() => void route());
void renderWallet(document.getElementById("wallet")!);
void route();
