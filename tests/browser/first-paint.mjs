// How fast the dashboard shows up (run by scripts/bench-dashboard): for each
// run, a fresh headless Chromium page opens `/` with the token and reports the
// first contentful paint and the time until every section has drawn its
// answer, in milliseconds from navigation. Environment: SMA_URL, SMA_TOKEN,
// RUNS (default 5).
import { chromium } from 'playwright-core';

const base = process.env.SMA_URL;
const token = process.env.SMA_TOKEN;
const runs = Number(process.env.RUNS || 5);
if (!base || !token) throw new Error('SMA_URL and SMA_TOKEN are required');
const SECTIONS = ['channels', 'compare', 'paths', 'funnel', 'series'];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
try {
  for (let run = 1; run <= runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
    await page.waitForFunction((ids) => ids.every((id) => {
      const state = document.getElementById(id).dataset.state;
      return state === 'ready' || state === 'error';
    }), SECTIONS, { timeout: 120_000 });
    const timing = await page.evaluate(() => ({
      first_paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
      all_sections: performance.now(),
      errors: [...document.querySelectorAll('[data-state="error"]')].map((n) => n.id),
    }));
    console.log(JSON.stringify({ run, ...timing }));
    await context.close();
  }
} finally {
  await browser.close();
}
