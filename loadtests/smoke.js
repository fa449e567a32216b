// smoke.js: every API endpoint once, with checks on status and body. What `helm test` runs.
//
// What it does: one iteration (through a constant-arrival-rate scenario of a single iteration) that calls
// the health endpoints, /metrics, every mode of io/delay, io/http, db, db/blob, cpu and fanout with small
// parameters, writes an order and retries it with the same id, reads it back and counts orders, and asks
// for an unknown mode to see the 404 contract.
// Dashboard: Platform / Overview (uid platform-overview) shows the requests arrive, one per route.
// Expect: every check passes and no request fails, in a few seconds (well under 30 s). The thresholds
// (checks rate==1, no failed requests) are the verdict; the optional server-side row only reports whether
// Prometheus scrapes the API, and is UNKNOWN when Prometheus is not reachable (that does not fail).

import { check } from 'k6';
import http from 'k6/http';
import { BASE_URL, buildOptions, probeApi, requestParams } from './lib/config.js';
import { once } from './lib/profiles.js';
import * as api from './lib/requests.js';
import { apiPodsNow, fmt, runVerdict } from './lib/verdict.js';

export const options = buildOptions(
  { smoke: once('smoke') },
  {
    'checks{scenario:smoke}': ['rate==1'],
    'http_req_failed{scenario:smoke}': ['rate==0'],
  },
);

export function setup() {
  return probeApi();
}

export function smoke() {
  check(api.health('ready'), { 'ready is 200': (r) => r.status === 200 });
  check(api.health('live'), { 'live is 200': (r) => r.status === 200 });
  check(api.metrics(), {
    'metrics serve the scheduling delay': (r) => String(r.body).indexOf('platform_thread_pool_scheduling_delay_seconds_count') >= 0,
  });

  for (const mode of api.WORKLOADS.ioDelay.modes) api.expectWorkload(api.ioDelay(mode, 10), 'io-delay', mode);
  for (const mode of api.WORKLOADS.ioHttp.modes) api.expectWorkload(api.ioHttp(mode, 10), 'io-http', mode);
  for (const mode of api.WORKLOADS.db.modes) api.expectWorkload(api.db(mode, 10, 2), 'db', mode);
  for (const mode of api.WORKLOADS.dbBlob.modes) api.expectWorkload(api.dbBlob(mode, 16), 'db-blob', mode);
  for (const mode of api.WORKLOADS.cpu.modes) api.expectWorkload(api.cpu(mode, 100000), 'cpu', mode);
  for (const mode of api.WORKLOADS.fanout.modes) api.expectWorkload(api.fanout(mode, 2, 10), 'fanout', mode);
  check(api.downstreamDelay(1), { 'downstream is 200': (r) => r.status === 200 });

  // A write, its safe retry (same id: 200, not a second order), a read and the count.
  const order = { id: api.uuid(), item: 'smoke-test', quantity: 1 };
  check(api.createOrder(order), { 'order created (201)': (r) => r.status === 201 });
  check(api.createOrder(order), { 'retry of the same order is 200': (r) => r.status === 200 });
  check(api.getOrder(order.id), { 'order reads back': (r) => api.jsonField(r, 'item') === 'smoke-test' });
  check(api.orderCount(), { 'count is at least 1': (r) => Number(api.jsonField(r, 'count')) >= 1 });

  // An unknown mode is a 404 that lists the valid ones; declared expected so it is not a failed request.
  const unknown = http.get(`${BASE_URL}/io/delay/nonsense`, requestParams('io-delay', 'unknown', '/io/delay/{mode}', {
    responseCallback: http.expectedStatuses(404),
  }));
  check(unknown, { 'unknown mode is 404 with the valid modes': (r) => r.status === 404 && String(r.body).indexOf('sync-over-async') >= 0 });
}

/** @param {{ startMs: number }} data */
export function teardown(data) {
  // Optional and quick: no settling wait; a missing Prometheus is UNKNOWN and does not fail the smoke test.
  runVerdict('smoke', data, [{
    check: 'Prometheus scrapes the API',
    expected: 'at least 1 API target up',
    evaluate: (q) => {
      const up = q.required(apiPodsNow, Date.now() / 1000, 'no up{job="api"} series');
      return { observed: `${fmt(up)} up`, pass: up >= 1 };
    },
  }], { settleSeconds: 0 });
}
