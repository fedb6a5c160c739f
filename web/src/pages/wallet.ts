// The header's wallet: the extension's accounts, and on a development chain the dev
// accounts; the chosen account's balance and escrow balance. Browsing needs none.

import type { Account } from "../chain";
import { escrowBalance } from "../indexer";
import { account, onAccountChange, rememberedAddress, setAccount } from "../session";
import { errorText, formatPlanck, h } from "../ui";

export async function renderWallet(root: HTMLElement): Promise<void> {
  const balances = h("span", { id: "balances", class: "muted", "aria-live": "polite" });
  const connect = h("button", { type: "button", onClick: () => void load() }, "Connect wallet");
  root.replaceChildren(connect, balances);
  let accounts: Account[] = [];

  async function load(): Promise<void> {
    connect.disabled = true;
    connect.textContent = "Connecting…";
    try {
      // The chain's libraries load only when a wallet is wanted: browsing needs none.
      const { devAccounts, extensionAccounts, isDevelopment } = await import("../chain");
      const [extension, dev] = await Promise.all([
        extensionAccounts().catch(() => [] as Account[]),
        isDevelopment().then((yes) => (yes ? devAccounts() : [])),
      ]);
      accounts = [...extension, ...dev];
      if (accounts.length === 0) throw new Error("no accounts: install a wallet extension (polkadot.js, Talisman, SubWallet)");
      const select = h(
        "select",
        { id: "account", "aria-label": "Account", onChange: (e) => choose((e.target as HTMLSelectElement).value) },
        h("option", { value: "" }, "Choose an account"),
        ...accounts.map((a) => h("option", { value: a.address }, `${a.name} (${a.source === "dev" ? "dev account" : a.source})`)),
      );
      root.replaceChildren(select, balances);
      const remembered = rememberedAddress();
      if (remembered && accounts.some((a) => a.address === remembered)) {
        select.value = remembered;
        choose(remembered);
      }
    } catch (error) {
      connect.disabled = false;
      connect.textContent = "Connect wallet";
      balances.textContent = errorText(error);
    }
  }

  function choose(address: string): void {
    setAccount(accounts.find((a) => a.address === address));
  }

  async function showBalances(): Promise<void> {
    const me = account();
    if (!me) {
      balances.textContent = "";
      return;
    }
    try {
      const { freeBalance } = await import("../chain");
      const [free, escrow] = await Promise.all([freeBalance(me.address), escrowBalance(me.address)]);
      balances.textContent = `Balance ${formatPlanck(free)} · escrow ${formatPlanck(escrow.balance)}`;
    } catch (error) {
      balances.textContent = errorText(error);
    }
  }
  onAccountChange(() => void showBalances());
  window.addEventListener("osiris:balances", () => void showBalances());
  if (rememberedAddress()) void load();
}

/** Asks the header to read the balances again (after a transaction or a call). */
export function refreshBalances(): void {
  window.dispatchEvent(new Event("osiris:balances"));
}
