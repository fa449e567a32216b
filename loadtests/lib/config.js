// Shared configuration for every scenario: where the API and Prometheus are, how requests are tagged,
// the thresholds every script shares, and the fail-fast setup probe.
//
// Only the stable k6 API is used (k6, k6/http, k6/metrics, k6/execution), so the scripts run on
// k6 v0.47 and later; `npm run typecheck` checks them against both the v0.47 and the latest types.

import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

/** The API. In the cluster the k6 Job passes http://platform-api:8080. */
export const BASE_URL = trimSlash(__ENV.BASE_URL || 'http://127.0.0.1:5080');

/** Prometheus, for the server-side verdict. In the cluster: http://platform-prometheus:9090. */
export const PROMETHEUS_URL = trimSlash(__ENV.PROMETHEUS_URL || 'http://127.0.0.1:9090');

/**
 * The name of the custom metric a failed server-side verdict increments. Created here, in the init
 * context every script runs, because k6 rejects a threshold on a metric that does not exist yet.
 * Via remote write it becomes k6_verdict_failures_total.
 */
export const VERDICT_METRIC = 'verdict_failures';
export const verdictFailures = new Counter(VERDICT_METRIC);

/** @param {string} url */
function trimSlash(url) {
  return url.replace(/\/+$/, '');
}

/**
 * A number from the environment (`-e NAME=...` or the process environment), else the fallback.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function envNumber(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
  return value;
}

/**
 * A duration from the environment, in seconds: "90s", "2m", "1m30s", "500ms", "1h", or a bare number of seconds.
 * Scripts keep durations in seconds because the verdict needs them to compute the phases' time windows.
 * @param {string} name
 * @param {string} fallback
 * @returns {number}
 */
export function envSeconds(name, fallback) {
  const raw = __ENV[name];
  return parseSeconds(raw === undefined || raw === '' ? fallback : raw, name);
}

/**
 * @param {string} text
 * @param {string} what for the error message
 * @returns {number}
 */
export function parseSeconds(text, what) {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = text.match(/(\d+(?:\.\d+)?)(ms|h|m|s)/g);
  if (!parts || parts.join('') !== text) throw new Error(`${what}=${text} is not a duration like 90s, 2m or 1m30s`);
  let total = 0;
  for (const part of parts) {
    const match = /(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(part);
    if (match) total += Number(match[1]) * units[/** @type {'h' | 'm' | 's' | 'ms'} */ (match[2])];
  }
  return total;
}

/** @param {number} seconds */
export function duration(seconds) {
  return `${Math.round(seconds)}s`;
}

/** The run's testid (also passed as `--tag testid=...`), so the verdict can find this run's k6 series. */
export function testId() {
  if (__ENV.TESTID) return __ENV.TESTID;
  // exec.test.options are the consolidated options, including --tag from the command line.
  const tags = exec.test.options.tags;
  return (tags && tags.testid) || '';
}

/** The running scenario's name; setup() and teardown() run outside any scenario. */
export function scenarioName() {
  try {
    return exec.scenario.name;
  } catch (e) {
    return 'setup-teardown';
  }
}

/**
 * Request parameters carrying the tags every request must have: workload and mode (the same values as the
 * API's metric labels), the scenario, and `name` = the route template, so that the raw URL (with its query
 * string) never becomes a tag value and the remote-written series stay few.
 * @param {string} workload
 * @param {string} mode
 * @param {string} name
 * @param {import('k6/http').Params} [extra] more params (timeout, responseCallback, headers...)
 * @returns {import('k6/http').Params}
 */
export function requestParams(workload, mode, name, extra) {
  const params = Object.assign({ timeout: __ENV.REQUEST_TIMEOUT || '60s' }, extra || {});
  params.tags = Object.assign({ workload, mode, scenario: scenarioName(), name }, (extra && extra.tags) || {});
  return params;
}

/**
 * Options shared by every script, around its own scenarios and thresholds.
 * @param {Record<string, import('k6/options').Scenario>} scenarios
 * @param {Record<string, string[]>} thresholds
 * @returns {import('k6/options').Options}
 */
export function buildOptions(scenarios, thresholds) {
  /** @type {import('k6/options').Options} */
  const options = {
    scenarios,
    thresholds: Object.assign({ [VERDICT_METRIC]: ['count==0'] }, thresholds),
    // No `url` tag: the query string varies, and `name` already says which route it was.
    systemTags: ['proto', 'subproto', 'status', 'method', 'name', 'group', 'check', 'error', 'error_code',
      'tls_version', 'scenario', 'service', 'expected_response'],
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    // setup() may wait START_STATE_WAIT_SECONDS for the operator experiments' starting state (lib/verdict.js).
    setupTimeout: duration(envNumber('START_STATE_WAIT_SECONDS', 0) + 60),
    // The verdict waits for Prometheus to scrape the end of the test, then runs a few queries.
    teardownTimeout: '5m',
  };
  if (__ENV.TESTID) options.tags = { testid: __ENV.TESTID };
  return options;
}

/**
 * Client-side thresholds for one scenario. Each is a claim about the effect the scenario shows; a breach
 * makes `k6 run` exit with 99.
 * @param {string} scenario
 * @param {{ maxFailedRate?: number, minChecksRate?: number, p95BelowMs?: number, p95AboveMs?: number,
 *           p50AboveMs?: number, maxDropped?: number, minDropped?: number }} claims
 * @returns {Record<string, string[]>}
 */
export function scenarioThresholds(scenario, claims) {
  const on = (/** @type {string} */ metric) => `${metric}{scenario:${scenario}}`;
  /** @type {Record<string, string[]>} */
  const thresholds = {};
  /** @param {string} metric @param {string} rule */
  const add = (metric, rule) => {
    thresholds[on(metric)] = (thresholds[on(metric)] || []).concat([rule]);
  };
  if (claims.maxFailedRate !== undefined) add('http_req_failed', `rate<=${claims.maxFailedRate}`);
  if (claims.minChecksRate !== undefined) add('checks', `rate>=${claims.minChecksRate}`);
  if (claims.p95BelowMs !== undefined) add('http_req_duration', `p(95)<${claims.p95BelowMs}`);
  if (claims.p95AboveMs !== undefined) add('http_req_duration', `p(95)>${claims.p95AboveMs}`);
  if (claims.p50AboveMs !== undefined) add('http_req_duration', `p(50)>${claims.p50AboveMs}`);
  if (claims.maxDropped !== undefined) add('dropped_iterations', `count<=${claims.maxDropped}`);
  if (claims.minDropped !== undefined) add('dropped_iterations', `count>=${claims.minDropped}`);
  return thresholds;
}

/**
 * setup(): probes /healthz/ready and stops the run at once, with a clear message, when the API is not
 * there; otherwise returns the start time the verdict needs for its time windows.
 * @returns {{ startMs: number }}
 */
export function probeApi() {
  const url = `${BASE_URL}/healthz/ready`;
  const res = http.get(url, requestParams('health', 'none', '/healthz/ready', { timeout: '10s' }));
  if (res.status !== 200) {
    const why = res.status === 0 ? `no answer (${res.error})` : `status ${res.status}`;
    exec.test.abort(`API not ready at ${url}: ${why}. Start the API or set BASE_URL (-e BASE_URL=http://host:port).`);
  }
  // The scenarios start right after setup() returns: this is t=0 of every scenario's startTime.
  return { startMs: Date.now() };
}
