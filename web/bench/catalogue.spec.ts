// Page-load benchmark (run by indexer/benches/search.rs against 1,000 registered services):
// the catalogue in a fresh browser context, three times. Reports the time from navigation
// until the first cards are shown (performance.now(), whose origin is the navigation's
// start) and the bytes transferred for the page, its assets and its API reads (compressed,
// as the browser received them).

import { expect, test } from "@playwright/test";

const RUNS = 3;

test("catalogue page load", async ({ browser }) => {
  const figures: string[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto("/");
    await expect(page.locator(".card").first()).toBeVisible();
    const { shownMs, bytes, cards } = await page.evaluate(() => {
      const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
      return {
        shownMs: performance.now(),
        bytes: entries.reduce((sum, e) => sum + (e as PerformanceResourceTiming).transferSize, 0),
        cards: document.querySelectorAll(".card").length,
      };
    });
    figures.push(`catalogue page (run ${run}): ${cards} cards shown ${shownMs.toFixed(0)} ms after navigation; ${(bytes / 1024).toFixed(1)} KiB transferred`);
    await context.close();
  }
  console.log(figures.join("\n"));
});
