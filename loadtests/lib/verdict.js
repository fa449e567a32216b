// The server-side verdict: after the load, teardown() asks Prometheus what the platform did during the
// test's time windows (scheduling delay, min threads, replicas, the operator's decisions) and compares it
// with what the experiment expects. The table it prints reads
//   check | expected | observed | result
// with result PASS, FAIL, INFO (shown, not judged) or UNKNOWN (no data, or Prometheus unreachable), then
// the same verdict as one line `VERDICT-JSON {...}`, which the experiment report (loadtests/report) reads
// back from k6's log.
//
// How a verdict fails the run: each FAIL adds 1 to the custom counter `verdict_failures`, whose threshold
// `count==0` every script carries (buildOptions). k6 evaluates thresholds after teardown() has run and its
// samples are flushed, so `k6 run` then exits with 99 like any other breached threshold.
// UNKNOWN does not fail the run unless VERDICT_STRICT=true: the client-side thresholds still stand on their own
// when Prometheus is not there (e.g. a laptop run without it).
//
// Every metric name used below is in docs/metrics-contract.md (the LoadTests tests check this), or a k6_*
// series written by `-o experimental-prometheus-rw`, or `up`.

import http from 'k6/http';
import { sleep } from 'k6';
import exec from 'k6/execution';
import { PROMETHEUS_URL, envNumber, requestParams, testId, verdictFailures } from './config.js';

/** @typedef {{ observed: string, pass: boolean | null }} Observation  pass null = INFO */
/** @typedef {{ check: string, expected: string, evaluate: (q: Query) => Observation }} Check */
/** @typedef {{ check: string, expected: string, observed: string, result: 'PASS' | 'FAIL' | 'INFO' | 'UNKNOWN' }} Row */
/** @typedef {{ from: number, to: number }} Window  unix seconds */

/**
 * The error to throw when a check has no data to judge: it becomes UNKNOWN rather than FAIL. A named Error
 * rather than a subclass, because `instanceof` on subclassed Errors depends on the JavaScript engine.
 * @param {string} message
 */
export function noData(message) {
  const error = new Error(message);
  error.name = 'NoData';
  return error;
}

/**
 * Label matchers narrowing the platform's series to one install: NAMESPACE and AUTOSCALER (regexes, anchored
 * by PromQL). AUTOSCALER is the operator's `autoscaler` label as it is: `<namespace>/<name>` in the cluster
 * (the chart's Job passes it), `local` for the operator in local mode.
 */
export const NS = __ENV.NAMESPACE || '.*';
export const AUTOSCALER = __ENV.AUTOSCALER || '.*';

/** Window of rolling rates in the recovery analysis: at least two scrape intervals. */
export const RATE_WINDOW = envNumber('VERDICT_RATE_WINDOW_SECONDS', 30);

// ---- Prometheus HTTP API ----------------------------------------------------------------------------

/**
 * @param {string} path
 * @param {Record<string, string>} params
 * @returns {any} the `data` member of a successful answer
 */
function promGet(path, params) {
  const query = Object.keys(params).map((k) => `${k}=${encodeURIComponent(params[k])}`).join('&');
  const res = http.get(`${PROMETHEUS_URL}${path}?${query}`, requestParams('verdict', 'none', `prometheus ${path}`, { timeout: '15s' }));
  if (res.status !== 200) {
    const detail = res.status === 0 ? String(res.error) : `${res.status} ${String(res.body).slice(0, 200)}`;
    throw new Error(`Prometheus ${path}: ${detail}`);
  }
  const body = /** @type {any} */ (res.json());
  if (!body || body.status !== 'success') throw new Error(`Prometheus ${path}: ${String(res.body).slice(0, 200)}`);
  return body.data;
}

/** @param {string} value */
function sampleValue(value) {
  const n = Number(value);
  return isNaN(n) ? null : n;
}

/** Queries Prometheus; every method returns numbers or null (no data / NaN). */
export class Query {
  /**
   * @param {Window} test the whole test's window
   * @param {string} testid
   */
  constructor(test, testid) {
    this.test = test;
    this.testid = testid;
  }

  /**
   * The value of a one-series expression at time `at` (instant query), null when the result is empty.
   * @param {string} expr
   * @param {number} at unix seconds
   * @returns {number | null}
   */
  value(expr, at) {
    const data = promGet('/api/v1/query', { query: expr, time: at.toFixed(3) });
    if (data.resultType === 'scalar') return sampleValue(data.result[1]);
    if (data.result.length === 0) return null;
    if (data.result.length > 1) throw new Error(`expected one series, got ${data.result.length}: ${expr}`);
    return sampleValue(data.result[0].value[1]);
  }

