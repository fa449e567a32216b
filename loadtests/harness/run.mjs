// A stand-in for k6 to exercise the scripts where k6 is not installed (CI). It is NOT k6: no executors, no
// arrival rates, no thresholds, and node's JavaScript engine instead of k6's. It imports a script with the
// k6 modules replaced by ./shim, then runs one of:
//   node harness/run.mjs SCRIPT options              the script's exported options and functions
//   node harness/run.mjs SCRIPT iterate [SCENARIO..] setup(), then one iteration of each scenario's function
//   node harness/run.mjs SCRIPT teardown             teardown(JSON of HARNESS_DATA) - the server-side verdict
// and prints one line "HARNESS-RESULT {json}" with what it recorded (checks, requests and their tags,
// custom metric samples). Exit code: 0, 1 on an exception, 108 when the script called exec.test.abort().
// The LoadTests tests (tests/Platform.Observability.Tests/LoadTests) drive it against a real API and Prometheus.
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbortTest, state } from './shim/state.mjs';

register('./hooks.mjs', import.meta.url);

// k6 exposes the process environment (and -e values) as __ENV.
globalThis.__ENV = { ...process.env };
globalThis.__VU = 1;
globalThis.__ITER = 0;

const [script, mode, ...names] = process.argv.slice(2);
const result = { mode };
let exitCode = 0;
try {
  const mod = await import(pathToFileURL(resolve(script)).href);
  state.options = mod.options;
  result.options = mod.options;
  result.exports = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
  if (mode === 'iterate') {
    const data = mod.setup ? mod.setup() : undefined;
    result.setupData = data;
    for (const name of names.length > 0 ? names : Object.keys(mod.options.scenarios)) {
      state.scenario = name;
      mod[mod.options.scenarios[name].exec || 'default'](data);
      state.scenario = null;
    }
  } else if (mode === 'teardown') {
    mod.teardown(JSON.parse(process.env.HARNESS_DATA || '{}'));
  } else if (mode !== 'options') {
    throw new Error(`unknown mode '${mode}': options, iterate or teardown`);
  }
} catch (e) {
  if (e instanceof AbortTest) {
    result.aborted = e.message;
    exitCode = 108;
  } else {
    result.error = String((e && e.stack) || e);
    exitCode = 1;
  }
}
result.checks = state.checks;
result.requests = state.requests;
result.metrics = state.metrics;
console.log(`HARNESS-RESULT ${JSON.stringify(result)}`);
process.exitCode = exitCode;
