// One helper per API route, so that every request is tagged the same way (see requestParams) and every
// route and mode a script can name is one the API serves. The table below mirrors README.md "The API";
// the LoadTests tests hold the two together and check each route against a running API.

import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, requestParams } from './config.js';

/** Workloads with modes: route template, the `workload` metric label, and the modes the API maps. */
export const WORKLOADS = /** @type {const} */ ({
  ioDelay: { route: '/io/delay/{mode}', workload: 'io-delay', modes: ['async', 'sync', 'sync-over-async', 'task-run'] },
  ioHttp: { route: '/io/http/{mode}', workload: 'io-http', modes: ['async', 'sync', 'sync-over-async', 'task-run'] },
  db: { route: '/db/{mode}', workload: 'db', modes: ['async', 'sync', 'sync-over-async', 'task-run'] },
  dbBlob: { route: '/db/blob/{mode}', workload: 'db-blob', modes: ['async', 'sync', 'sync-over-async', 'task-run'] },
  cpu: { route: '/cpu/{mode}', workload: 'cpu', modes: ['sync', 'task-run'] },
  fanout: { route: '/fanout/{mode}', workload: 'fanout', modes: ['sequential', 'when-all'] },
});

/** Routes without modes. */
export const ROUTES = /** @type {const} */ ({
  orders: '/orders',
  ordersCount: '/orders/count',
  order: '/orders/{id}',
  downstream: '/downstream/delay',
  ready: '/healthz/ready',
  live: '/healthz/live',
  metrics: '/metrics',
});

/** @typedef {(typeof WORKLOADS)['ioDelay']['modes'][number]} IoMode */
/** @typedef {(typeof WORKLOADS)['cpu']['modes'][number]} CpuMode */
/** @typedef {(typeof WORKLOADS)['fanout']['modes'][number]} FanoutMode */
/** @typedef {keyof typeof WORKLOADS} WorkloadKey */
/** @typedef {import('k6/http').RefinedResponse<'text'>} Response */

/** @param {Record<string, string | number>} params */
function queryString(params) {
  return Object.keys(params).map((key) => `${key}=${encodeURIComponent(String(params[key]))}`).join('&');
}

/**
 * GET one mode of a workload. The `name` tag is the concrete path (e.g. /io/delay/sync): every mode is a
 * literal route in the API, so this equals the server's http_route label and stays bounded.
 * @param {WorkloadKey} key
 * @param {string} mode
 * @param {Record<string, string | number>} query
 * @param {import('k6/http').Params} [extra]
 * @returns {Response}
 */
function getMode(key, mode, query, extra) {
  const spec = WORKLOADS[key];
  if (!(/** @type {readonly string[]} */ (spec.modes)).includes(mode)) {
    throw new Error(`${spec.route} has no mode '${mode}'; valid: ${spec.modes.join(', ')}`);
  }
  const path = spec.route.replace('{mode}', mode);
  return http.get(`${BASE_URL}${path}?${queryString(query)}`, requestParams(spec.workload, mode, path, extra));
}

/** @param {IoMode} mode @param {number} ms @param {import('k6/http').Params} [extra] */
export function ioDelay(mode, ms, extra) {
  return getMode('ioDelay', mode, { ms }, extra);
}

/** @param {IoMode} mode @param {number} ms @param {import('k6/http').Params} [extra] */
export function ioHttp(mode, ms, extra) {
  return getMode('ioHttp', mode, { ms }, extra);
}

/** @param {IoMode} mode @param {number} ms server-side wait @param {number} rows @param {import('k6/http').Params} [extra] */
export function db(mode, ms, rows, extra) {
  return getMode('db', mode, { ms, rows }, extra);
}

/** @param {IoMode} mode @param {number} kb size of the large value read, 1..4096 KiB @param {import('k6/http').Params} [extra] */
export function dbBlob(mode, kb, extra) {
  return getMode('dbBlob', mode, { kb }, extra);
}

/** @param {CpuMode} mode @param {number} iterations 1,000,000 is about 2.5 ms of one core @param {import('k6/http').Params} [extra] */
export function cpu(mode, iterations, extra) {
  return getMode('cpu', mode, { iterations }, extra);
}

/** @param {FanoutMode} mode @param {number} calls @param {number} ms per call @param {import('k6/http').Params} [extra] */
export function fanout(mode, calls, ms, extra) {
  return getMode('fanout', mode, { calls, ms }, extra);
}

/**
 * POST /orders. Pass an id to make a retry safe: the same order again answers 200 instead of 201.
 * @param {{ id?: string, item: string, quantity: number }} order
 * @returns {Response}
 */
export function createOrder(order) {
  return http.post(`${BASE_URL}${ROUTES.orders}`, JSON.stringify(order),
    requestParams('orders', 'async', ROUTES.orders, { headers: { 'Content-Type': 'application/json' } }));
}

/** @param {string} id @returns {Response} */
export function getOrder(id) {
  return http.get(`${BASE_URL}/orders/${encodeURIComponent(id)}`, requestParams('orders', 'async', ROUTES.order));
}

/** @returns {Response} */
export function orderCount() {
  return http.get(`${BASE_URL}${ROUTES.ordersCount}`, requestParams('orders', 'async', ROUTES.ordersCount));
}

/** @param {number} ms @returns {Response} */
export function downstreamDelay(ms) {
  return http.get(`${BASE_URL}${ROUTES.downstream}?ms=${ms}`, requestParams('downstream', 'async', ROUTES.downstream));
}

/** @param {'ready' | 'live'} which @returns {Response} */
export function health(which) {
  const route = ROUTES[which];
  return http.get(`${BASE_URL}${route}`, requestParams('health', 'none', route));
}

/** @returns {Response} */
export function metrics() {
  return http.get(`${BASE_URL}${ROUTES.metrics}`, requestParams('metrics', 'none', ROUTES.metrics));
}

/**
 * A field of a JSON response body, or undefined when the body is not JSON (e.g. a timeout).
 * @param {Response} res
 * @param {string} field
 */
export function jsonField(res, field) {
  try {
    const body = res.json();
    if (body && typeof body === 'object' && !Array.isArray(body)) return /** @type {any} */ (body)[field];
  } catch (e) {
    // not JSON
  }
  return undefined;
}

/**
 * The checks every workload response gets: 200, and a body that names the workload and mode it ran,
 * so a misrouted request cannot pass as a fast one.
 * @param {Response} res
 * @param {string} workload
 * @param {string} mode
 */
export function expectWorkload(res, workload, mode) {
  return check(res, {
    'status is 200': (r) => r.status === 200,
    'body names the workload and mode': (r) => jsonField(r, 'workload') === workload && jsonField(r, 'mode') === mode,
  });
}

/** A random version-4 UUID (k6 has no uuid module without remote imports; this is test data, not a secret). */
export function uuid() {
  const hex = '0123456789abcdef';
  let out = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out += '-';
    else if (i === 14) out += '4';
    else if (i === 19) out += hex[8 + Math.floor(Math.random() * 4)];
    else out += hex[Math.floor(Math.random() * 16)];
  }
  return out;
}
