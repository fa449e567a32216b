#!/usr/bin/env node
// Writes one self-contained HTML page about one experiment: the series of series.mjs read from Prometheus
// over the run's time range, a marker for every operator decision that acted, the server-side verdict (the
// VERDICT-JSON line of k6's log) and k6's end-of-test summary (--summary-export). uPlot's script and style
// and the data are inlined, and the page's Content-Security-Policy allows no request at all, so it opens
// from file:// with no network.
//
// Usage: node loadtests/report/report.mjs --prometheus URL --from TIME --to TIME --testid ID --out FILE
//          [--namespace REGEX] [--autoscaler REGEX] [--scenario NAME] [--summary FILE] [--verdict FILE]
//          [--exit-code N] [--step SECONDS]
//   TIME        unix seconds or an ISO 8601 time
//   --verdict   k6's log (the last VERDICT-JSON line in it), or a file holding that JSON
//   --summary   the file `k6 run --summary-export FILE` wrote
//   --exit-code k6's exit code, shown in the page's header
//   --step      seconds between points (default: the range / 500, at least 2 s)
//        node loadtests/report/report.mjs --print-queries [--testid ID ...]   every PromQL, one JSON line
// Exit code: 0 the page was written (missing data is listed in it, and warned about here), 2 bad arguments,
// 1 the page could not be written.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reportSeries } from './series.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUERY_TIMEOUT_MS = 15000;
/** Points per series at most, so a long soak still makes a page of reasonable size. */
const MAX_POINTS = 500;
const MIN_STEP_SECONDS = 2;
const VERDICT_PREFIX = 'VERDICT-JSON ';

class UsageError extends Error {}

/** @param {string} name @param {string} text */
function parseTime(name, text) {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} '${text}' is neither unix seconds nor an ISO 8601 time`);
  return ms / 1000;
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      prometheus: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, testid: { type: 'string' },
      namespace: { type: 'string', default: '.*' }, autoscaler: { type: 'string', default: '.*' },
      scenario: { type: 'string' }, summary: { type: 'string' }, verdict: { type: 'string' },
      'exit-code': { type: 'string' }, step: { type: 'string' }, out: { type: 'string' },
      'print-queries': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || values['print-queries']) return values;
  for (const name of ['prometheus', 'from', 'to', 'testid', 'out']) {
    if (!values[name]) throw new UsageError(`--${name} is required`);
  }
  if (!/^https?:\/\/[^/]/.test(values.prometheus)) throw new UsageError(`--prometheus '${values.prometheus}' is not an http(s) URL`);
  const from = parseTime('from', values.from);
  const to = parseTime('to', values.to);
  if (!(to > from)) throw new UsageError(`--to (${values.to}) must be after --from (${values.from})`);
  const step = values.step === undefined ? Math.max(MIN_STEP_SECONDS, Math.ceil((to - from) / MAX_POINTS)) : Number(values.step);
  if (!(step > 0) || (to - from) / step > 11000) throw new UsageError(`--step '${values.step}' must be positive and give at most 11000 points`);
  const exitCode = values['exit-code'] === undefined ? null : Number(values['exit-code']);
  if (exitCode !== null && !Number.isInteger(exitCode)) throw new UsageError(`--exit-code '${values['exit-code']}' is not a number`);
  return { ...values, prometheus: values.prometheus.replace(/\/+$/, ''), from, to, step, exitCode };
}

// ---- Prometheus ------------------------------------------------------------------------------------

/** The result of one range query, or throws with Prometheus's own message. */
async function queryRange(options, expr) {
  const params = new URLSearchParams({ query: expr, start: String(options.from), end: String(options.to), step: String(options.step) });
  const res = await fetch(`${options.prometheus}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success') throw new Error(`${body.errorType || `HTTP ${res.status}`}: ${body.error || text.slice(0, 200)}`);
  return body.data.result;
}

/** A series' [time, "value"] pairs on the range's grid of steps: one number or null per step. */
function onGrid(options, length, values) {
  const out = new Array(length).fill(null);
  for (const [t, v] of values) {
    const i = Math.round((t - options.from) / options.step);
    const n = Number(v);
    if (i >= 0 && i < length && Number.isFinite(n)) out[i] = n;
  }
  return out;
}