  /**
   * Every series of an expression at time `at`: its labels and value.
   * @param {string} expr
   * @param {number} at unix seconds
   * @returns {Array<{ labels: Record<string, string>, value: number | null }>}
   */
  vector(expr, at) {
    const data = promGet('/api/v1/query', { query: expr, time: at.toFixed(3) });
    return data.result.map((/** @type {{ metric: Record<string, string>, value: [number, string] }} */ r) => ({ labels: r.metric, value: sampleValue(r.value[1]) }));
  }

  /**
   * Like value(), but no data is an error: the check becomes UNKNOWN with `why` as the reason.
   * @param {string} expr
   * @param {number} at
   * @param {string} why
   */
  required(expr, at, why) {
    const v = this.value(expr, at);
    if (v === null) throw noData(why);
    return v;
  }

  /**
   * Points [unix seconds, value] of a one-series expression over a window (range query).
   * @param {string} expr
   * @param {Window} window
   * @param {number} step seconds
   * @returns {Array<[number, number | null]>}
   */
  range(expr, window, step) {
    const data = promGet('/api/v1/query_range', {
      query: expr, start: window.from.toFixed(3), end: window.to.toFixed(3), step: String(step),
    });
    if (data.result.length === 0) return [];
    if (data.result.length > 1) throw new Error(`expected one series, got ${data.result.length}: ${expr}`);
    return data.result[0].values.map((/** @type {[number, string]} */ p) => [p[0], sampleValue(p[1])]);
  }

  /**
   * How much a counter expression (a sum of counters) grew over a window: its value at the end minus at the
   * start. Unlike increase(), this counts series born inside the window (their first sample is not lost),
   * which matters for decisions_total label sets that appear with the first such decision.
   * @param {string} expr
   * @param {Window} window
   */
  growth(expr, window) {
    const end = this.value(expr, window.to);
    const start = this.value(expr, window.from);
    return (end === null ? 0 : end) - (start === null ? 0 : start);
  }
}

// ---- PromQL shared by the scripts ------------------------------------------------------------------
// Every PromQL expression is one template literal tagged `promql`, so the LoadTests tests can find each
// expression, check its metric names against docs/metrics-contract.md and have a real Prometheus parse it.
// Interpolations are only numbers and label values, never names.

/**
 * Tag for PromQL template literals: builds the string as an untagged template would.
 * @param {TemplateStringsArray} strings
 * @param {...(string | number)} values
 * @returns {string}
 */
