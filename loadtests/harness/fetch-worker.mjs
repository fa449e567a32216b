// The worker thread behind shim/http.mjs: performs one fetch per message and hands the result back on the
// shared port, then wakes the main thread, which waits synchronously (k6's HTTP calls are synchronous).
import { parentPort, workerData } from 'node:worker_threads';

const { signal, port } = workerData;

parentPort.on('message', async ({ method, url, body, headers, timeoutMs }) => {
  let out;
  try {
    const res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(timeoutMs) });
    out = { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  } catch (e) {
    out = { status: 0, body: null, error: String((e && e.cause && e.cause.code) || (e && e.message) || e) };
  }
  port.postMessage(out);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
