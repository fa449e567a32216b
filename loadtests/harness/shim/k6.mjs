// Stand-in for the `k6` module: check, sleep, fail, group.
import { state } from './state.mjs';

export function check(value, sets) {
  let all = true;
  for (const name of Object.keys(sets)) {
    let ok;
    try {
      ok = Boolean(sets[name](value));
    } catch (e) {
      ok = false;
    }
    state.checks.push({ name, ok, scenario: state.scenario });
    all = all && ok;
  }
  return all;
}

export function sleep(seconds) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, seconds * 1000));
}

export function fail(message) {
  throw new Error(message);
}

export function group(name, fn) {
  return fn();
}