export function promql(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += String(values[i]) + strings[i + 1];
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * Mean thread-pool scheduling delay (seconds) across the API's pods over `seconds` before the query time.
 * @param {number} seconds
 */
export function schedulingDelayMean(seconds) {
  return promql`
    sum(increase(platform_thread_pool_scheduling_delay_seconds_sum{job="api",namespace=~"${NS}"}[${seconds}s]))
    / sum(increase(platform_thread_pool_scheduling_delay_seconds_count{job="api",namespace=~"${NS}"}[${seconds}s]))`;
}

/** Rolling mean scheduling delay (seconds) across the API's pods, for range queries (window RATE_WINDOW). */
export const schedulingDelayRolling = promql`
  sum(rate(platform_thread_pool_scheduling_delay_seconds_sum{job="api",namespace=~"${NS}"}[${RATE_WINDOW}s]))
  / sum(rate(platform_thread_pool_scheduling_delay_seconds_count{job="api",namespace=~"${NS}"}[${RATE_WINDOW}s]))`;

/**
 * Rolling mean scheduling delay (seconds) of the worst API pod, for range queries (window RATE_WINDOW). The
 * relief rows use it: idle new pods would pull a mean over all pods down while the loaded one stays starved.
 */
export const schedulingDelayWorstRolling = promql`
  max(
    sum by (pod, instance) (rate(platform_thread_pool_scheduling_delay_seconds_sum{job="api",namespace=~"${NS}"}[${RATE_WINDOW}s]))
    / sum by (pod, instance) (rate(platform_thread_pool_scheduling_delay_seconds_count{job="api",namespace=~"${NS}"}[${RATE_WINDOW}s])))`;

/** Largest thread-pool queue seen in any API pod over `seconds`. @param {number} seconds */
export function queueLengthMax(seconds) {
  return promql`max(max_over_time(dotnet_thread_pool_queue_length{job="api",namespace=~"${NS}"}[${seconds}s]))`;
}

/** Min worker threads of the API pods (highest pod): what the runtime holds, not what was asked. */
export const podMinThreads = promql`max(platform_thread_pool_min_threads{job="api",kind="worker",namespace=~"${NS}"})`;

/** Highest min worker threads any API pod held over `seconds`. @param {number} seconds */
export function podMinThreadsMax(seconds) {
  return promql`max(max_over_time(platform_thread_pool_min_threads{job="api",kind="worker",namespace=~"${NS}"}[${seconds}s]))`;
}

/** The operator's replica count and wanted min threads at the query time. */
export const operatorReplicasNow = promql`max(platform_operator_current_replicas{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"})`;
export const operatorMinThreadsNow = promql`max(platform_operator_desired_min_threads{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"})`;

/** @param {number} seconds */
export function operatorReplicasMax(seconds) {
  return promql`max(max_over_time(platform_operator_current_replicas{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"}[${seconds}s]))`;
}

/** @param {number} seconds */
export function operatorReplicasMin(seconds) {
  return promql`min(min_over_time(platform_operator_current_replicas{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"}[${seconds}s]))`;
}

/** @param {number} seconds */
export function operatorMinThreadsMax(seconds) {
  return promql`max(max_over_time(platform_operator_desired_min_threads{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"}[${seconds}s]))`;
}

/** API pods up at the query time: the scrape targets of job "api" that answered. */
export const apiPodsNow = promql`count(up{job="api",namespace=~"${NS}"} == 1)`;

/** Most API pods up at once over `seconds` (a subquery sampled every 15 s). @param {number} seconds */
export function apiPodsMax(seconds) {
  return promql`max_over_time(count(up{job="api",namespace=~"${NS}"} == 1)[${seconds}s:15s])`;
}

/** Fewest API pods up at once over `seconds`. @param {number} seconds */
export function apiPodsMin(seconds) {
  return promql`min_over_time(count(up{job="api",namespace=~"${NS}"} == 1)[${seconds}s:15s])`;
}

/**
 * Peak CPU utilisation of the API over `seconds`: all pods' CPU time rate over all pods' CPU limits,
 * sampled every 15 s.
 * @param {number} seconds
 */
export function cpuUtilisationMax(seconds) {
  return promql`
    max_over_time((
      sum(rate(dotnet_process_cpu_time_seconds_total{job="api",namespace=~"${NS}"}[${RATE_WINDOW}s]))
      / sum(platform_process_cpu_limit{job="api",namespace=~"${NS}"})
    )[${seconds}s:15s])`;
}

/** Every decision the operator has counted; no data means no operator is exporting to this Prometheus. */
export const allDecisions = promql`sum(platform_operator_decisions_total{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}"})`;

/**
 * Operator decisions so far (a counter sum) with a min-threads action and a reason regex.
 * @param {'raise' | 'lower' | 'none'} action
 * @param {string} reason regex over the CamelCase reason
 */
export function minThreadsDecisions(action, reason) {
  return promql`
    sum(platform_operator_decisions_total{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}",
      min_threads_action="${action}",reason=~"${reason}"})`;
}

/**
 * Operator decisions so far with a replica action and a reason regex.
 * @param {'scale_up' | 'scale_down' | 'none'} action
 * @param {string} reason regex over the CamelCase reason
 */
export function replicaDecisions(action, reason) {
  return promql`
    sum(platform_operator_decisions_total{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}",
      replica_action="${action}",reason=~"${reason}"})`;
}

/** The operator's reasons (operator/Platform.Operator/Decisions/DecisionTypes.cs). */
export const STARVATION_REASON = 'ThreadPoolStarvation';
export const SATURATION_REASONS = 'CpuSaturation|ScaleUpLimited';

/**
 * Server-side quantile of one workload mode's request duration over `seconds`.
 * @param {number} quantile
 * @param {string} workload
 * @param {string} mode
 * @param {number} seconds
 */
export function serverDurationQuantile(quantile, workload, mode, seconds) {
  return promql`
    histogram_quantile(${quantile}, sum by (le) (increase(
      http_server_request_duration_seconds_bucket{job="api",namespace=~"${NS}",workload="${workload}",mode="${mode}"}[${seconds}s])))`;
}

/**
 * Outbound calls the API made to its dependency over `seconds` (io/http and fanout).
 * @param {number} seconds
 */
export function downstreamCalls(seconds) {
  return promql`sum(increase(http_client_request_duration_seconds_count{job="api",namespace=~"${NS}"}[${seconds}s]))`;
}

/**
 * The highest p95 (seconds) k6 itself pushed for one scenario of this run over `seconds`.
 * @param {string} testid
 * @param {string} scenario
 * @param {number} seconds
 */
export function clientP95Max(testid, scenario, seconds) {
  return promql`max(max_over_time(k6_http_req_duration_p95{testid="${testid}",scenario="${scenario}"}[${seconds}s]))`;
}

/** Requests k6 reported for this run (remote write). @param {string} testid @param {number} seconds */
export function clientRequests(testid, seconds) {
  return promql`sum(max_over_time(k6_http_reqs_total{testid="${testid}"}[${seconds}s]))`;
}

/**
 * Workload requests each API pod served over `seconds` (health probes carry no workload label). Grouped by
 * pod and instance: the cluster's scrape adds `pod`, a local static target has only `instance`.
 * @param {number} seconds
 */
export function podWorkloadRequests(seconds) {
  return promql`
    sum by (pod, instance) (increase(http_server_request_duration_seconds_count{job="api",namespace=~"${NS}",workload=~".+"}[${seconds}s]))`;
}

/**
 * The p95 k6 pushed for one scenario of this run (highest series), for range queries.
 * @param {string} testid
 * @param {string} scenario
 */
export function clientP95(testid, scenario) {
  return promql`max(k6_http_req_duration_p95{testid="${testid}",scenario="${scenario}"})`;
}

/**
 * Operator decisions that acted (a replica or min-threads action other than none) so far.
 */
export const actingDecisions = promql`
  sum(platform_operator_decisions_total{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}",replica_action!="none"}
    or platform_operator_decisions_total{autoscaler=~"${AUTOSCALER}",namespace=~"${NS}",min_threads_action!="none"})`;

// ---- outcomes: did a fix take load and relieve it? ------------------------------------------------

/** Seconds after a fix before its effect is judged: new threads are injected and new pods take connections. */
export const RELIEF_LAG = envNumber('RELIEF_LAG_SECONDS', 10);
/** Length of the window after the lag over which the relieved mean is taken. */
export const RELIEF_WINDOW = envNumber('RELIEF_WINDOW_SECONDS', 30);
/** Relief: the mean after the fix is at most this fraction of the worst rolling value before it. */
export const RELIEF_RATIO = envNumber('RELIEF_RATIO', 0.8);
/** A scheduling delay at or under this (seconds) needs no relief: a fix that came before it rose kept it there. */
export const HEALTHY_DELAY = envNumber('HEALTHY_DELAY_MS', 20) / 1000;
/** A client p95 at or under this multiple of the scenario's expected latency needs no relief either. */
export const HEALTHY_LATENCY_FACTOR = envNumber('HEALTHY_LATENCY_FACTOR', 1.5);
/** Fair share: after a scale-out every pod serves at least this fraction of 1/N of the requests. */
export const FAIR_SHARE = envNumber('FAIR_SHARE', 0.5);
/** The shortest window the fair share is judged over, seconds after the last new pod was up. */
export const SHARE_MIN_SECONDS = envNumber('SHARE_MIN_SECONDS', 20);

/**
 * When the pods' min worker threads first rose inside `load` above their value at its start.
 * @param {Query} q
 * @param {Window} load
 * @returns {{ at: number, from: number, to: number } | null} null: they never rose
 */
export function minThreadsRaisedAt(q, load) {
  const threads = q.range(podMinThreads, load, 1);
  const start = firstPoint(threads, load.from, () => true);
  if (!start) throw noData('no platform_thread_pool_min_threads series in the load window');
  const rose = firstPoint(threads, load.from, (v) => v > start[1]);
  return rose ? { at: rose[0], from: start[1], to: rose[1] } : null;
}

/**
 * The scale-out inside `load`: when the first new API pod was up and when the most pods were first up.
 * @param {Query} q
 * @param {Window} load
 * @returns {{ at: number, allUpAt: number, from: number, to: number } | null} null: pods up never grew
 */
export function scaledOutAt(q, load) {
  const pods = q.range(apiPodsNow, load, 5);
  const start = firstPoint(pods, load.from, () => true);
  if (!start) throw noData('no up{job="api"} series in the load window');
  const first = firstPoint(pods, load.from, (v) => v > start[1]);
  if (!first) return null;
  const most = peakPoint(pods, load);
  const allUp = most && firstPoint(pods, load.from, (v) => v >= most[1]);
  return { at: first[0], allUpAt: allUp ? allUp[0] : first[0], from: start[1], to: most ? most[1] : first[1] };
}

/**
 * Whether a series came down after a fix: the worst rolling value from RELIEF_WINDOW before the fix until it
 * took effect (fix + RELIEF_LAG) against the mean over the RELIEF_WINDOW after that. A mean at or under
 * `healthy` passes too: a fast fix lands before the series has risen far, and then there is nothing left to
 * bring down; what counts is that it is healthy after the fix.
 * @param {Array<[number, number | null]>} points
 * @param {Window} load
 * @param {number} fixAt
 * @param {(v: number | null) => string} format
 * @param {string} what what the points are, for the no-data message
 * @param {number} healthy the level that needs no relief
 * @returns {Observation}
 */
export function relief(points, load, fixAt, format, what, healthy) {
  const effect = fixAt + RELIEF_LAG;
  if (effect >= load.to) {
    throw noData(`the fix came ${Math.round(load.to - fixAt)} s before the load ended, less than RELIEF_LAG_SECONDS=${RELIEF_LAG}`);
  }
  // From RELIEF_WINDOW before the fix, not from the load's start: in mixed an earlier fix's relief must not
  // be credited to a later one.
  const before = peakPoint(points, { from: Math.max(load.from, fixAt - RELIEF_WINDOW), to: effect });
  const after = points.filter((p) => p[0] >= effect && p[0] <= Math.min(load.to, effect + RELIEF_WINDOW) && p[1] !== null);
  if (!before || after.length === 0) throw noData(`no ${what} samples ${before ? 'after' : 'before'} the fix`);
  const mean = after.reduce((sum, p) => sum + /** @type {number} */ (p[1]), 0) / after.length;
  const cameDown = mean <= before[1] * RELIEF_RATIO;
  const note = !cameDown && mean <= healthy ? ', healthy' : '';
  return { observed: `${format(before[1])} -> ${format(mean)}${note}`, pass: cameDown || mean <= healthy };
}

/**
 * The two relief rows of one fix (scheduling delay, client p95 of a scenario) and, in `results`, whether each
 * relieved, for the "some fix relieved" row.
 * @param {string} fix e.g. 'min threads raise'
 * @param {(q: Query) => number | null} findFix the fix's time, null when it never happened
 * @param {Window} load
 * @param {string} scenario the k6 scenario whose latency the fix should bring down
 * @param {Array<boolean | null>} results each relief row's pass (null: not judged)
 * @param {number} expectedLatencySeconds what one request of the scenario takes on a healthy pod
 * @returns {Check[]}
 */
export function reliefChecks(fix, findFix, load, scenario, results, expectedLatencySeconds) {
  const expected = (/** @type {number} */ healthy) =>
    `mean over ${RELIEF_WINDOW} s after fix+${RELIEF_LAG} s <= ${RELIEF_RATIO} x worst of the ${RELIEF_WINDOW} s before, or <= ${fmtSeconds(healthy)}`;
  const healthyLatency = HEALTHY_LATENCY_FACTOR * expectedLatencySeconds;
  /**
   * @param {string} check
   * @param {(q: Query) => Array<[number, number | null]>} points
   * @param {(v: number | null) => string} format
   * @param {string} what
   * @param {number} healthy
   * @returns {Check}
   */
  const row = (check, points, format, what, healthy) => {
    const index = results.length;
    results.push(null);
    return {
      check,
      expected: expected(healthy),
      evaluate: (q) => {
        const at = findFix(q);
        if (at === null) {
          results[index] = false;
          return { observed: `no ${fix} happened`, pass: false };
        }
        const o = relief(points(q), load, at, format, what, healthy);
        results[index] = o.pass;
        return { observed: `${o.observed} (${fix} at +${Math.round(at - load.from)} s)`, pass: o.pass };
      },
    };
  };
  return [
    row(`worst pod's scheduling delay came down (or stayed healthy) after the ${fix}`, (q) => q.range(schedulingDelayWorstRolling, load, 5), fmtSeconds, 'scheduling-delay', HEALTHY_DELAY),
    row(`client p95 (${scenario}) came down (or stayed healthy) after the ${fix}`, (q) => q.range(clientP95(q.testid, scenario), load, 5), fmtSeconds,
      `k6 p95 for scenario ${scenario} (is k6 writing to this Prometheus with -o experimental-prometheus-rw?)`, healthyLatency),
  ];
}

/**
 * The row that fails a run in which no fix relieved anything: it reads the relief rows evaluated before it.
 * @param {Array<boolean | null>} results
 * @returns {Check}
 */
export function someReliefCheck(results) {
  return {
    check: 'some fix relieved delay or latency',
    expected: 'at least one relief row PASS',
    evaluate: () => {
      const judged = results.filter((r) => r !== null);
      if (judged.length === 0) throw noData('no relief row could be judged (see their rows)');
      const passed = judged.filter((r) => r === true).length;
      return { observed: `${passed} of ${results.length} relief rows passed`, pass: passed > 0 };
    },
  };
}

/**
 * After a scale-out, each API pod up at the end of the load served at least FAIR_SHARE x 1/N of the workload
 * requests from the moment the most pods were up until the load ended. A pod that served nothing has no
 * series and counts as 0.
 * @param {Window} load
 * @returns {Check}
 */
export function fairShareCheck(load) {
  return {
    check: 'after the scale-out every pod served its share',
    expected: `each pod >= ${Math.round(FAIR_SHARE * 100)}% of 1/N of the requests`,
    evaluate: (q) => {
      const out = scaledOutAt(q, load);
      if (!out) return { observed: 'API pods up never grew: no scale-out', pass: false };
      const window = { from: out.allUpAt, to: load.to };
      if (window.to - window.from < SHARE_MIN_SECONDS) {
        throw noData(`the last new pod was up ${Math.round(window.to - window.from)} s before the load ended, less than SHARE_MIN_SECONDS=${SHARE_MIN_SECONDS}`);
      }
      const pods = q.vector(podWorkloadRequests(lengthOf(window)), window.to);
      const n = Math.max(out.to, pods.length);
      const counts = pods.map((p) => (p.value === null ? 0 : p.value));
      while (counts.length < n) counts.push(0);
      const total = counts.reduce((a, b) => a + b, 0);
      if (total <= 0) throw noData('no http_server_request_duration_seconds_count growth with a workload label after the scale-out');
      const shares = counts.map((c) => c / total).sort((a, b) => b - a);
      const need = FAIR_SHARE / n;
      return {
        observed: `${n} pods: ${shares.map((x) => `${Math.round(x * 1000) / 10}%`).join(', ')} of ${Math.round(total)} over ${lengthOf(window)} s`,
        pass: shares.every((x) => x >= need),
      };
    },
  };
}

// ---- windows and formatting ------------------------------------------------------------------------

/**
 * The window of a phase that started `offsetSeconds` after setup and lasted `seconds`.
 * @param {{ startMs: number }} data setup()'s return value
 * @param {number} offsetSeconds
 * @param {number} seconds
 * @returns {Window}
 */
export function phase(data, offsetSeconds, seconds) {
  const from = data.startMs / 1000 + offsetSeconds;
  return { from, to: from + seconds };
}

/** @param {Window} w */
export function lengthOf(w) {
  return Math.max(1, Math.round(w.to - w.from));
}

/** Seconds as a short human string (ms below one second). @param {number | null} s */
export function fmtSeconds(s) {
  if (s === null) return 'no data';
  return s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`;
}

/** @param {number | null} n */
export function fmt(n) {
  return n === null ? 'no data' : String(Math.round(n * 100) / 100);
}

/**
 * The first point at or after `from` whose value satisfies `test`, or null.
 * @param {Array<[number, number | null]>} points
 * @param {number} from unix seconds
 * @param {(v: number) => boolean} test
 * @returns {[number, number] | null}
 */
export function firstPoint(points, from, test) {
  for (const p of points) {
    const v = p[1];
    if (p[0] >= from && v !== null && test(v)) return [p[0], v];
  }
  return null;
}

/**
 * The point with the highest value inside a window, or null when there is none.
 * @param {Array<[number, number | null]>} points
 * @param {Window} window
 * @returns {[number, number] | null}
 */
export function peakPoint(points, window) {
  /** @type {[number, number] | null} */
  let best = null;
  for (const p of points) {
    const v = p[1];
    if (p[0] >= window.from && p[0] <= window.to && v !== null && (best === null || v > best[1])) best = [p[0], v];
  }
  return best;
}

// ---- the starting state ----------------------------------------------------------------------------
// The operator experiments judge what the operator does from a known start: the autoscaler's fewest
// replicas, min threads at its baseline, and no decision that acted within its scale-down window (inside it
// the operator keeps the highest recent recommendation, so it would rightly do nothing). The chart's Job
// passes the three from the autoscaler's own values; locally they default to the local operator's.

/** Replicas the experiment starts from: the autoscaler's spec.replicas.min. */
export const START_REPLICAS = envNumber('START_REPLICAS', 1);
/** Min worker threads the experiment starts from: the autoscaler's spec.minThreads.baseline. */
export const START_MIN_THREADS = envNumber('START_MIN_THREADS', 1);
/** The autoscaler's scale-down stabilisation window, seconds: no acting decision may lie within it. */
export const SCALE_DOWN_WINDOW = envNumber('SCALE_DOWN_WINDOW_SECONDS', 300);
/** How long setup() waits for the starting state before it stops the run, seconds. */
export const START_WAIT = envNumber('START_STATE_WAIT_SECONDS', 0);

/** What to do when the start is not clean, named in the abort message. */
export const RESET_HINT = 'In the cluster run `infra/loadtest.sh --reset` first; locally restart the API and the operator '
  + '(fresh processes start at one pod and the baseline min threads, with no decision in memory).';

/**
 * What is wrong with the starting state now, empty when it is right. Without Prometheus or without the
 * operator's series nothing can be checked, and nothing is reported (the verdict then says what is missing).
 * @param {number} now unix seconds
 * @returns {string[]}
 */
export function startStateProblems(now) {
  const q = new Query({ from: now - SCALE_DOWN_WINDOW, to: now }, testId());
  /** @type {string[]} */
  const problems = [];
  const replicas = q.value(operatorReplicasNow, now);
  const pods = q.value(apiPodsNow, now);
  if (replicas !== null && replicas !== START_REPLICAS) problems.push(`the operator reports ${fmt(replicas)} replicas, not ${START_REPLICAS} (START_REPLICAS)`);
  if (replicas === null && pods !== null && pods !== START_REPLICAS) problems.push(`${fmt(pods)} API pods are up, not ${START_REPLICAS} (START_REPLICAS)`);
  const threads = q.value(operatorMinThreadsNow, now);
  if (threads !== null && threads > START_MIN_THREADS) problems.push(`the operator wants ${fmt(threads)} min threads, above the baseline ${START_MIN_THREADS} (START_MIN_THREADS)`);
  const acted = q.growth(actingDecisions, { from: now - SCALE_DOWN_WINDOW, to: now });
  if (acted > 0) problems.push(`the operator acted ${fmt(acted)} times in the last ${SCALE_DOWN_WINDOW} s (SCALE_DOWN_WINDOW_SECONDS), so it holds its recent recommendation`);
  return problems;
}

/**
 * setup(): checks the starting state, waits up to START_STATE_WAIT_SECONDS (polling every 5 s) for it, and
 * otherwise stops the run at once with what is wrong and what to do. Prometheus unreachable: no check.
 * @returns {string[]} the problems when the run goes on anyway (never: it aborts), empty when the start is clean
 */
export function requireStartState() {
  if (__ENV.START_STATE_CHECK === 'false') return [];
  if (!prometheusReachable()) {
    console.warn(`starting state not checked: Prometheus unreachable at ${PROMETHEUS_URL}`);
    return [];
  }
  const deadline = Date.now() / 1000 + START_WAIT;
  let problems = startStateProblems(Date.now() / 1000);
  while (problems.length > 0 && Date.now() / 1000 + 5 <= deadline) {
    console.log(`waiting for the starting state: ${problems.join('; ')}`);
    sleep(5);
    problems = startStateProblems(Date.now() / 1000);
  }
  if (problems.length > 0) {
    exec.test.abort(`not at the starting state: ${problems.join('; ')}. ${RESET_HINT} `
      + '(START_STATE_WAIT_SECONDS=N waits up to N s for it; START_STATE_CHECK=false skips the check.)');
  }
  return problems;
}

// ---- running and printing --------------------------------------------------------------------------

/** Starts the one log line that carries the verdict as JSON: title, overall, prometheus, testid, rows. */
export const VERDICT_JSON_PREFIX = 'VERDICT-JSON ';

/** @param {Row[]} rows */
function printTable(rows) {
  const header = { check: 'check', expected: 'expected', observed: 'observed', result: 'result' };
  const all = [header].concat(rows);
  const width = (/** @type {'check' | 'expected' | 'observed'} */ key) => Math.max(...all.map((r) => r[key].length));
  const w = { check: width('check'), expected: width('expected'), observed: width('observed') };
  /** @param {{ check: string, expected: string, observed: string, result: string }} r */
  const line = (r) => `${r.check.padEnd(w.check)} | ${r.expected.padEnd(w.expected)} | ${r.observed.padEnd(w.observed)} | ${r.result}`;
  // One console.log per line: k6 prints each log call as one record.
  console.log(line(header));
  console.log(`${'-'.repeat(w.check)}-+-${'-'.repeat(w.expected)}-+-${'-'.repeat(w.observed)}-+-------`);
  for (const r of rows) console.log(line(r));
}

function prometheusReachable() {
  const res = http.get(`${PROMETHEUS_URL}/-/ready`, requestParams('verdict', 'none', 'prometheus /-/ready', { timeout: '5s' }));
  return res.status === 200;
}

/**
 * Runs the checks against Prometheus and prints the verdict. Call it from teardown(data).
 * @param {string} title
 * @param {{ startMs: number }} data setup()'s return value
 * @param {Check[]} checks
 * @param {{ settleSeconds?: number }} [options] settleSeconds: wait before querying (default
 *   VERDICT_SETTLE_SECONDS or 20) so Prometheus has scraped the test's last seconds and k6 has pushed its
 *   last remote-write batch (every 5 s by default).
 * @returns {'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'UNKNOWN'} UNKNOWN: Prometheus unreachable
 */
export function runVerdict(title, data, checks, options) {
  const strict = __ENV.VERDICT_STRICT === 'true';
  const settle = options && options.settleSeconds !== undefined ? options.settleSeconds : envNumber('VERDICT_SETTLE_SECONDS', 20);
  /** @type {Row[]} */
  let rows;
  const reachable = prometheusReachable();
  if (!reachable) {
    rows = checks.map((c) => ({ check: c.check, expected: c.expected, observed: `Prometheus unreachable at ${PROMETHEUS_URL}`, result: /** @type {const} */ ('UNKNOWN') }));
  } else {
    if (settle > 0) sleep(settle);
    const q = new Query({ from: data.startMs / 1000, to: Date.now() / 1000 - settle }, testId());
    rows = checks.map((c) => {
      try {
        const o = c.evaluate(q);
        return { check: c.check, expected: c.expected, observed: o.observed, result: o.pass === null ? 'INFO' : o.pass ? 'PASS' : 'FAIL' };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return { check: c.check, expected: c.expected, observed: `${e instanceof Error && e.name === 'NoData' ? 'no data: ' : 'error: '}${message}`, result: 'UNKNOWN' };
      }
    });
  }
  const failed = rows.filter((r) => r.result === 'FAIL' || (strict && r.result === 'UNKNOWN')).length;
  const unknown = rows.filter((r) => r.result === 'UNKNOWN').length;
  const overall = !reachable ? (strict ? 'FAIL' : 'UNKNOWN') : failed > 0 ? 'FAIL' : unknown > 0 ? 'INCONCLUSIVE' : 'PASS';
  console.log(`server-side verdict: ${title} (Prometheus ${PROMETHEUS_URL})`);
  printTable(rows);
  const note = !reachable ? ' (Prometheus unreachable; the client-side thresholds decide alone)'
    : unknown > 0 && !strict ? ' (UNKNOWN rows do not fail the run; VERDICT_STRICT=true makes them)' : '';
  console.log(`server-side verdict: ${overall}${note}`);
  // The same verdict as one machine-readable line, for the experiment report (loadtests/report), which
  // reads it back from k6's log.
  console.log(`${VERDICT_JSON_PREFIX}${JSON.stringify({ title, overall, prometheus: PROMETHEUS_URL, testid: testId(), rows })}`);
  // Always one sample, so the threshold `verdict_failures count==0` has data to judge.
  verdictFailures.add(failed);
  return overall;
}
