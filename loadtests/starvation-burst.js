// starvation-burst.js: an idle API hit by a sudden burst of blocking requests; the operator's fix for
// starvation is more threads in the running pods, not more pods.
//
// What it does: `baseline`, a trickle of 2 awaited requests/s for IDLE; then `burst`, RATE requests/s to
// /io/delay/sync?ms=WAIT_MS (Thread.Sleep) for BURST; then `after`, the trickle again for AFTER.
// Defaults: IDLE=60s, BURST=180s, AFTER=60s, RATE=200, WAIT_MS=100, MAX_VUS=400: about 5 minutes plus the verdict.
// Dashboards: Platform / Operator (uid platform-operator) for decisions, desired min threads and replicas;
// Platform / Thread pool (uid platform-thread-pool) for the scheduling delay and min threads per pod.
// Expect: the scheduling delay jumps within seconds of the burst (the pool holds one thread per core and
// injects about two a second, far below the RATE x WAIT_MS threads the burst needs). The operator reads
// every pod's control port each second, sees queueing with CPU mostly idle (starvation, not saturation),
// and raises min threads within FIRST_RAISE_SECONDS (default 10) to what the pods need, sized from their
// busy threads, completions and queue rather than stepped; the delay falls back while the burst is still
// running, within RECOVERY_SECONDS (default 45 s: a few seconds to recover plus the verdict's 30 s rolling
// window). Replicas do not change: more pods would also help, but the right fix for blocked threads is
// threads. The verdict checks each step, and the outcome: the worst pod's delay and k6's p95 of the burst
// came down (or stayed healthy) after the raise (loadtests/README.md, "The operator experiments' verdict rows"). setup() first
// checks the starting state (one pod, baseline min threads, no recent decision) and stops if it is wrong.

import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate } from './lib/profiles.js';
import { expectWorkload, ioDelay } from './lib/requests.js';
import {
  noData, STARVATION_REASON, allDecisions, apiPodsMax, apiPodsMin, firstPoint, fmt, fmtSeconds, lengthOf, minThreadsDecisions,
  operatorMinThreadsMax, operatorMinThreadsNow, operatorReplicasMax, operatorReplicasMin, peakPoint, phase,
  podMinThreads, podMinThreadsMax, replicaDecisions, reliefChecks, requireStartState, runVerdict, schedulingDelayMean,
  schedulingDelayRolling, someReliefCheck, minThreadsRaisedAt,
} from './lib/verdict.js';

const IDLE = envSeconds('IDLE', '60s');
const BURST = envSeconds('BURST', '180s');
const AFTER = envSeconds('AFTER', '60s');
const RATE = envNumber('RATE', 200);
const WAIT_MS = envNumber('WAIT_MS', 100);
const MAX_VUS = envNumber('MAX_VUS', 400);
const RECOVERY_SECONDS = envNumber('RECOVERY_SECONDS', 45);
const FIRST_RAISE_SECONDS = envNumber('FIRST_RAISE_SECONDS', 10);
// The chart's starvation threshold (spec.starvation.schedulingDelayThresholdMilliseconds): the burst must push the
// delay past what the operator acts on. A fix within a second or two keeps the rolling mean not far above it.
const ROSE_ABOVE = envNumber('ROSE_ABOVE_MS', 50) / 1000;
const RECOVERED_BELOW = envNumber('RECOVERED_BELOW_MS', 20) / 1000;
const TRICKLE = 2;

export const options = buildOptions(
  {
    baseline: constantRate({ exec: 'trickle', rate: TRICKLE, seconds: IDLE, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: 10 }),
    burst: constantRate({ exec: 'blocking', rate: RATE, seconds: BURST, startSeconds: IDLE, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS }),
    after: constantRate({ exec: 'trickle', rate: TRICKLE, seconds: AFTER, startSeconds: IDLE + BURST, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: 10 }),
  },
  Object.assign(
    scenarioThresholds('baseline', { p95BelowMs: WAIT_MS * 1.5 + 50, maxFailedRate: 0.01 }),
    // Slow is expected during the burst; failed connections (the accept loop itself starved) are not.
    scenarioThresholds('burst', { maxFailedRate: 0.1 }),
    // Afterwards the pods keep their raised min threads for a while: awaited requests are quick again.
    scenarioThresholds('after', { p95BelowMs: WAIT_MS * 1.5 + 50, maxFailedRate: 0.01 }),
  ),
);

export function setup() {
  requireStartState();
  return probeApi();
}

export function trickle() {
  expectWorkload(ioDelay('async', WAIT_MS), 'io-delay', 'async');
}

