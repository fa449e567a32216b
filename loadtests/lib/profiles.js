// Arrival-rate presets. Every scenario here is an open model: k6 starts iterations at the configured rate
// whether or not earlier ones have finished. A starved server therefore shows up as rising latency and
// dropped iterations, not as a politely lower request rate (which is what a closed model, constant-vus,
// would report, hiding the very effect the testbed exists to show).

import { duration } from './config.js';

/**
 * VUs needed to sustain `rate` iterations/s when each takes `latencySeconds` (Little's law), with headroom.
 * @param {number} rate
 * @param {number} latencySeconds
 */
export function vusFor(rate, latencySeconds) {
  return Math.max(2, Math.ceil(rate * latencySeconds * 1.5) + 2);
}

/**
 * A constant arrival rate, `rate` iterations per second for `seconds`, starting `startSeconds` after setup.
 * maxVUs caps concurrency: once every VU is waiting on a slow server, further iterations are dropped
 * (counted in dropped_iterations), which is part of the evidence for starvation.
 * @param {{ exec: string, rate: number, seconds: number, startSeconds?: number, expectedLatencySeconds: number,
 *           maxVUs: number, gracefulStopSeconds?: number }} spec
 * @returns {import('k6/options').Scenario}
 */
export function constantRate(spec) {
  const preAllocatedVUs = Math.min(vusFor(spec.rate, spec.expectedLatencySeconds), spec.maxVUs);
  return {
    executor: 'constant-arrival-rate',
    exec: spec.exec,
    rate: spec.rate,
    timeUnit: '1s',
    duration: duration(spec.seconds),
    startTime: duration(spec.startSeconds || 0),
    preAllocatedVUs,
    maxVUs: Math.max(spec.maxVUs, preAllocatedVUs),
    gracefulStop: duration(spec.gracefulStopSeconds === undefined ? 30 : spec.gracefulStopSeconds),
  };
}

/**
 * A rate ramped linearly from `startRate` to `rate` over `rampSeconds`, then held for `holdSeconds`.
 * @param {{ exec: string, startRate: number, rate: number, rampSeconds: number, holdSeconds: number,
 *           startSeconds?: number, expectedLatencySeconds: number, maxVUs: number }} spec
 * @returns {import('k6/options').Scenario}
 */
export function rampingRate(spec) {
  const preAllocatedVUs = Math.min(vusFor(spec.startRate, spec.expectedLatencySeconds) + 10, spec.maxVUs);
  return {
    executor: 'ramping-arrival-rate',
    exec: spec.exec,
    startRate: spec.startRate,
    timeUnit: '1s',
    stages: [
      { target: spec.rate, duration: duration(spec.rampSeconds) },
      { target: spec.rate, duration: duration(spec.holdSeconds) },
    ],
    startTime: duration(spec.startSeconds || 0),
    preAllocatedVUs,
    maxVUs: Math.max(spec.maxVUs, preAllocatedVUs),
    gracefulStop: '30s',
  };
}

/**
 * A single iteration, still through an arrival-rate executor (one iteration started at t=0 of a 1 s
 * scenario; k6 waits up to gracefulStop for it to finish).
 * @param {string} exec
 * @returns {import('k6/options').Scenario}
 */
export function once(exec) {
  return {
    executor: 'constant-arrival-rate',
    exec,
    rate: 1,
    timeUnit: '1s',
    duration: '1s',
    preAllocatedVUs: 1,
    maxVUs: 1,
    gracefulStop: '25s',
  };
}
