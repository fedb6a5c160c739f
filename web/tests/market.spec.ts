// The market's story in a real browser, against the real stack (dev chain, PostgreSQL,
// indexer, a gateway in front of the primes example): Charlie finds "primes", opens it,
// connects a dev account, opens a channel, makes three paid calls and sees what is left fall
// by three prices; a call beyond the channel's value and a stranger's channel are refused in
// words; a free call passes without a wallet and the next is refused; Bob's provider view shows the unclaimed amount and claims it. Every page is
// screenshotted and checked with axe-core; any console error fails the test.

import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import type { Page } from "@playwright/test";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/tests/market_web.rs`);
  return value;
};
const PRICE = BigInt(env("OSIRIS_PRICE"));
const STRANGER_CHANNEL = env("OSIRIS_STRANGER_CHANNEL");
const SHOTS = process.env.OSIRIS_WEB_ARTIFACTS ?? "test-results";

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function accessible(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const named = serious.map((v) => `${where}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(named).toEqual([]);
}

const remaining = async (page: Page) => BigInt((await page.locator("#remaining").getAttribute("data-planck")) ?? "-1");

test("a consumer buys and makes paid calls; the provider claims", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  // Catalogue: search "primes".
  await page.goto("/");
  await page.getByLabel("Search services").fill("primes");
  await page.getByRole("button", { name: "Search" }).click();
  const card = page.locator('[data-service="acme/primes"]');
  await expect(card).toBeVisible();
  await expect(card).toContainText("per call");
  await expect(page.locator(".card")).toHaveCount(1);
  await shot(page, "catalogue");
  await accessible(page, "catalogue");

  // The service page: description, live health, methods.
  await card.getByRole("link").click();
  await expect(page.locator("#description")).toContainText("Factorizes");
  await expect(page.locator("#endpoints")).toContainText("serving");
  await expect(page.locator("#methods")).toContainText("Primes.Factorize");
  await expect(page.locator("#methods")).toContainText("number");

  // Free calls need no wallet: one a period for this browser's key, then refused in words.
  await page.locator("#free-call").getByLabel(/^number/).fill("10");
  await page.getByRole("button", { name: "Call for free" }).click();
  await expect(page.locator("#free-call-reply")).toContainText('"5"');
  await page.getByRole("button", { name: "Call for free" }).click();
  await expect(page.locator("#free-call-result .error")).toContainText("free calls used up");

  // Connect Charlie's dev account; open a channel holding three and a half calls.
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByLabel("Account").selectOption({ label: "Charlie (dev account)" });
  await expect(page.locator("#balances")).toContainText("escrow");
  const value = PRICE * 7n / 2n;
  await page.locator("#channel-value").fill((Number(value) / 1e12).toString());
  await page.getByRole("button", { name: "Deposit and open channel" }).click();
  await expect(page.locator("#remaining")).toHaveAttribute("data-planck", String(value), { timeout: 90_000 });

  // Three paid calls: each answers, and what is left falls by one price each time.
  for (let i = 1n; i <= 3n; i++) {
    await page.locator("#try-it").getByLabel(/^number/).fill("91");
    await page.getByRole("button", { name: /^Call \(pays/ }).click();
    await expect(page.locator("#try-it-reply")).toContainText('"7"');
    await expect(page.locator("#remaining")).toHaveAttribute("data-planck", String(value - i * PRICE));
    await page.locator("#try-it-reply").evaluate((e) => e.remove());
  }
  expect(await remaining(page)).toBe(value - 3n * PRICE);
  await shot(page, "service");
  await accessible(page, "service page");

  // A fourth call would go beyond the channel's value: refused in words, nothing taken.
  await page.getByRole("button", { name: /^Call \(pays/ }).click();
  await expect(page.locator("#last-call .error")).toContainText("amount exceeds value");
  expect(await remaining(page)).toBe(value - 3n * PRICE);
  await shot(page, "refused-beyond-value");

  // Paying from a stranger's channel with this browser's key: refused, theirs untouched.
  await page.locator("#channel-id").fill(STRANGER_CHANNEL);
  await page.locator("#channel-id").dispatchEvent("change");
  await page.getByRole("button", { name: /^Call \(pays/ }).click();
  await expect(page.locator("#last-call .error")).toContainText("not signed by the channel's signer");
  await shot(page, "refused-stranger-channel");

  // My deals: the channel with what is left.
  await page.getByRole("link", { name: "My deals" }).click();
  await expect(page.locator("#channels")).toContainText("#");
  await expect(page.locator("#agreements")).toContainText("No agreements.");
  await expect(page.locator("#buckets")).toContainText("No buckets.");
  await shot(page, "deals");
  await accessible(page, "my deals");

  // Bob, the provider: three prices unclaimed; he claims them from his wallet.
  await page.getByLabel("Account").selectOption({ label: "Bob (dev account)" });
  await page.getByRole("link", { name: "Provider" }).click();
  await expect(page.locator("#my-services")).toContainText("acme/primes");
  await expect(page.locator("#unclaimed-total")).toHaveAttribute("data-planck", String(3n * PRICE));
  await shot(page, "provider");
  await accessible(page, "provider view");
  await page.getByRole("button", { name: "Claim all" }).click();
  await expect(page.locator("#claimed")).toContainText("Claimed", { timeout: 90_000 });
  await expect(page.locator("#unclaimed-total")).toHaveAttribute("data-planck", "0");
  // Earned over time: the claim, from the mirror's events.
  await page.getByRole("link", { name: "Catalogue" }).click();
  await page.getByRole("link", { name: "Provider" }).click();
  await expect(page.locator("#earned")).toContainText("claimed in 1 claim(s)");
  await expect(page.locator("#earned svg")).toBeVisible();
  await shot(page, "provider-claimed");
  await accessible(page, "provider view after the claim");

  expect(consoleErrors).toEqual([]);
});
