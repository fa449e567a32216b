// mixed.js: blocking I/O and CPU-bound work at the same time, tagged apart; each problem should get its
// own fix: min threads for the blocked threads, pods for the busy CPUs.
//
// What it does: two scenarios in parallel for DURATION. `blocking`: BLOCK_RATE requests/s to
// /io/delay/sync?ms=WAIT_MS (workload io-delay, mode sync). `cpu`: a ramping arrival rate on
// /cpu/sync?iterations=ITERATIONS (workload cpu, mode sync) from 10/s to CPU_RATE over RAMP, then held.
// Defaults: BLOCK_RATE=100, WAIT_MS=100, CPU_RATE=300, ITERATIONS=4000000, RAMP=2m, DURATION=6m,
// MAX_VUS=300 per scenario: 6 minutes plus the verdict.
// Dashboard: Platform / Operator (uid platform-operator): decisions by reason, replicas and desired min threads.
// Expect: both effects, each from its own cause. The operator's decisions_total shows min threads raised
// with reason ThreadPoolStarvation and replicas added with reason CpuSaturation (or ScaleUpLimited), and
// never the other way round. While CPU is saturated the operator (like the runtime) does not add threads;
// once new pods bring CPU down, the blocked threads show as starvation and min threads rise. Outcomes too:
// every pod serves its share after the scale-out, and after each fix the worst pod's delay and the client p95
// of the scenario it helps come down; a run where no fix relieved anything fails. setup() checks the
// starting state first (min replicas, baseline min threads, no recent decision).

import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { constantRate, rampingRate } from './lib/profiles.js';
import { cpu, expectWorkload, ioDelay } from './lib/requests.js';
import {
  SATURATION_REASONS, STARVATION_REASON, allDecisions, fmt, lengthOf, minThreadsDecisions, operatorMinThreadsMax,
  operatorMinThreadsNow, operatorReplicasMax, operatorReplicasNow, phase, replicaDecisions, runVerdict,
  fairShareCheck, minThreadsRaisedAt, reliefChecks, requireStartState, scaledOutAt, someReliefCheck,
} from './lib/verdict.js';

const BLOCK_RATE = envNumber('BLOCK_RATE', 100);
const WAIT_MS = envNumber('WAIT_MS', 100);
const CPU_RATE = envNumber('CPU_RATE', 300);
const ITERATIONS = envNumber('ITERATIONS', 4000000);
const RAMP = envSeconds('RAMP', '2m');
const DURATION = envSeconds('DURATION', '6m');
const MAX_VUS = envNumber('MAX_VUS', 300);
// What one CPU request is expected to take on a pod that is not saturated (sizes the VUs; bounds a healthy p95).
const CPU_LATENCY_SECONDS = (ITERATIONS / 1e6) * 0.0025 * 4;

export const options = buildOptions(
  {
    blocking: constantRate({ exec: 'blocking', rate: BLOCK_RATE, seconds: DURATION, expectedLatencySeconds: WAIT_MS / 1000, maxVUs: MAX_VUS }),
    cpu: rampingRate({
      exec: 'computing', startRate: 10, rate: CPU_RATE, rampSeconds: RAMP, holdSeconds: Math.max(0, DURATION - RAMP),
      expectedLatencySeconds: CPU_LATENCY_SECONDS, maxVUs: MAX_VUS,
    }),
  },
  Object.assign(
    scenarioThresholds('blocking', { maxFailedRate: 0.1 }),
    scenarioThresholds('cpu', { maxFailedRate: 0.05 }),
  ),
);

export function setup() {
  requireStartState();
  return probeApi();
}

export function blocking() {
  expectWorkload(ioDelay('sync', WAIT_MS), 'io-delay', 'sync');
}

export function computing() {
  expectWorkload(cpu('sync', ITERATIONS), 'cpu', 'sync');
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  const all = phase(data, 0, DURATION);
  const d = lengthOf(all);
  /** @type {Array<boolean | null>} */
  const relieved = [];
  const raisedAt = (/** @type {import('./lib/verdict.js').Query} */ q) => {
    const raise = minThreadsRaisedAt(q, all);
    return raise ? raise.at : null;
  };
  const scaledAt = (/** @type {import('./lib/verdict.js').Query} */ q) => {
    const out = scaledOutAt(q, all);
    return out ? out.at : null;
  };

  runVerdict('mixed', data, [
    {
      check: 'min threads raised for starvation',
      expected: `raise for ${STARVATION_REASON} > 0`,
      evaluate: (q) => {
        q.required(allDecisions, all.to, 'no platform_operator_decisions_total: is the operator running?');
        const raised = q.growth(minThreadsDecisions('raise', STARVATION_REASON), all);
        return { observed: `raise ${fmt(raised)}`, pass: raised > 0 };
      },
    },
    {
      check: 'replicas added for saturation',
      expected: `scale_up for ${SATURATION_REASONS} > 0`,
      evaluate: (q) => {
        q.required(allDecisions, all.to, 'no platform_operator_decisions_total: is the operator running?');
        const scaledUp = q.growth(replicaDecisions('scale_up', SATURATION_REASONS), all);
        return { observed: `scale_up ${fmt(scaledUp)}`, pass: scaledUp > 0 };
      },
    },
    {
      check: 'no fix for the wrong cause',
      expected: `raise for ${SATURATION_REASONS} = 0, scale_up for ${STARVATION_REASON} = 0`,
      evaluate: (q) => {
        q.required(allDecisions, all.to, 'no platform_operator_decisions_total: is the operator running?');
        const wrongRaise = q.growth(minThreadsDecisions('raise', SATURATION_REASONS), all);
        const wrongScale = q.growth(replicaDecisions('scale_up', STARVATION_REASON), all);
        return { observed: `raise ${fmt(wrongRaise)}, scale_up ${fmt(wrongScale)}`, pass: wrongRaise === 0 && wrongScale === 0 };
      },
    },
    {
      check: 'replicas and desired min threads',
      expected: 'both rose',
      evaluate: (q) => {
        const r0 = q.required(operatorReplicasNow, all.from, 'no platform_operator_current_replicas');
        const r1 = q.required(operatorReplicasMax(d), all.to, 'no platform_operator_current_replicas');
        const t0 = q.required(operatorMinThreadsNow, all.from, 'no platform_operator_desired_min_threads');
        const t1 = q.required(operatorMinThreadsMax(d), all.to, 'no platform_operator_desired_min_threads');
        return { observed: `replicas ${fmt(r0)} -> ${fmt(r1)}, min threads ${fmt(t0)} -> ${fmt(t1)}`, pass: r1 > r0 && t1 > t0 };
      },
    },
    fairShareCheck(all),
    ...reliefChecks('min threads raise', raisedAt, all, 'blocking', relieved, WAIT_MS / 1000),
    ...reliefChecks('scale-out', scaledAt, all, 'cpu', relieved, CPU_LATENCY_SECONDS),
    someReliefCheck(relieved),
  ]);
}
