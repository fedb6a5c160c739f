// Small DOM helpers: elements from tag, attributes and children; amounts in words.

/** A child of an element: a node, text, or nothing. */
export type Child = Node | string | number | bigint | null | undefined | false;
type Attr = string | number | boolean | ((event: Event) => void) | undefined;

/** `<tag attrs…>children</tag>`: `on*` attributes are listeners, `true` is a bare attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** The dev chain's token: 12 decimals. */
export const DECIMALS = 12;
export const SYMBOL = "UNIT";

/** `planck` as units with up to 6 decimals and the planck figure: `0.000001 UNIT (1,000,000 planck)`. */
export function formatPlanck(planck: bigint | string): string {
  const value = typeof planck === "string" ? BigInt(planck) : planck;
  const unit = 10n ** BigInt(DECIMALS);
  const whole = value / unit;
  const fraction = (value % unit).toString().padStart(DECIMALS, "0").slice(0, 6).replace(/0+$/, "");
  const units = fraction ? `${whole}.${fraction}` : `${whole}`;
  return `${units} ${SYMBOL} (${value.toLocaleString("en")} planck)`;
}

/** Whole units (decimal text, e.g. "1.5") to planck. Throws a readable error. */
export function parseUnits(text: string): bigint {
  const match = /^\s*(\d+)(?:\.(\d{0,12}))?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not an amount (for example 1 or 0.25)`);
  return BigInt(match[1]) * 10n ** BigInt(DECIMALS) + BigInt((match[2] ?? "").padEnd(DECIMALS, "0"));
}

/** A short account for display: `5GrwvaEF…utQY`. */
export function short(account: string): string {
  return account.length > 16 ? `${account.slice(0, 8)}…${account.slice(-4)}` : account;
}

/** An error for people: its message, never a stack. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A red box stating `error` in words. */
export function errorBox(error: unknown): HTMLElement {
  return h("p", { class: "error", role: "alert" }, errorText(error));
}

/** `percent` with one decimal, or "not measured yet". */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "not measured yet" : `${value.toFixed(1)} %`;
}
