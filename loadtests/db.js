// db.js: the same database query in the four modes, one phase each, and what "async" means per provider;
// then one large value read in the four modes, where async is not a silver bullet.
//
// What it does: four constant-arrival-rate scenarios one after the other (startTime), named after the mode:
// `async`, `sync`, `sync-over-async`, `task-run`, each RATE requests/s to /db/{mode}?ms=WAIT_MS&rows=ROWS
// for PHASE, with GAP between phases so threads injected in one phase can retire (after 20 s idle). Then,
// tagged apart (workload `db-blob`, scenarios `blob-<mode>`), four more phases of BLOB_RATE requests/s to
// /db/blob/{mode}?kb=BLOB_KB for BLOB_PHASE each: one varbinary/bytea/BLOB value of BLOB_KB KiB per request,
// materialised by EF Core as a byte[]. BLOB=false leaves the blob phases out.
// setup() asks the API once which provider it runs (the `provider` field of a /db response).
// Defaults: RATE=100, WAIT_MS=100, ROWS=10, PHASE=45s, GAP=30s, MAX_VUS=300, BLOB_RATE=20, BLOB_KB=1024,
// BLOB_PHASE=30s: about 8.5 minutes plus the verdict (4.5 without the blob phases).
// Dashboard: Platform / Thread pool (uid platform-thread-pool): scheduling delay and threads per phase.
// Expect, and it differs by provider:
// - postgres: the async mode blocks a thread for about a millisecond of each query (the response's
//   threadBlockedMs), so the async phase keeps a low scheduling delay while the blocking modes starve the pool.
//   Npgsql reads a large value asynchronously at about the cost of the sync read.
// - sqlite (the default): Microsoft.Data.Sqlite's async methods run synchronously, so the async mode blocks
//   for the whole query (completedSynchronously=true) and its phase starves the pool like the sync phase. Its
//   async blob read is its sync read.
// - sqlserver: the async query frees the thread like PostgreSQL's, but SqlClient's async read of a value that
//   spans many packets is far slower than its sync read (it re-reads the packets received so far each time
//   another arrives): the blob-async phase's median is several times blob-sync's. With the API's
//   Database__SqlClientCompatibilityAsyncBehaviour=false, run with SQLCLIENT_COMPATIBILITY_ASYNC=false: then
//   the async read is expected to be no slower than twice the sync one.
// A per-request check asserts the provider's behaviour; the server-side verdict asserts the phases' delays
// and compares the blob phases' server-side medians.
// With the operator in Enforce mode, min threads raised in one phase may help the next ones.

import { check } from 'k6';
import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate } from './lib/profiles.js';
import { WORKLOADS, db, dbBlob, expectWorkload, jsonField } from './lib/requests.js';
import { fmtSeconds, lengthOf, phase, runVerdict, schedulingDelayMean, serverDurationQuantile } from './lib/verdict.js';

const RATE = envNumber('RATE', 100);
const WAIT_MS = envNumber('WAIT_MS', 100);
const ROWS = envNumber('ROWS', 10);
const PHASE = envSeconds('PHASE', '45s');
const GAP = envSeconds('GAP', '30s');
const MAX_VUS = envNumber('MAX_VUS', 300);
const BLOB = __ENV.BLOB !== 'false';
const BLOB_RATE = envNumber('BLOB_RATE', 20);
const BLOB_KB = envNumber('BLOB_KB', 1024);
const BLOB_PHASE = envSeconds('BLOB_PHASE', '30s');
const SQLCLIENT_COMPATIBILITY_ASYNC = __ENV.SQLCLIENT_COMPATIBILITY_ASYNC !== 'false';

/** @typedef {(typeof WORKLOADS)['db']['modes'][number]} DbMode */
/** @type {Record<DbMode, string>} the exported function each mode's scenario runs */
const EXEC = { async: 'dbAsync', sync: 'dbSync', 'sync-over-async': 'dbSyncOverAsync', 'task-run': 'dbTaskRun' };
/** @type {Record<DbMode, string>} the exported function each blob mode's scenario runs */
const BLOB_EXEC = { async: 'blobAsync', sync: 'blobSync', 'sync-over-async': 'blobSyncOverAsync', 'task-run': 'blobTaskRun' };
const MODES = WORKLOADS.db.modes;

/** @param {DbMode} mode */
const offset = (mode) => MODES.indexOf(mode) * (PHASE + GAP);
/** The blob phases follow the last query phase, each after a GAP. @param {DbMode} mode */
const blobOffset = (mode) => MODES.length * (PHASE + GAP) + MODES.indexOf(mode) * (BLOB_PHASE + GAP);
/** @param {DbMode} mode */
const blobScenario = (mode) => `blob-${mode}`;

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
  if (!BLOB) continue;
  scenarios[blobScenario(mode)] = constantRate({
    exec: BLOB_EXEC[mode], rate: BLOB_RATE, seconds: BLOB_PHASE, startSeconds: blobOffset(mode), expectedLatencySeconds: 0.1, maxVUs: MAX_VUS,
  });
  thresholds = Object.assign(thresholds, scenarioThresholds(blobScenario(mode), { maxFailedRate: 0.05, minChecksRate: 0.95 }));
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
  if (data.provider === 'postgres' || data.provider === 'sqlserver') {
    check(res, { [`${data.provider}: async blocks a thread for under half the wait`]: (r) => Number(jsonField(r, 'threadBlockedMs')) < WAIT_MS / 2 });
  } else if (data.provider === 'sqlite') {
    check(res, { 'sqlite: async completed synchronously (blocked the thread)': (r) => jsonField(r, 'completedSynchronously') === true });
  }
}

