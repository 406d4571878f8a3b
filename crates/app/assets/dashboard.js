// The dashboard: reads sma's report API and draws tables and SVG charts.
// Every number shown carries its raw API value (data-value, as JSON) and where
// it comes from (data-path into the answer of the section's data-url), so a
// test can compare the page with the API exactly.
'use strict';

const MODELS = ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position',
  'j_shaped', 'inverse_j', 'participation', 'w_shaped', 'full_path', 'markov', 'shapley', 'shapley_simple'];
// Wide enough to show how far the models disagree, narrow enough to read.
const COMPARED = ['last_non_direct', 'first', 'last', 'linear', 'time_decay', 'position',
  'markov', 'shapley'];
const STAGES = ['visit', 'lead', 'opportunity', 'conversion'];
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948',
  '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#2f4b7c', '#a05195', '#7a5195', '#003f5c'];
const TOKEN_KEY = 'sma-token';
const SVG = 'http://www.w3.org/2000/svg';

const $ = (selector, root = document) => root.querySelector(selector);

class Unauthorized extends Error {}

// --- building nodes ---------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children.filter((c) => c != null));
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// One rule for every number: at most two decimals, grouped thousands.
function fmt(x) {
  return x == null ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
const percent = (x) => (x == null ? '–' : `${fmt(x * 100)}%`);
const signed = (x) => (x == null ? '–' : `${x > 0 ? '+' : ''}${fmt(x)}%`);

// A number from the answer: shown formatted, kept raw.
function num(value, path, format = fmt, tag = 'span') {
  return el(tag, { 'data-path': path, 'data-value': JSON.stringify(value ?? null) }, format(value));
}

// A row's spend, ROAS and CAC cells (`–` where a figure is undefined).
const costs = (row, p) => [num(row.spend, `${p}.spend`), num(row.roas, `${p}.roas`),
  num(row.cac, `${p}.cac`)];

// A table from a header row and rows of cells (strings or nodes).
function fill(table, head, rows) {
  table.replaceChildren(
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

// --- charts -------------------------------------------------------------------

// Vertical bars: one group per label (channels, or periods), one bar per
// series, side by side or stacked. values[g][s] may be missing.
function columns(container, labels, series, values, { stacked = false, periods = false, plot = 190 } = {}) {
  // Drawn at the size it is shown, so its text keeps the page's size.
  const width = Math.max(480, container.clientWidth || 1200);
  const [bottom, left, right] = [28, 48, 24];
  // The legend (several series only) wraps into as many rows as it needs.
  const legend = [];
  let [lx, ly] = [left, 4];
  for (const [s, name] of series.entries()) {
    const w = 24 + name.length * 7;
    if (lx + w > width - right && lx > left) [lx, ly] = [left, ly + 16];
    legend.push([s, name, lx, ly]);
    lx += w;
  }
  const top = series.length > 1 ? ly + 24 : 8;
  const height = top + plot + bottom;
  const total = (row) => (stacked ? row.reduce((a, v) => a + (v || 0), 0) : Math.max(0, ...row.map((v) => v || 0)));
  const max = Math.max(1e-9, ...values.map(total));
  const step = (width - left - right) / Math.max(1, labels.length);
  const bar = stacked ? step * 0.7 : (step * 0.8) / series.length;
  const y = (v) => top + plot - (v / max) * plot;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  for (const t of [0, 0.5, 1]) {
    chart.append(svg('line', { x1: left, x2: width - right, y1: y(max * t), y2: y(max * t), class: 'grid' }),
      svg('text', { x: left - 6, y: y(max * t) + 4, class: 'axis', 'text-anchor': 'end' }, fmt(max * t)));
  }
  // Channels each keep a label, shortened to fit; periods keep one whole
  // label in so many.
  const widest = Math.max(0, ...labels.map((l) => l.length)) * 6.5 + 8;
  const every = periods ? Math.ceil(widest / step) : 1;
  const chars = periods ? Infinity : Math.max(3, Math.floor(step / 6.5));
  const short = (label) => (label.length > chars ? `${label.slice(0, chars - 1)}…` : label);
  labels.forEach((label, g) => {
    const x0 = left + g * step + (step - (stacked ? bar : bar * series.length)) / 2;
    let base = 0;
    series.forEach((name, s) => {
      const v = values[g][s] || 0;
      const x = stacked ? x0 : x0 + s * bar;
      const y1 = y(stacked ? base + v : v);
      const h = y(stacked ? base : 0) - y1;
      if (stacked) base += v;
      chart.append(svg('rect', { x, y: y1, width: Math.max(1, bar - 1), height: Math.max(0, h),
        fill: PALETTE[s % PALETTE.length] }, svg('title', {}, `${label} · ${name}: ${fmt(v)}`)));
    });
    if (g % every === 0) {
      chart.append(svg('text', { x: left + g * step + step / 2, y: height - 10, class: 'axis', 'text-anchor': 'middle' },
        short(label), svg('title', {}, label)));
    }
  });
  if (series.length > 1) {
    for (const [s, name, x, y0] of legend) {
      chart.append(svg('rect', { x, y: y0, width: 10, height: 10, fill: PALETTE[s % PALETTE.length] }),
        svg('text', { x: x + 14, y: y0 + 9, class: 'axis' }, name));
    }
  }
  container.replaceChildren(chart);
}

// --- the API --------------------------------------------------------------------

function controls() {
  return {
    from: $('#from').value,
    to: $('#to').value,
    model: $('#model').value,
    interval: $('#interval').value,
    converted: !$('#non-converting').checked,
  };
}

function url(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) query.set(k, v);
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

async function api(target) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(target, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (response.status === 401) throw new Unauthorized();
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

// --- sections -------------------------------------------------------------------

const SECTIONS = {
  channels: {
    url: (c) => url('api/report', { model: c.model, from: c.from, to: c.to }),
    render(node, r) {
      const interval = r.channels.some((row) => row.interval);
      columns($('.chart', node), r.channels.map((row) => row.channel), ['conversions'],
        r.channels.map((row) => [row.conversions]));
      const rows = r.channels.map((row, i) => {
        const p = `channels.${i}`;
        const cells = [row.channel, num(row.conversions, `${p}.conversions`),
          num(row.value, `${p}.value`), num(row.share, `${p}.share`, percent), ...costs(row, p)];
        if (interval) {
          cells.push(row.interval ? el('span', {}, num(row.interval.low, `${p}.interval.low`, percent), ' – ',
            num(row.interval.high, `${p}.interval.high`, percent)) : '', row.low_data ? 'low data' : '');
        }
        return cells;
      });
      rows.push(['Total', num(r.total.conversions, 'total.conversions'), num(r.total.value, 'total.value'), '',
        ...costs(r.total, 'total')]);
      const head = ['channel', 'conversions', 'value', 'share', `spend (${r.currency})`, 'ROAS', 'CAC'];
      fill($('.data', node), interval ? [...head, '95% interval of share', ''] : head, rows);
      const campaigns = r.campaigns || [];
      $('.campaigns', node).hidden = campaigns.length === 0;
      fill($('.campaigns table', node), ['channel', 'campaign', 'conversions', 'value', 'spend', 'ROAS', 'CAC'],
        campaigns.map((row, i) => {
          const p = `campaigns.${i}`;
          const campaign = row.campaign ?? num(null, `${p}.campaign`, () => '(none)');
          return [row.channel, campaign, num(row.conversions, `${p}.conversions`),
            num(row.value, `${p}.value`), ...costs(row, p)];
        }));
      const excluded = Object.entries(r.excluded_spend || {});
      $('.excluded', node).replaceChildren(...(excluded.length ? ['Spend in other currencies, not counted: ',
        ...excluded.flatMap(([currency, spend], i) => [i ? ', ' : '', num(spend, `excluded_spend.${currency}`),
          ` ${currency}`])] : []));
      const screened = Object.entries(r.screened);
      $('.screened', node).replaceChildren(...(screened.length ? ['Page views left out (no visits): ',
        ...screened.flatMap(([reason, views], i) => [i ? ', ' : '', num(views, `screened.${reason}`), ` ${reason}`])]
        : []));
      node.dataset.model = r.model;
    },
  },
  compare: {
    url: (c) => url('api/report/compare', {
      models: [...new Set([...COMPARED, c.model])].join(','), from: c.from, to: c.to,
    }),
    render(node, r) {
      columns($('.chart', node), r.channels.map((row) => row.channel), r.models,
        r.channels.map((row) => r.models.map((m) => row.models[m]?.conversions)));
      fill($('.data', node), ['channel', ...r.models.map((m) => (m === r.baseline ? `${m} (baseline)` : m))],
        r.channels.map((row, i) => [row.channel, ...r.models.map((m) => {
          const p = `channels.${i}.models.${m}`;
          const cell = row.models[m];
          return cell ? el('span', {}, num(cell.conversions, `${p}.conversions`), ' ',
            num(cell.change, `${p}.change`, signed, 'small')) : '–';
        })]));
    },
  },
  paths: {
    url: (c) => url('api/report/paths', { converted: c.converted, limit: 20, from: c.from, to: c.to }),
    render(node, r) {
      const converted = r.converted !== false;
      const head = converted ? ['#', 'path', 'conversions', 'value', 'touches', 'days to convert']
        : ['#', 'path', 'journeys', 'touches'];
      fill($('.data', node), head, r.paths.map((row, i) => {
        const p = `paths.${i}`;
        const path = el('span', { class: 'path' },
          ...row.path.flatMap((ch, k) => [k ? ' → ' : null, el('span', { class: 'step' }, ch)]));
        return converted
          ? [String(i + 1), path, num(row.conversions, `${p}.conversions`), num(row.value, `${p}.value`),
            num(row.touches, `${p}.touches`), num(row.days_to_convert, `${p}.days_to_convert`)]
          : [String(i + 1), path, num(row.journeys, `${p}.journeys`), num(row.touches, `${p}.touches`)];
      }));
      fill($('.buckets', node), ['channel', 'early', 'mid', 'late'], (r.buckets || []).map((row, i) => [
        row.channel, ...['early', 'mid', 'late'].map((k) => num(row[k], `buckets.${i}.${k}`))]));
    },
  },
  funnel: {
    url: (c) => url('api/report/funnel', { from: c.from, to: c.to }),
    render(node, r) {
      const stages = r.stages || STAGES;
      columns($('.chart', node), r.first_touch.map((row) => row.channel), stages,
        r.first_touch.map((row) => stages.map((s) => row[s])), { plot: 150 });
      for (const key of ['first_touch', 'last_touch']) {
        fill($(`.${key}`, node), ['channel', ...stages], r[key].map((row, i) => [row.channel,
          ...stages.map((s, k) => (k === 0 ? num(row[s], `${key}.${i}.${s}`)
            : el('span', {}, num(row[s], `${key}.${i}.${s}`), ' ',
              num(row.rates?.[s], `${key}.${i}.rates.${s}`, percent, 'small'))))]));
      }
      fill($('.assisted', node), ['channel', 'assisted', 'assisted value', 'last touch', 'assisted / last touch'],
        r.assisted.map((row, i) => [row.channel, ...['assisted', 'assisted_value', 'last_touch', 'ratio']
          .map((k) => num(row[k], `assisted.${i}.${k}`))]));
    },
  },
  series: {
    url: (c) => url('api/report/series', { model: c.model, interval: c.interval, from: c.from, to: c.to }),
    render(node, r) {
      const periods = [...new Set(r.series.map((p) => p.period))].sort();
      const channels = [...new Set(r.series.map((p) => p.channel))].sort();
      const at = new Map(r.series.map((p, i) => [`${p.period}\n${p.channel}`, i]));
      const index = (period, channel) => at.get(`${period}\n${channel}`);
      columns($('.chart', node), periods, channels, periods.map((period) => channels.map((ch) =>
        r.series[index(period, ch)]?.conversions)), { stacked: true, periods: true, plot: 210 });
      fill($('.data', node), ['period', ...channels], periods.map((period) => [period, ...channels.map((ch) => {
        const i = index(period, ch);
        return i === undefined ? '' : num(r.series[i].conversions, `series.${i}.conversions`);
      })]));
    },
  },
};

// Sections that answer late must not overwrite what a newer request drew.
const generation = {};

async function load(names = Object.keys(SECTIONS)) {
  const c = controls();
  await Promise.all(names.map(async (name) => {
    const node = document.getElementById(name);
    const target = SECTIONS[name].url(c);
    if (node.dataset.state === 'ready' && node.dataset.url === target) return;
    const mine = (generation[name] = (generation[name] || 0) + 1);
    node.dataset.state = 'loading';
    node.dataset.url = target;
    try {
      const answer = await api(target);
      if (mine !== generation[name]) return;
      SECTIONS[name].render(node, answer);
      $('.error', node).hidden = true;
      node.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation[name]) return;
      if (e instanceof Unauthorized) {
        askForToken();
        return;
      }
      const error = $('.error', node);
      error.textContent = e.message;
      error.hidden = false;
      for (const part of node.querySelectorAll('.chart, table')) part.replaceChildren();
      node.dataset.state = 'error';
    }
  }));
}

function askForToken() {
  if (!$('#token-form').hidden) return; // every section asks at once
  $('#token-error').hidden = !sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  $('#dashboard').hidden = true;
  $('#token-form').hidden = false;
  $('#token').focus();
}

function start() {
  // A link may carry the token once in its fragment: keep it for this tab and
  // take it out of the address bar and history.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has('token')) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('#model').replaceChildren(...MODELS.map((m) => el('option', { value: m }, m)));
  $('#model').value = 'last_non_direct';
  $('#controls').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  for (const id of ['#model', '#interval', '#from', '#to']) $(id).addEventListener('change', () => load());
  $('#non-converting').addEventListener('change', () => load(['paths']));
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value.trim());
    $('#token').value = '';
    $('#token-form').hidden = true;
    $('#dashboard').hidden = false;
    load();
  });
  $('#dashboard').hidden = false;
  load();
}

start();
