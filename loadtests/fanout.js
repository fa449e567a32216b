// fanout.js: N downstream calls awaited one by one versus started together.
//
// What it does: two constant-arrival-rate scenarios in parallel for DURATION, RATE requests/s each:
// `sequential` calls /fanout/sequential?calls=CALLS&ms=WAIT_MS, `when-all` calls /fanout/when-all with the
// same parameters. Both modes are fully async; only the shape of the waiting differs.
// Defaults: RATE=20, CALLS=5, WAIT_MS=50, DURATION=2m, MAX_VUS=200: 2 minutes plus the verdict.
// Dashboard: Platform / Overview (uid platform-overview): request duration by mode, and the outbound
// (http_client) calls to the downstream dependency.
// Expect: sequential latency is about CALLS x WAIT_MS (the waits add up), when-all about WAIT_MS (they
// overlap), so the ratio of the medians is close to CALLS; neither holds a thread while waiting, so
// neither disturbs the thread pool. The server-side verdict asks for a median ratio of at least 0.6 x CALLS.

import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate } from './lib/profiles.js';
import { expectWorkload, fanout } from './lib/requests.js';
import { downstreamCalls, fmt, fmtSeconds, lengthOf, phase, runVerdict, serverDurationQuantile } from './lib/verdict.js';

const RATE = envNumber('RATE', 20);
const CALLS = envNumber('CALLS', 5);
const WAIT_MS = envNumber('WAIT_MS', 50);
const DURATION = envSeconds('DURATION', '2m');
const MAX_VUS = envNumber('MAX_VUS', 200);

export const options = buildOptions(
  {
    sequential: constantRate({ exec: 'sequential', rate: RATE, seconds: DURATION, expectedLatencySeconds: (CALLS * WAIT_MS) / 1000, maxVUs: MAX_VUS }),
    'when-all': constantRate({ exec: 'whenAll', rate: RATE, seconds: DURATION, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS }),
  },
  Object.assign(
    // The waits add up: the median cannot be below the sum of the waits.
    scenarioThresholds('sequential', { p50AboveMs: CALLS * WAIT_MS * 0.9, maxFailedRate: 0.01, minChecksRate: 0.99 }),
    // They overlap: p95 near one wait.
    scenarioThresholds('when-all', { p95BelowMs: WAIT_MS * 2 + 100, maxFailedRate: 0.01, minChecksRate: 0.99 }),
  ),
);

export function setup() {
  return probeApi();
}

export function sequential() {
  expectWorkload(fanout('sequential', CALLS, WAIT_MS), 'fanout', 'sequential');
}

export function whenAll() {
  expectWorkload(fanout('when-all', CALLS, WAIT_MS), 'fanout', 'when-all');
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  const all = phase(data, 0, DURATION);
  const d = lengthOf(all);
  runVerdict('fanout', data, [
    {
      check: 'server-side median, sequential / when-all',
      expected: `ratio >= ${fmt(0.6 * CALLS)} (0.6 x CALLS)`,
      evaluate: (q) => {
        const seq = q.required(serverDurationQuantile(0.5, 'fanout', 'sequential', d), all.to, 'no fanout sequential durations');
        const par = q.required(serverDurationQuantile(0.5, 'fanout', 'when-all', d), all.to, 'no fanout when-all durations');
        return { observed: `${fmtSeconds(seq)} / ${fmtSeconds(par)} = ${fmt(seq / par)}`, pass: seq / par >= 0.6 * CALLS };
      },
    },
    {
      check: 'outbound calls to the dependency',
      expected: `shown (about 2 x RATE x CALLS x ${d} s = ${2 * RATE * CALLS * d})`,
      evaluate: (q) => ({ observed: fmt(q.value(downstreamCalls(d), all.to)), pass: null }),
    },
  ]);
}
