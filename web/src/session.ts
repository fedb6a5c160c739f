// The connected account, shared by the pages and kept across reloads (by address).

import type { Account } from "./chain";

const STORAGE_KEY = "osiris-market.account";
let current: Account | undefined;
const listeners = new Set<() => void>();

export function account(): Account | undefined {
  return current;
}

/** The address chosen last time, to pick again after a reload. */
export function rememberedAddress(): string | null {
  return localStorage.getItem(STORAGE_KEY);
}

export function setAccount(next: Account | undefined): void {
  current = next;
  if (next) localStorage.setItem(STORAGE_KEY, next.address);
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener();
}

/** Calls `listener` whenever the account changes. */
export function onAccountChange(listener: () => void): void {
  listeners.add(listener);
}