async function readPlots(options, plots, length) {
  const read = await Promise.all(plots.map(async (plot) => {
    const series = [];
    const noData = [];
    for (const def of plot.series) {
      let result;
      try {
        result = await queryRange(options, def.promql);
      } catch (e) {
        noData.push({ plot: plot.title, series: def.id, promql: def.promql, why: `query failed: ${errorText(e)}` });
        continue;
      }
      const withData = result
        .map((r) => ({ label: def.label(r.metric), threshold: Boolean(def.threshold), values: onGrid(options, length, r.values) }))
        .filter((s) => s.values.some((v) => v !== null));
      if (withData.length === 0) noData.push({ plot: plot.title, series: def.id, promql: def.promql, why: 'no samples in the range' });
      series.push(...withData.sort((a, b) => a.label.localeCompare(b.label)));
    }
    return { plot: { id: plot.id, title: plot.title, unit: plot.unit, what: plot.what, queries: plot.series.map((s) => s.promql), series }, noData };
  }));
  return { plots: read.map((r) => r.plot), noData: read.flatMap((r) => r.noData) };
}

/**
 * A marker wherever a decision counter grew between two steps with an action other than none. A label set
 * that first appears after the range's start was born inside it: its first value counts as growth from 0.
 * A drop is a counter reset (the operator restarted): the new value is the growth.
 */
function decisionMarkers(options, result) {
  const markers = [];
  for (const { metric, values } of result) {
    if (metric.replica_action === 'none' && metric.min_threads_action === 'none') continue;
    let previous = values.length > 0 && values[0][0] > options.from + options.step / 2 ? 0 : null;
    for (const [t, v] of values) {
      const n = Number(v);
      if (!Number.isFinite(n)) continue;
      const growth = previous === null ? 0 : n >= previous ? n - previous : n;
      previous = n;
      if (growth > 0) {
        markers.push({
          t, count: growth, autoscaler: metric.autoscaler || '', loop: metric.loop || '', regime: metric.regime || '',
          replicaAction: metric.replica_action || '', minThreadsAction: metric.min_threads_action || '', reason: metric.reason || '',
        });
      }
    }
  }
  return markers.sort((a, b) => a.t - b.t);
}

// ---- k6's files ------------------------------------------------------------------------------------

/**
 * Go's %q quoting as k6's text log writes a message (msg="..."), read back. JSON.parse reads every escape
 * Go writes except \x, \a and \v, which become \u escapes first.
 * @param {string} body the text between the quotes
 */
function goUnquote(body) {
  const json = body.replace(/\\(\\|x([0-9a-fA-F]{2})|a|v)/g, (m, what, hex) =>
    what === '\\' ? '\\\\' : hex ? `\\u00${hex}` : what === 'a' ? '\\u0007' : '\\u000b');
  return JSON.parse(`"${json}"`);
}

/**
 * The verdict from a file: either that JSON itself, or a log holding a VERDICT-JSON line as verdict.js
 * prints it: plain (node, or k6 on a terminal) or inside k6's log record (msg="VERDICT-JSON {...}", k6's
 * log when it is not a terminal, as through tee or kubectl logs). The last such line wins.
 * @param {string} text
 */
function parseVerdict(text) {
  let verdict = null;
  try {
    verdict = JSON.parse(text);
  } catch {
    for (const line of text.split('\n')) {
      const at = line.indexOf(VERDICT_PREFIX);
      if (at < 0) continue;
      const record = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
      const message = record && record[1].startsWith(VERDICT_PREFIX) ? goUnquote(record[1]) : line.slice(at);
      // On a terminal k6 writes the message unquoted, with fields such as source=console after it.
      verdict = JSON.parse(message.slice(VERDICT_PREFIX.length, message.lastIndexOf('}') + 1));
    }
  }
  if (verdict === null) return null;
  if (!Array.isArray(verdict.rows) || typeof verdict.overall !== 'string') throw new Error('not a verdict: it needs "overall" and "rows"');
  return verdict;
}

/**
 * k6's --summary-export file as table rows: each metric's values, and its thresholds. In this format a
 * threshold's value is true when the threshold failed.
 */
function parseSummary(text) {
  const summary = JSON.parse(text);
  if (!summary || typeof summary.metrics !== 'object') throw new Error('not a k6 summary: no "metrics"');
  return Object.keys(summary.metrics).sort().map((name) => {
    const m = summary.metrics[name];
    const values = Object.keys(m).filter((k) => typeof m[k] === 'number').map((k) => ({ key: k, value: m[k] }));
    const thresholds = Object.entries(m.thresholds || {}).map(([expr, failed]) => ({ expr, ok: failed === false }));
    return { metric: name, values, thresholds };
  });
}

// ---- the page --------------------------------------------------------------------------------------

