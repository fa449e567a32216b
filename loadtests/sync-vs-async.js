// sync-vs-async.js: the same simulated I/O wait, first awaited, then blocking, at the same arrival rate.
//
// What it does: two constant-arrival-rate scenarios one after the other (startTime), RATE requests/s for
// DURATION each, separated by GAP so that threads the first phase created can retire (idle pool threads
// exit after 20 s): `async` calls /io/delay/async?ms=WAIT_MS (await Task.Delay), `sync` calls
// /io/delay/sync?ms=WAIT_MS (Thread.Sleep).
// Defaults: RATE=200, WAIT_MS=100, DURATION=60s, GAP=30s, MAX_VUS=300: about 2.5 minutes plus the verdict.
// Dashboards: Platform / Thread pool (uid platform-thread-pool) for scheduling delay, queue and threads;
// Platform / Overview (uid platform-overview) for latency by mode.
// Expect: async p95 close to the wait (a waiting request holds no thread). Sync p95 far above it, with
// dropped iterations: each request holds a pool thread for the whole wait, the pool starts with one
// thread per core and the runtime adds only about two a second, so work queues. Server-side, the mean
// scheduling delay during the sync phase is many times the async phase's, and the pool queue is non-empty.
// With the operator in Enforce mode it raises min threads during the sync phase and the tail shortens;
// the verdict reports the pods' min threads so you can see whether that happened.

import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate } from './lib/profiles.js';
import { expectWorkload, ioDelay } from './lib/requests.js';
import {
  noData, clientP95Max, clientRequests, fmt, fmtSeconds, lengthOf, phase, podMinThreadsMax, queueLengthMax, runVerdict,
  schedulingDelayMean, serverDurationQuantile,
} from './lib/verdict.js';

const RATE = envNumber('RATE', 200);
const WAIT_MS = envNumber('WAIT_MS', 100);
const DURATION = envSeconds('DURATION', '60s');
const GAP = envSeconds('GAP', '30s');
const MAX_VUS = envNumber('MAX_VUS', 300);

export const options = buildOptions(
  {
    async: constantRate({ exec: 'asyncPhase', rate: RATE, seconds: DURATION, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS }),
    sync: constantRate({ exec: 'syncPhase', rate: RATE, seconds: DURATION, startSeconds: DURATION + GAP, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS }),
  },
  Object.assign(
    // Async keeps up: p95 near the wait, no failures, at most a second's worth of dropped iterations.
    scenarioThresholds('async', { p95BelowMs: WAIT_MS * 1.5 + 50, maxFailedRate: 0.01, minChecksRate: 0.99, maxDropped: RATE }),
    // Sync does not: the effect itself is the claim.
    scenarioThresholds('sync', { p95AboveMs: WAIT_MS * 3, minDropped: 1 }),
  ),
);

export function setup() {
  return probeApi();
}

export function asyncPhase() {
  expectWorkload(ioDelay('async', WAIT_MS), 'io-delay', 'async');
}

export function syncPhase() {
  expectWorkload(ioDelay('sync', WAIT_MS), 'io-delay', 'sync');
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  const asyncWindow = phase(data, 0, DURATION);
  const syncWindow = phase(data, DURATION + GAP, DURATION);
  const d = lengthOf(syncWindow);
  runVerdict('sync-vs-async', data, [
    {
      check: 'scheduling delay, async phase (mean)',
      expected: 'shown',
      evaluate: (q) => ({ observed: fmtSeconds(q.required(schedulingDelayMean(d), asyncWindow.to, 'no scheduling-delay samples')), pass: null }),
    },
    {
      check: 'scheduling delay, sync vs async (mean)',
      expected: 'sync >= 10 x async and >= 50 ms',
      evaluate: (q) => {
        const a = q.required(schedulingDelayMean(d), asyncWindow.to, 'no scheduling-delay samples in the async phase');
        const s = q.required(schedulingDelayMean(d), syncWindow.to, 'no scheduling-delay samples in the sync phase');
        return { observed: `sync ${fmtSeconds(s)}, async ${fmtSeconds(a)}`, pass: s >= 10 * a && s >= 0.05 };
      },
    },
    {
      check: 'thread-pool queue, sync phase (max)',
      expected: '> 0 work items',
      evaluate: (q) => {
        const max = q.required(queueLengthMax(d), syncWindow.to, 'no dotnet_thread_pool_queue_length series');
        return { observed: fmt(max), pass: max > 0 };
      },
    },
    {
      check: 'server-side p95, sync phase',
      expected: 'shown (misses time queued before headers were parsed)',
      evaluate: (q) => ({ observed: fmtSeconds(q.value(serverDurationQuantile(0.95, 'io-delay', 'sync', d), syncWindow.to)), pass: null }),
    },
    {
      check: 'client-side p95, sync phase (k6 remote write)',
      expected: 'shown',
      evaluate: (q) => {
        if (!q.testid) throw noData('no testid: pass -e TESTID=... (run.sh does)');
        return { observed: fmtSeconds(q.value(clientP95Max(q.testid, 'sync', d), syncWindow.to)), pass: null };
      },
    },
    {
      check: 'pods\' min worker threads, sync phase (max)',
      expected: 'shown (rises only if the operator acted)',
      evaluate: (q) => ({ observed: fmt(q.value(podMinThreadsMax(d), syncWindow.to)), pass: null }),
    },
    {
      check: 'k6 requests in Prometheus for this testid',
      expected: 'shown',
      evaluate: (q) => {
        if (!q.testid) throw noData('no testid: pass -e TESTID=... (run.sh does)');
        return { observed: fmt(q.value(clientRequests(q.testid, lengthOf(q.test)), q.test.to)), pass: null };
      },
    },
  ]);
}
