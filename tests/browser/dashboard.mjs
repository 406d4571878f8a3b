// The dashboard in headless Chromium (run by scripts/browser-test, which starts
// `sma serve` on a generated history): the token form, every number of every
// section against the API's own answer to the same URL, the pickers, and a
// screenshot. Environment: SMA_URL, SMA_TOKEN, SCREENSHOT (a path, or empty).
import { chromium } from 'playwright-core';

const base = process.env.SMA_URL;
const token = process.env.SMA_TOKEN;
const screenshot = process.env.SCREENSHOT;
if (!base || !token) throw new Error('SMA_URL and SMA_TOKEN are required');

const SECTIONS = ['channels', 'compare', 'paths', 'funnel', 'series'];
// Fields of an answer that describe the request, not a result.
const REQUEST_FIELDS = new Set(['model', 'models', 'baseline', 'from', 'to', 'converted',
  'interval', 'stages', 'order', 'markov_value']);
// Numbers the page shows only in chart tooltips, on purpose.
const TOOLTIP_ONLY = { compare: /\.value$/, series: /\.value$/ };
// Without the background-networking flags Chromium waits on the network it
// wants to reach at start, which a closed machine never answers.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };
let checked = 0;

async function apiAnswer(relative) {
  const response = await fetch(new URL(relative, `${base}/`), {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

// Every number (or null) of an answer with its dotted path, request fields aside.
function leaves(node, path = '', out = new Map()) {
  if (node === null || typeof node === 'number') out.set(path, node);
  else if (typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (path === '' && REQUEST_FIELDS.has(k)) continue;
      leaves(v, path ? `${path}.${k}` : k, out);
    }
  }
  return out;
}

async function settled(page) {
  await page.waitForFunction((ids) => ids.every((id) => {
    const state = document.getElementById(id).dataset.state;
    return state === 'ready' || state === 'error';
  }), SECTIONS, { timeout: 60_000 });
}

// The section as drawn against the API's answer to the URL it says it read.
async function compare(page, id, { expect = 200 } = {}) {
  const shown = await page.$eval(`#${id}`, (node) => ({
    url: node.dataset.url,
    state: node.dataset.state,
    error: node.querySelector('.error').hidden ? null : node.querySelector('.error').textContent,
    numbers: [...node.querySelectorAll('[data-path]')].map((n) => [n.dataset.path, n.dataset.value]),
  }));
  const answer = await apiAnswer(shown.url);
  const where = `${id} (${shown.url})`;
  check(answer.status === expect,
    `${where}: the API answered ${answer.status} ${JSON.stringify(answer.body)}, not ${expect}`);
  if (answer.status !== 200) {
    check(shown.state === 'error' && shown.error === answer.body.error,
      `${where}: the page shows ${JSON.stringify(shown.error)}, not the API's error ${JSON.stringify(answer.body.error)}`);
    return answer;
  }
  check(shown.state === 'ready', `${where}: state ${shown.state}, error ${JSON.stringify(shown.error)}`);
  const expected = leaves(answer.body);
  check(expected.size > 0, `${where}: the API answered no numbers at all`);
  const seen = new Set();
  for (const [path, value] of shown.numbers) {
    seen.add(path);
    checked += 1;
    check(expected.has(path), `${where}: the page shows ${path}, which the API's answer lacks`);
    const want = JSON.stringify(expected.get(path) ?? null);
    check(value === want, `${where}: ${path} is ${value} on the page, ${want} in the API`);
  }
  for (const path of expected.keys()) {
    if (!seen.has(path) && !TOOLTIP_ONLY[id]?.test(path)) {
      failures.push(`${where}: the API's ${path} = ${expected.get(path)} is not on the page`);
    }
  }
  return answer;
}

// Waits until the section has read the API with `param` = `value`.
async function read(page, id, param, value) {
  await page.waitForFunction(([sid, name, v]) => {
    const node = document.getElementById(sid);
    const query = new URL(node.dataset.url || '', location.href).searchParams;
    return node.dataset.state !== 'loading' && query.get(name) === v;
  }, [id, param, value], { timeout: 60_000 });
  await settled(page);
}

async function pick(page, selector, value, id, param) {
  await page.selectOption(selector, value);
  await read(page, id, param, value);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push(`script error on the page: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) failures.push(`CSP violation: ${m.text()}`);
  });
  page.on('request', (r) => check(r.url().startsWith(`${base}/`), `the page requested ${r.url()}`));

  // Without a token: the form, and no dashboard.
  await page.goto(`${base}/`);
  await page.waitForSelector('#token-form:not([hidden])', { timeout: 30_000 });
  check(await page.$eval('#dashboard', (n) => n.hidden), 'the dashboard shows without a token');

  // A wrong token is refused and asked for again.
  await page.fill('#token', 'not-the-token');
  await page.click('#token-form button');
  await page.waitForSelector('#token-error:not([hidden])', { timeout: 30_000 });

  // The right one opens every section.
  await page.fill('#token', token);
  await page.click('#token-form button');
  await page.waitForSelector('#dashboard:not([hidden])');
  await settled(page);
  for (const id of SECTIONS) await compare(page, id);
  check(await page.evaluate(() => localStorage.length === 0 && document.cookie === ''),
    'the token left the tab (localStorage or a cookie)');

  // Non-converting paths.
  await page.check('#non-converting');
  await read(page, 'paths', 'converted', 'false');
  await compare(page, 'paths');
  await page.uncheck('#non-converting');

  // The channel table and the series follow the model picker; a data-driven
  // model has no series, and the page says why.
  await pick(page, '#model', 'markov', 'channels', 'model');
  await compare(page, 'channels');
  await compare(page, 'series', { expect: 400 });
  await pick(page, '#model', 'linear', 'channels', 'model');
  for (const id of SECTIONS) await compare(page, id);
  check(await page.$eval('#channels', (n) => n.dataset.model) === 'linear',
    'the channel table does not show the linear model');

  if (screenshot) {
    // The top of the page: enough to show it, small enough for the README.
    const bottom = await page.$eval('#compare', (n) => n.getBoundingClientRect().bottom + window.scrollY);
    const clip = { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 16 };
    await page.screenshot({ path: screenshot, fullPage: true, clip });
    console.log(`screenshot: ${screenshot}`);
  }
  await pick(page, '#interval', 'month', 'series', 'interval');
  await compare(page, 'series');

  // A period: every section reads it, and still matches the API.
  await page.fill('#from', '2025-01-15');
  await page.fill('#to', '2025-02-15');
  await page.click('#controls button');
  await read(page, 'funnel', 'to', '2025-02-15');
  for (const id of SECTIONS) {
    const period = await page.$eval(`#${id}`, (n) => {
      const query = new URL(n.dataset.url, location.href).searchParams;
      return `${query.get('from')}/${query.get('to')}`;
    });
    check(period === '2025-01-15/2025-02-15', `${id} read the period ${period}`);
    await compare(page, id);
  }

  // A link with the token in its fragment: kept for the tab, gone from the address.
  const linked = await context.newPage();
  await linked.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await settled(linked);
  check(await linked.evaluate(() => location.hash === ''), 'the token stays in the address bar');
  check(await linked.$eval('#token-form', (n) => n.hidden), 'a token in the fragment was not used');
  await compare(linked, 'channels');
} catch (e) {
  failures.push(`stopped: ${e.message.split('\n')[0]}`);
} finally {
  await browser.close();
}

if (failures.length) {
  console.error(`FAILED: the dashboard differs from the API or misbehaves (${failures.length}):`);
  for (const f of failures.slice(0, 50)) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`dashboard: every section matches the API (${checked} numbers compared)`);