/** JSON that is safe inside a <script> element. */
function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const sha256 = (/** @type {string} */ text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** uPlot from this folder's node_modules, or a clear error saying how to install it. */
function assetsDir() {
  const dist = join(HERE, 'node_modules', 'uplot', 'dist');
  if (!existsSync(join(dist, 'uPlot.iife.min.js'))) {
    throw new Error(`${join(HERE, 'node_modules')} has no uplot: run \`npm ci\` in loadtests/report (or bash scripts/install-tools.sh)`);
  }
  return dist;
}

function renderHtml(data) {
  const dist = assetsDir();
  const uplotJs = readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(join(dist, 'uPlot.min.css'), 'utf8');
  const pageJs = readFileSync(join(HERE, 'page.js'), 'utf8');
  const pageCss = readFileSync(join(HERE, 'page.css'), 'utf8');
  // Only these scripts may run, and nothing may be fetched: the page is complete as written.
  const csp = `default-src 'none'; script-src ${sha256(uplotJs)} ${sha256(pageJs)}; style-src 'unsafe-inline'; img-src data:`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.meta.title)}</title>
<style>${uplotCss}</style>
<style>${pageCss}</style>
</head>
<body>
<noscript>This report draws its charts with JavaScript; the verdict and data are in the page's JSON.</noscript>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${uplotJs}</script>
<script>${pageJs}</script>
</body>
</html>
`;
}

function errorText(e) {
  const cause = e && e.cause && (e.cause.code || e.cause.message);
  return cause ? `${e.message} (${cause})` : String((e && e.message) || e);
}

async function main(argv) {
  const options = readOptions(argv);
  if (options.help) {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
    const header = source.slice(0, source.findIndex((l) => !l.startsWith('//')));
    console.log(header.map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    return 0;
  }
  const { plots, decisions } = reportSeries({ testid: options.testid || '', namespace: options.namespace, autoscaler: options.autoscaler });
  if (options['print-queries']) {
    console.log(JSON.stringify({ plots: plots.map((p) => ({ id: p.id, queries: p.series.map((s) => s.promql) })), decisions }));
    return 0;
  }

  const length = Math.floor((options.to - options.from) / options.step) + 1;
  const x = Array.from({ length }, (_, i) => options.from + i * options.step);
  const problems = [];
  const { plots: drawn, noData } = await readPlots(options, plots, length);
  let markers = [];
  try {
    markers = decisionMarkers(options, await queryRange(options, decisions));
  } catch (e) {
    noData.push({ plot: 'decision markers', series: 'decisions', promql: decisions, why: `query failed: ${errorText(e)}` });
  }
  const unreachable = noData.length > plots.length && noData.every((n) => n.why.startsWith('query failed'));
  if (unreachable) problems.push(`Prometheus at ${options.prometheus} answered no query: ${noData[0].why}`);

  let verdict = null;
  if (options.verdict) {
    try {
      verdict = parseVerdict(readFileSync(options.verdict, 'utf8'));
      if (verdict === null) problems.push(`no VERDICT-JSON line in ${options.verdict}`);
    } catch (e) {
      problems.push(`the verdict in ${options.verdict} could not be read: ${errorText(e)}`);
    }
  }
  let summary = null;
  if (options.summary) {
    try {
      summary = parseSummary(readFileSync(options.summary, 'utf8'));
    } catch (e) {
      problems.push(`the k6 summary ${options.summary} could not be read: ${errorText(e)}`);
    }
  }

  const data = {
    meta: {
      title: `Experiment report: ${options.scenario || options.testid}`,
      scenario: options.scenario || null, testid: options.testid, prometheus: options.prometheus,
      from: options.from, to: options.to, step: options.step, generatedAt: Date.now() / 1000,
      namespace: options.namespace, autoscaler: options.autoscaler, exitCode: options.exitCode,
      verdictFile: options.verdict ? resolve(options.verdict) : null, summaryFile: options.summary ? resolve(options.summary) : null,
    },
    x, plots: drawn, markers, noData, verdict, summary, problems,
  };
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderHtml(data));
  if (!unreachable) for (const n of noData) console.error(`report.mjs: no data for ${n.plot} / ${n.series}: ${n.why}`);
  for (const p of problems) console.error(`report.mjs: ${p}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    console.error(`report.mjs: ${errorText(e)}`);
    process.exitCode = e instanceof UsageError || (e && e.code && String(e.code).startsWith('ERR_PARSE_ARGS')) ? 2 : 1;
  },
);