/**
 * @param {DbMode} mode
 * @param {Data} data
 */
function blob(mode, data) {
  const res = dbBlob(mode, BLOB_KB);
  expectWorkload(res, 'db-blob', mode);
  check(res, { 'blob: the whole value was read': (r) => jsonField(r, 'bytes') === BLOB_KB * 1024 });
  if (mode === 'async' && data.provider === 'sqlite') {
    check(res, { 'sqlite: async blob read completed synchronously': (r) => jsonField(r, 'completedSynchronously') === true });
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
export function blobAsync(data) { blob('async', data); }
/** @param {Data} data */
export function blobSync(data) { blob('sync', data); }
/** @param {Data} data */
export function blobSyncOverAsync(data) { blob('sync-over-async', data); }
/** @param {Data} data */
export function blobTaskRun(data) { blob('task-run', data); }

/**
 * What the async blob read should cost against the sync one, per provider, as a ratio of server-side medians.
 * @param {string} provider
 * @returns {{ expected: string, pass: (ratio: number) => boolean }}
 */
function blobExpectation(provider) {
  if (provider === 'sqlserver' && SQLCLIENT_COMPATIBILITY_ASYNC) {
    return { expected: 'async >= 2 x sync (SqlClient compatibility async)', pass: (r) => r >= 2 };
  }
  if (provider === 'sqlite') {
    return { expected: 'async within 0.5..2 x sync (the same read)', pass: (r) => r >= 0.5 && r <= 2 };
  }
  return { expected: 'async <= 2 x sync', pass: (r) => r <= 2 };
}

/** @param {Data} data */
export function teardown(data) {
  const windows = MODES.map((mode) => ({ mode, window: phase(data, offset(mode), PHASE) }));
  const d = lengthOf(windows[0].window);
  /** @param {import('./lib/verdict.js').Query} q @param {DbMode} mode */
  const delay = (q, mode) => {
    const w = windows.filter((x) => x.mode === mode)[0].window;
    return q.required(schedulingDelayMean(d), w.to, `no scheduling-delay samples in the ${mode} phase`);
  };

  const providerCheck = data.provider === 'postgres' || data.provider === 'sqlserver'
    ? {
      check: `${data.provider}: async phase stays healthy, sync starves`,
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

  /** @type {import('./lib/verdict.js').Check[]} */
  const checks = [
    {
      check: 'scheduling delay per phase (mean)',
      expected: 'shown',
      evaluate: (q) => ({ observed: MODES.map((m) => `${m} ${fmtSeconds(delay(q, m))}`).join(', '), pass: null }),
    },
    providerCheck,
  ];

  if (BLOB) {
    const blobWindows = MODES.map((mode) => ({ mode, window: phase(data, blobOffset(mode), BLOB_PHASE) }));
    const bd = lengthOf(blobWindows[0].window);
    /** @param {import('./lib/verdict.js').Query} q @param {DbMode} mode */
    const median = (q, mode) => {
      const w = blobWindows.filter((x) => x.mode === mode)[0].window;
      return q.required(serverDurationQuantile(0.5, 'db-blob', mode, bd), w.to, `no db-blob ${mode} requests in its phase`);
    };
    /** @param {import('./lib/verdict.js').Query} q @param {DbMode} mode */
    const blobDelay = (q, mode) => {
      const w = blobWindows.filter((x) => x.mode === mode)[0].window;
      return q.required(schedulingDelayMean(bd), w.to, `no scheduling-delay samples in the blob ${mode} phase`);
    };
    const expectation = blobExpectation(data.provider);
    checks.push(
      {
        check: `blob ${BLOB_KB} KiB: server median and scheduling delay per phase`,
        expected: 'shown',
        evaluate: (q) => ({ observed: MODES.map((m) => `${m} ${fmtSeconds(median(q, m))} (delay ${fmtSeconds(blobDelay(q, m))})`).join(', '), pass: null }),
      },
      {
        check: `${data.provider}: async blob read vs sync (server median)`,
        expected: expectation.expected,
        evaluate: (q) => {
          const a = median(q, 'async');
          const s = median(q, 'sync');
          const ratio = s > 0 ? a / s : Infinity;
          return { observed: `async ${fmtSeconds(a)}, sync ${fmtSeconds(s)}, ${ratio.toFixed(1)} x`, pass: expectation.pass(ratio) };
        },
      },
    );
  }

  runVerdict(`db (provider ${data.provider})`, data, checks);
}
