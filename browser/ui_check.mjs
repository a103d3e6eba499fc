// Drives the Dagster UI in Debian's chromium, headless, as a user would; prints what it saw as JSON.
// Usage: node browser/ui_check.mjs <ui url> <screenshot folder>
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

const [url, shots] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];
// "Materialize all" takes about a minute on a quiet machine; a shared one can take several
const RUN_TIMEOUT_MS = 540_000;

// Both read what React gave the components that draw the graph and the charts: the lineage's
// edges and each plot's data. The walk is written out in each, since the page's content security
// policy forbids passing code to it as text.

async function lineageEdges(page) {
  // the edges the lineage graph draws, as [from, to] asset keys
  return page.evaluate(() => {
    for (const element of document.querySelectorAll("svg *")) {
      const key = Object.keys(element).find((k) => k.startsWith("__reactFiber$"));
      for (let fiber = element[key]; fiber; fiber = fiber.return) {
        const edges = fiber.memoizedProps && fiber.memoizedProps.edges;
        if (Array.isArray(edges))
          return edges.map((e) => [JSON.parse(e.fromId).join("/"), JSON.parse(e.toId).join("/")]);
      }
    }
    return [];
  });
}

async function plotPoints(page) {
  // points per plotted metadata key, counted in the data each chart was given
  return page.evaluate(() => {
    const found = {};
    for (const canvas of document.querySelectorAll("canvas")) {
      const key = Object.keys(canvas).find((k) => k.startsWith("__reactFiber$"));
      const title = canvas.closest("div").parentElement.parentElement.innerText.trim();
      for (let fiber = canvas[key]; fiber; fiber = fiber.return) {
        const data = fiber.memoizedProps && fiber.memoizedProps.data;
        if (data && data.datasets) {
          found[title] = data.datasets[0].data.length;
          break;
        }
      }
    }
    return found;
  });
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ui-check-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: FLAGS,
  viewport: { width: 1400, height: 900 },
});
const seen = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  // the first visit asks to join the community: skip it whenever it shows
  await page.addLocatorHandler(page.getByText("Join the Dagster community"), async () => {
    await page.getByRole("button", { name: "Skip" }).click();
  });

  await page.goto(`${url}/assets/shotstack/assets_by_render?view=lineage`);
  // it shows a moment after the first page: wait for it once, so no picture has it
  await page
    .getByText("Join the Dagster community")
    .waitFor({ timeout: 10_000 })
    .then(() => page.getByRole("button", { name: "Skip" }).click())
    .catch(() => {});
  await page.waitForFunction(() => document.querySelectorAll("svg *").length > 0);
  await page.getByText("renders", { exact: true }).first().waitFor();
  await page.waitForTimeout(1000);
  seen.edges = await lineageEdges(page);
  await page.screenshot({ path: path.join(shots, "ui-lineage.png") });

  await page.goto(`${url}/asset-groups`);
  await page.getByRole("button", { name: "Materialize all" }).click();
  // the toast names the run it launched and links to it
  const toast = page.getByText(/^Launched run \w+/);
  await toast.waitFor({ timeout: 60_000 });
  seen.launched = await toast.innerText();
  await page.getByText("View", { exact: true }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}/);
  const finished = page.getByText(/^(Success|Failure|Canceled)$/).first();
  await finished.waitFor({ timeout: RUN_TIMEOUT_MS });
  seen.run = await finished.innerText();
  await page.screenshot({ path: path.join(shots, "ui-run.png") });

  await page.goto(`${url}/assets/usage/credit_balance_daily`);
  await page.getByText("Plots", { exact: true }).click();
  await page.locator("canvas").first().waitFor();
  await page.waitForTimeout(1000);
  seen.points = await plotPoints(page);
  await page.getByText("credits_remaining", { exact: true }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, "ui-plots.png") });
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(seen));
