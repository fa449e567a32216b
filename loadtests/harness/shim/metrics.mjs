// Stand-in for `k6/metrics`: every add() is recorded under the metric's name.
import { state } from './state.mjs';

class Metric {
  constructor(name) {
    this.name = name;
    state.metrics[name] = state.metrics[name] || [];
  }

  add(value) {
    state.metrics[this.name].push(Number(value));
  }
}

export class Counter extends Metric {}
export class Gauge extends Metric {}
export class Rate extends Metric {}
export class Trend extends Metric {}
