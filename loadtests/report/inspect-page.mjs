// Test tooling: opens a report in a real headless Chromium (Debian's, never a downloaded one) through
// playwright-core, and prints one line "PAGE-RESULT {json}" with what a reader would see: console errors,
// every request the page made, each chart's points, the decision markers and the tooltip of the first,
// the verdict rows, the provenance line and the series without data. Saves a full-page screenshot with
// that tooltip showing. tests/Platform.Observability.Tests/Report asserts on the result.
//
// Usage: node loadtests/report/inspect-page.mjs REPORT.html SCREENSHOT.png [CHROMIUM]   (default /usr/bin/chromium)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [report, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error('usage: node inspect-page.mjs REPORT.html SCREENSHOT.png [CHROMIUM]');
  process.exit(2);
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
const url = pathToFileURL(resolve(report)).href;
const result = { url, consoleErrors: [], requests: [] };
let context;
try {
  // A persistent context is how playwright takes a --user-data-dir: a fresh one, deleted afterwards.
  context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 }, timeout: 60000,
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(`page error: ${e.message}`));
  context.on('request', (r) => result.requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  await page.waitForFunction(() => window.report && window.report.ready, null, { timeout: 15000 });

  Object.assign(result, await page.evaluate(() => {
    const text = (selector) => { const n = document.querySelector(selector); return n ? n.textContent : null; };
    return {
      title: document.title,
      overall: text('#overall'),
      provenance: text('#provenance'),
      plots: [...document.querySelectorAll('.plot')].map((p) => p.id),
      charts: window.report.charts.map((c) => ({
        id: c.id,
        points: c.uplot.data[0].length,
        series: c.uplot.series.slice(1).map((s, i) => ({ label: s.label, nonNull: c.uplot.data[i + 1].filter((v) => v !== null).length })),
        markers: c.box.querySelectorAll('.decision-marker').length,
      })),
      markerReasons: [...document.querySelectorAll('.decision-marker')].map((m) => m.dataset.reason),
      verdictRows: [...document.querySelectorAll('#verdict tbody tr')].map((r) => [...r.cells].map((c) => c.textContent)),
      decisionRows: document.querySelectorAll('#decisions tbody tr').length,
      summaryRows: document.querySelectorAll('#k6-summary tbody tr').length,
      noDataCount: Number(document.querySelector('#no-data').dataset.count),
      noData: text('#no-data'),
      problems: text('#problems'),
    };
  }));

  // Hover the first decision marker of the first chart, as a reader would, and read the tooltip.
  const marker = page.locator('.decision-marker').first();
  if (await marker.count() > 0) {
    await marker.scrollIntoViewIfNeeded();
    await marker.hover({ force: true });
    result.tooltip = await page.locator('#tooltip').evaluate((t) => (getComputedStyle(t).display === 'none' ? null : t.textContent));
  }
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  result.error = String((e && e.stack) || e);
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`PAGE-RESULT ${JSON.stringify(result)}`);
process.exitCode = result.error ? 1 : 0;
