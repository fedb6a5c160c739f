import { defineConfig } from "@playwright/test";

// The market's browser test runs against a stack the Rust end-to-end test started
// (tests/tests/market_web.rs passes its URLs in the environment). Debian's chromium, headless:
// Playwright's own browser download is not reachable from these machines.
export default defineConfig({
  // OSIRIS_WEB_BENCH: the page-load benchmark (web/bench), else the browser tests (web/tests).
  testDir: process.env.OSIRIS_WEB_BENCH ? "bench" : "tests",
  timeout: 240_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  // Each story's own folder: Playwright empties it at start, and stories run at once.
  outputDir: process.env.OSIRIS_WEB_RESULTS ?? "test-results",
  use: {
    baseURL: process.env.OSIRIS_MARKET_URL,
    headless: true,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.OSIRIS_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
