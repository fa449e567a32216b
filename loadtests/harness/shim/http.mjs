// Stand-in for `k6/http`: synchronous requests, as k6's are. Node has no synchronous HTTP client, so a worker
// thread (../fetch-worker.mjs) fetches while this thread waits on a shared flag, then reads the answer
// synchronously from a message port. Every request is recorded with its tags.
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { state } from './state.mjs';

const signal = new Int32Array(new SharedArrayBuffer(4));
const { port1, port2 } = new MessageChannel();
const worker = new Worker(new URL('../fetch-worker.mjs', import.meta.url), { workerData: { signal, port: port2 }, transferList: [port2] });
worker.unref();
port1.unref();

function fetchSync(request) {
  Atomics.store(signal, 0, 0);
  worker.postMessage(request);
  if (Atomics.wait(signal, 0, 0, request.timeoutMs + 10000) === 'timed-out') return { status: 0, error: 'harness: no answer' };
  return receiveMessageOnPort(port1).message;
}

function milliseconds(timeout) {
  if (typeof timeout === 'number') return timeout;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(timeout || '60s'));
  if (!match) throw new Error(`timeout ${timeout}: not a duration`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60000 }[match[2]];
}

class Response {
  constructor(out) {
    this.status = out.status;
    this.body = out.body;
    this.error = out.error || '';
    this.error_code = out.status === 0 ? 1000 : 0;
    this.headers = out.headers || {};
  }

  json(selector) {
    const value = JSON.parse(this.body);
    if (!selector) return value;
    return selector.split('.').reduce((v, key) => (v == null ? undefined : v[key]), value);
  }
}

function send(method, url, body, params) {
  const p = params || {};
  const timeoutMs = milliseconds(p.timeout);
  const out = fetchSync({ method, url, body: body == null ? null : String(body), headers: p.headers || {}, timeoutMs });
  const expected = p.responseCallback || ((status) => status >= 200 && status < 400);
  state.requests.push({ method, url, status: out.status, failed: !expected(out.status), tags: p.tags || {}, scenario: state.scenario });
  return new Response(out);
}

export function expectedStatuses(...statuses) {
  return (status) => statuses.some((s) => (typeof s === 'number' ? s === status : status >= s.min && status <= s.max));
}

export function get(url, params) {
  return send('GET', String(url), null, params);
}

export function post(url, body, params) {
  return send('POST', String(url), body, params);
}

export function request(method, url, body, params) {
  return send(method, String(url), body, params);
}

export default { get, post, request, expectedStatuses };
