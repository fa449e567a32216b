// cpu-scaleout.js: CPU-bound load ramped up until the pods run out of CPU; the only fix is more pods.
//
// What it does: one ramping-arrival-rate scenario, `ramp`, on /cpu/sync?iterations=ITERATIONS (fixed work
// on the request thread; 1,000,000 iterations are about 2.5 ms of one core): from START_RATE requests/s to
// RATE over RAMP, then RATE held for HOLD.
// Defaults: START_RATE=10, RATE=300, ITERATIONS=4000000 (about 10 ms each, so 300/s needs about 3 cores),
// RAMP=3m, HOLD=3m, MAX_VUS=300: about 6 minutes plus the verdict. RATE must exceed what the starting
// replicas can serve (RATE x ITERATIONS/1e6 x 2.5 ms > replicas x CPU limit) or nothing needs to scale.
// Dashboards: Platform / Operator (uid platform-operator) for replicas and decisions; Platform / Overview
// (uid platform-overview) for CPU utilisation and latency.
// Expect: CPU utilisation of the API reaches the operator's target (the verdict asks for >= 80%), the
// operator classifies it as saturation and adds replicas; API pods up grows. Min threads do not rise:
// every thread is busy computing, so more threads would only add contention (the runtime itself slows
// its injection above 80% CPU for the same reason). Latency rises during the ramp and falls once new
// pods are ready; client-side only failures are judged. The verdict also judges the outcome: each pod serves
// its share once the new pods are up, and the worst pod's delay or k6's p95 comes down after the scale-out.
// setup() first checks the starting state (min replicas, baseline min threads, no recent decision).

import { buildOptions, envNumber, envSeconds, probeApi, scenarioThresholds } from './lib/config.js';
import { rampingRate } from './lib/profiles.js';
import { cpu, expectWorkload } from './lib/requests.js';
import {
  SATURATION_REASONS, STARVATION_REASON, allDecisions, apiPodsMax, apiPodsNow, cpuUtilisationMax, fmt, lengthOf,
  minThreadsDecisions, operatorMinThreadsMax, operatorMinThreadsNow, operatorReplicasMax, operatorReplicasNow,
  fairShareCheck, phase, reliefChecks, replicaDecisions, requireStartState, runVerdict, scaledOutAt, someReliefCheck,
} from './lib/verdict.js';

const START_RATE = envNumber('START_RATE', 10);
const RATE = envNumber('RATE', 300);
const ITERATIONS = envNumber('ITERATIONS', 4000000);
const RAMP = envSeconds('RAMP', '3m');
const HOLD = envSeconds('HOLD', '3m');
const MAX_VUS = envNumber('MAX_VUS', 300);
// What one CPU request is expected to take on a pod that is not saturated (sizes the VUs; bounds a healthy p95).
const CPU_LATENCY_SECONDS = (ITERATIONS / 1e6) * 0.0025 * 4;
const SATURATED = envNumber('SATURATED_CPU', 0.8);

export const options = buildOptions(
  {
    ramp: rampingRate({
      exec: 'work', startRate: START_RATE, rate: RATE, rampSeconds: RAMP, holdSeconds: HOLD,
      expectedLatencySeconds: CPU_LATENCY_SECONDS, maxVUs: MAX_VUS,
    }),
  },
  // Saturation shows as latency and dropped iterations, which are expected here; errors are not.
  scenarioThresholds('ramp', { maxFailedRate: 0.05, minChecksRate: 0.95 }),
);

export function setup() {
  requireStartState();
  return probeApi();
}

export function work() {
  expectWorkload(cpu('sync', ITERATIONS), 'cpu', 'sync');
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  const all = phase(data, 0, RAMP + HOLD);
  const d = lengthOf(all);
  /** @type {Array<boolean | null>} */
  const relieved = [];
  const scaledAt = (/** @type {import('./lib/verdict.js').Query} */ q) => {
    const out = scaledOutAt(q, all);
    return out ? out.at : null;
  };

  runVerdict('cpu-scaleout', data, [
    {
      check: 'CPU saturation reached (peak utilisation)',
      expected: `>= ${SATURATED * 100}% of the pods' CPU limits`,
      evaluate: (q) => {
        const peak = q.required(cpuUtilisationMax(d), all.to, 'no CPU time or CPU limit series');
        return { observed: `${Math.round(peak * 100)}%`, pass: peak >= SATURATED };
      },
    },
    {
      check: 'replicas grew (operator)',
      expected: 'max > value at start',
      evaluate: (q) => {
        const start = q.required(operatorReplicasNow, all.from, 'no platform_operator_current_replicas: is the operator running?');
        const max = q.required(operatorReplicasMax(d), all.to, 'no platform_operator_current_replicas');
        return { observed: `${fmt(start)} -> ${fmt(max)}`, pass: max > start };
      },
    },
    {
      check: 'API pods up grew',
      expected: 'max > value at start',
      evaluate: (q) => {
        const start = q.required(apiPodsNow, all.from, 'no up{job="api"} series');
        const max = q.required(apiPodsMax(d), all.to, 'no up{job="api"} series');
        return { observed: `${fmt(start)} -> ${fmt(max)}`, pass: max > start };
      },
    },
    {
      check: 'desired min threads did not rise',
      expected: 'max <= value at start',
      evaluate: (q) => {
        const start = q.required(operatorMinThreadsNow, all.from, 'no platform_operator_desired_min_threads: is the operator running?');
        const max = q.required(operatorMinThreadsMax(d), all.to, 'no platform_operator_desired_min_threads');
        return { observed: `${fmt(start)} -> ${fmt(max)}`, pass: max <= start };
      },
    },
    {
      check: 'operator decisions by cause',
      expected: `scale_up for ${SATURATION_REASONS} > 0, raise for ${STARVATION_REASON} = 0`,
      evaluate: (q) => {
        q.required(allDecisions, all.to, 'no platform_operator_decisions_total: is the operator running?');
        const scaledUp = q.growth(replicaDecisions('scale_up', SATURATION_REASONS), all);
        const raised = q.growth(minThreadsDecisions('raise', STARVATION_REASON), all);
        return { observed: `scale_up ${fmt(scaledUp)}, raise ${fmt(raised)}`, pass: scaledUp > 0 && raised === 0 };
      },
    },
    fairShareCheck(all),
    ...reliefChecks('scale-out', scaledAt, all, 'ramp', relieved, CPU_LATENCY_SECONDS),
    someReliefCheck(relieved),
  ]);
}
