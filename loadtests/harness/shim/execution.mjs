// Stand-in for `k6/execution`: like k6, exec.scenario throws outside a scenario (in setup and teardown).
import { AbortTest, state } from './state.mjs';

export default {
  get scenario() {
    if (state.scenario === null) throw new Error('getting scenario information outside of the VU context is not supported');
    return { name: state.scenario, executor: state.options.scenarios[state.scenario].executor, startTime: Date.now(), progress: 0, iterationInInstance: 0, iterationInTest: 0 };
  },
  test: {
    abort(reason) {
      throw new AbortTest(reason || 'test aborted');
    },
    get options() {
      return state.options;
    },
  },
  vu: { idInInstance: 1, idInTest: 1, iterationInInstance: 0, iterationInScenario: 0 },
  instance: { iterationsCompleted: 0, iterationsInterrupted: 0, vusActive: 1, vusInitialized: 1, currentTestRunDuration: 0 },
};
