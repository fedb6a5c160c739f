// Eve's bucket in the browser: her "My deals" page lists the bucket (rent covered until a
// block), its objects from the cluster's nodes, and downloads one; the bytes are what she
// stored (tests/tests/market_web.rs stores them and passes the file to compare with).

import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/tests/market_web.rs`);
  return value;
};
const BUCKET = env("OSIRIS_BUCKET");
const EXPECTED = readFileSync(env("OSIRIS_EXPECTED_FILE"));
const SHOTS = process.env.OSIRIS_WEB_ARTIFACTS ?? "test-results";

test("a bucket's objects are listed and downloaded from its nodes", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  // Storage for rent, in the catalogue: the cluster with its price.
  await page.goto("/#/?type=storage");
  await expect(page.locator(".card[data-cluster]")).toHaveCount(1);
  await expect(page.locator(".card[data-cluster]")).toContainText("per resource unit per block");

  await page.goto("/#/deals");
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByLabel("Account").selectOption({ label: "Eve (dev account)" });
  await expect(page.locator("#buckets")).toContainText(`Bucket ${BUCKET}`);
  await expect(page.locator("#buckets")).toContainText("covered until block");
  await page.getByRole("button", { name: `List the objects of bucket ${BUCKET}` }).click();
  await expect(page.locator("#buckets")).toContainText("notes/alphabet.txt");
  await expect(page.locator("#buckets")).toContainText(`${EXPECTED.length} bytes`);
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download notes/alphabet.txt" }).click();
  const download = await downloading;
  const path = await download.path();
  expect(readFileSync(path).equals(EXPECTED)).toBe(true);
  await page.screenshot({ path: `${SHOTS}/buckets.png`, fullPage: true });
  const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
