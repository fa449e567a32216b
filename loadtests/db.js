// db.js: the same database query in the four modes, one phase each, and what "async" means per provider.
//
// What it does: four constant-arrival-rate scenarios one after the other (startTime), named after the mode:
// `async`, `sync`, `sync-over-async`, `task-run`, each RATE requests/s to /db/{mode}?ms=WAIT_MS&rows=ROWS
// for PHASE, with GAP between phases so threads injected in one phase can retire (after 20 s idle).
// setup() asks the API once which provider it runs (the `provider` field of a /db response).
// Defaults: RATE=100, WAIT_MS=100, ROWS=10, PHASE=45s, GAP=30s, MAX_VUS=300: about 4.5 minutes plus the verdict.
// Dashboard: Platform / Thread pool (uid platform-thread-pool): scheduling delay and threads per phase.
// Expect, and it differs by provider:
// - postgres: the async mode blocks a thread for about a millisecond of each query (the response's
//   threadBlockedMs), so the async phase keeps a low scheduling delay while the blocking modes starve the pool.
// - sqlite (the default): Microsoft.Data.Sqlite's async methods run synchronously, so the async mode blocks
//   for the whole query (completedSynchronously=true) and its phase starves the pool like the sync phase.
// A per-request check asserts the provider's behaviour; the server-side verdict asserts the phases' delays.
// With the operator in Enforce mode, min threads raised in one phase may help the next ones.

import { check } from 'k6';
import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate } from './lib/profiles.js';
import { WORKLOADS, db, expectWorkload, jsonField } from './lib/requests.js';
import { fmtSeconds, lengthOf, phase, runVerdict, schedulingDelayMean } from './lib/verdict.js';

const RATE = envNumber('RATE', 100);
const WAIT_MS = envNumber('WAIT_MS', 100);
const ROWS = envNumber('ROWS', 10);
const PHASE = envSeconds('PHASE', '45s');
const GAP = envSeconds('GAP', '30s');
const MAX_VUS = envNumber('MAX_VUS', 300);

/** @typedef {(typeof WORKLOADS)['db']['modes'][number]} DbMode */
/** @type {Record<DbMode, string>} the exported function each mode's scenario runs */
const EXEC = { async: 'dbAsync', sync: 'dbSync', 'sync-over-async': 'dbSyncOverAsync', 'task-run': 'dbTaskRun' };
const MODES = WORKLOADS.db.modes;

/** @param {DbMode} mode */
const offset = (mode) => MODES.indexOf(mode) * (PHASE + GAP);

/** @type {Record<string, import('k6/options').Scenario>} */
const scenarios = {};
/** @type {Record<string, string[]>} */
let thresholds = {};
for (const mode of MODES) {
  scenarios[mode] = constantRate({
    exec: EXEC[mode], rate: RATE, seconds: PHASE, startSeconds: offset(mode), expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS,
  });
  // Blocking modes may drop iterations and run slow; they should still answer.
  thresholds = Object.assign(thresholds, scenarioThresholds(mode, { maxFailedRate: 0.05, minChecksRate: 0.95 }));
}
export const options = buildOptions(scenarios, thresholds);

/** @typedef {{ startMs: number, provider: string }} Data */

/** @returns {Data} */
export function setup() {
  const start = probeApi();
  const res = db('async', 1, 1);
  const provider = String(jsonField(res, 'provider') || 'unknown');
  console.log(`db provider: ${provider}`);
  return { startMs: start.startMs, provider };
}

/**
 * @param {DbMode} mode
 * @param {Data} data
 */
function query(mode, data) {
  const res = db(mode, WAIT_MS, ROWS);
  expectWorkload(res, 'db', mode);
  if (mode !== 'async') return;
  if (data.provider === 'postgres') {
    check(res, { 'postgres: async blocks a thread for under half the wait': (r) => Number(jsonField(r, 'threadBlockedMs')) < WAIT_MS / 2 });
  } else if (data.provider === 'sqlite') {
    check(res, { 'sqlite: async completed synchronously (blocked the thread)': (r) => jsonField(r, 'completedSynchronously') === true });
  }
}

/** @param {Data} data */
export function dbAsync(data) { query('async', data); }
/** @param {Data} data */
export function dbSync(data) { query('sync', data); }
/** @param {Data} data */
export function dbSyncOverAsync(data) { query('sync-over-async', data); }
/** @param {Data} data */
export function dbTaskRun(data) { query('task-run', data); }

/** @param {Data} data */
export function teardown(data) {
  const windows = MODES.map((mode) => ({ mode, window: phase(data, offset(mode), PHASE) }));
  const d = lengthOf(windows[0].window);
  /** @param {import('./lib/verdict.js').Query} q @param {DbMode} mode */
  const delay = (q, mode) => {
    const w = windows.filter((x) => x.mode === mode)[0].window;
    return q.required(schedulingDelayMean(d), w.to, `no scheduling-delay samples in the ${mode} phase`);
  };

  const providerCheck = data.provider === 'postgres'
    ? {
      check: 'postgres: async phase stays healthy, sync starves',
      expected: 'async < 20 ms; sync >= 10 x async and >= 50 ms',
      evaluate: (/** @type {import('./lib/verdict.js').Query} */ q) => {
        const a = delay(q, 'async');
        const s = delay(q, 'sync');
        return { observed: `async ${fmtSeconds(a)}, sync ${fmtSeconds(s)}`, pass: a < 0.02 && s >= 10 * a && s >= 0.05 };
      },
    }
    : {
      check: `${data.provider}: async blocks like sync`,
      expected: 'async >= 20 ms and >= 0.3 x sync',
      evaluate: (/** @type {import('./lib/verdict.js').Query} */ q) => {
        const a = delay(q, 'async');
        const s = delay(q, 'sync');
        return { observed: `async ${fmtSeconds(a)}, sync ${fmtSeconds(s)}`, pass: a >= 0.02 && a >= 0.3 * s };
      },
    };

  runVerdict(`db (provider ${data.provider})`, data, [
    {
      check: 'scheduling delay per phase (mean)',
      expected: 'shown',
      evaluate: (q) => ({ observed: MODES.map((m) => `${m} ${fmtSeconds(delay(q, m))}`).join(', '), pass: null }),
    },
    providerCheck,
  ]);
}
