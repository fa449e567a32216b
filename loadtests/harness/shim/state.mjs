// What the stand-ins record while a script runs; run.mjs prints it as JSON at the end.
export const state = {
  scenario: null, // the running scenario's name; null in setup() and teardown(), as in k6
  options: {},
  checks: [], // { name, ok, scenario }
  requests: [], // { method, url, status, failed, tags, scenario }
  metrics: {}, // name -> values added
};

export class AbortTest extends Error {}