export function blocking() {
  expectWorkload(ioDelay('sync', WAIT_MS), 'io-delay', 'sync');
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  const baseline = phase(data, 0, IDLE);
  const burst = phase(data, IDLE, BURST);
  const all = phase(data, 0, IDLE + BURST + AFTER);
  const since = (/** @type {number} */ t) => `+${Math.round(t - burst.from)} s`;
  /** @type {Array<boolean | null>} */
  const relieved = [];
  const raisedAt = (/** @type {import('./lib/verdict.js').Query} */ q) => {
    const raise = minThreadsRaisedAt(q, burst);
    return raise ? raise.at : null;
  };

  runVerdict('starvation-burst', data, [
    {
      check: 'scheduling delay before the burst (mean)',
      expected: `< ${fmtSeconds(RECOVERED_BELOW)}`,
      evaluate: (q) => {
        const v = q.required(schedulingDelayMean(lengthOf(baseline)), baseline.to, 'no scheduling-delay samples');
        return { observed: fmtSeconds(v), pass: v < RECOVERED_BELOW };
      },
    },
    {
      check: 'scheduling delay rose in the burst (rolling mean, peak)',
      expected: `>= ${fmtSeconds(ROSE_ABOVE)}`,
      evaluate: (q) => {
        // Every second: the operator fixes within seconds, so a coarser step can fall either side of the peak.
        const peak = peakPoint(q.range(schedulingDelayRolling, all, 1), burst);
        if (!peak) throw noData('no scheduling-delay samples during the burst');
        return { observed: `${fmtSeconds(peak[1])} at ${since(peak[0])}`, pass: peak[1] >= ROSE_ABOVE };
      },
    },
    {
      check: 'operator raised desired min threads',
      expected: 'max in burst > value at burst start',
      evaluate: (q) => {
        const before = q.required(operatorMinThreadsNow, burst.from, 'no platform_operator_desired_min_threads: is the operator running?');
        const max = q.required(operatorMinThreadsMax(lengthOf(burst)), burst.to, 'no platform_operator_desired_min_threads');
        return { observed: `${fmt(before)} -> ${fmt(max)}`, pass: max > before };
      },
    },
    {
      check: 'pods\' min worker threads rose',
      expected: 'max in burst > value at burst start',
      evaluate: (q) => {
        const before = q.required(podMinThreads, burst.from, 'no platform_thread_pool_min_threads series');
        const max = q.required(podMinThreadsMax(lengthOf(burst)), burst.to, 'no platform_thread_pool_min_threads series');
        return { observed: `${fmt(before)} -> ${fmt(max)}`, pass: max > before };
      },
    },
    {
      check: 'pods\' min threads rose soon after the burst began',
      expected: `within ${FIRST_RAISE_SECONDS} s`,
      evaluate: (q) => {
        const threads = q.range(podMinThreads, all, 1);
        const start = firstPoint(threads, burst.from, () => true);
        if (!start) throw noData('no platform_thread_pool_min_threads series');
        const rose = firstPoint(threads, burst.from, (v) => v > start[1]);
        return {
          observed: rose ? `at ${since(rose[0])} (${fmt(start[1])} -> ${fmt(rose[1])})` : 'never',
          pass: rose !== null && rose[0] <= burst.from + FIRST_RAISE_SECONDS,
        };
      },
    },
    {
      check: 'delay recovered during the burst, after min threads rose',
      expected: `< ${fmtSeconds(RECOVERED_BELOW)} within ${RECOVERY_SECONDS} s, burst still on`,
      evaluate: (q) => {
        const delay = q.range(schedulingDelayRolling, all, 5);
        const peak = peakPoint(delay, burst);
        if (!peak) throw noData('no scheduling-delay samples during the burst');
        // The same 1 s reading as the "rose soon" row: a coarser step can start on the raised value.
        const raise = minThreadsRaisedAt(q, burst);
        const rose = raise ? [raise.at, raise.to] : null;
        const recovered = firstPoint(delay, peak[0], (v) => v < RECOVERED_BELOW);
        if (!recovered) return { observed: 'not recovered by the end of the test', pass: false };
        const inTime = recovered[0] <= burst.from + RECOVERY_SECONDS && recovered[0] < burst.to;
        const causal = rose !== null && rose[0] <= recovered[0];
        return {
          observed: `recovered at ${since(recovered[0])}; min threads rose ${rose ? `at ${since(rose[0])}` : 'never'}`,
          pass: inTime && causal,
        };
      },
    },
    {
      check: 'replicas did not change (operator)',
      expected: 'max == min over the test',
      evaluate: (q) => {
        const max = q.required(operatorReplicasMax(lengthOf(all)), all.to, 'no platform_operator_current_replicas: is the operator running?');
        const min = q.required(operatorReplicasMin(lengthOf(all)), all.to, 'no platform_operator_current_replicas');
        return { observed: `${fmt(min)}..${fmt(max)}`, pass: max === min };
      },
    },
    {
      check: 'API pods up did not change',
      expected: 'max == min over the test',
      evaluate: (q) => {
        const max = q.required(apiPodsMax(lengthOf(all)), all.to, 'no up{job="api"} series');
        const min = q.required(apiPodsMin(lengthOf(all)), all.to, 'no up{job="api"} series');
        return { observed: `${fmt(min)}..${fmt(max)}`, pass: max === min };
      },
    },
    {
      check: 'operator decisions by cause',
      expected: `raise for ${STARVATION_REASON} > 0, scale_up = 0`,
      evaluate: (q) => {
        q.required(allDecisions, all.to, 'no platform_operator_decisions_total: is the operator running?');
        const raised = q.growth(minThreadsDecisions('raise', STARVATION_REASON), all);
        const scaledUp = q.growth(replicaDecisions('scale_up', '.*'), all);
        return { observed: `raise ${fmt(raised)}, scale_up ${fmt(scaledUp)}`, pass: raised > 0 && scaledUp === 0 };
      },
    },
    ...reliefChecks('min threads raise', raisedAt, burst, 'burst', relieved, WAIT_MS / 1000),
    someReliefCheck(relieved),
  ]);
}
