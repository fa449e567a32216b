// Every plot of the experiment report and every series on it, defined once: its PromQL, its unit, how its
// legend names each returned series, and whether it is a threshold (drawn dashed). report.mjs queries these
// and page.js draws them; nothing else names a metric.
//
// Selectors mean what they mean in loadtests/lib/verdict.js: `namespace` and `autoscaler` are regexes over
// the platform's `namespace` and `autoscaler` labels (default: all), `testid` picks this run's k6 series.
// The operator's input_* and threshold_* gauges are the values each loop decided on and the spec's limits,
// so a threshold line is what the operator compared against, never a number written here.

/**
 * @typedef {{ id: string, label: (labels: Record<string, string>) => string, promql: string, threshold?: boolean }} SeriesDef
 * @typedef {{ id: string, title: string, unit: 'seconds' | 'ratio' | 'count', what: string, series: SeriesDef[] }} PlotDef
 */

/** A value inside a double-quoted PromQL string (Go escapes: backslash and quote). @param {string} value */
export function quoted(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The name of one pod's series: the pod label in a cluster, else the scrape target. @param {Record<string, string>} l */
const podName = (l) => l.pod || l.instance || 'all pods';

/** @param {Record<string, string>} l */
const autoscalerName = (l) => l.autoscaler || 'all autoscalers';

/**
 * @param {{ testid: string, namespace?: string, autoscaler?: string }} selectors
 * @returns {{ plots: PlotDef[], decisions: string }}
 */
export function reportSeries({ testid, namespace = '.*', autoscaler = '.*' }) {
  const api = `job="api",namespace=~${quoted(namespace)}`;
  const op = `autoscaler=~${quoted(autoscaler)},namespace=~${quoted(namespace)}`;
  const run = `testid=${quoted(testid)}`;
  const perPod = (/** @type {string} */ metric, /** @type {string} */ extra = '') => `max by (pod, instance) (${metric}{${api}${extra}})`;
  const perAutoscaler = (/** @type {string} */ metric) => `max by (autoscaler) (${metric}{${op}})`;

  /** @type {PlotDef[]} */
  const plots = [
    {
      id: 'client-latency',
      title: 'Client-side latency (k6)',
      unit: 'seconds',
      what: 'p50 and p99 of http_req_duration that k6 pushed by remote write, every 5 s, worst route of each scenario. Under starvation this is the true picture: it includes the time a request waited for a thread.',
      series: [
        { id: 'k6-p50', label: (l) => `p50 ${l.scenario || ''}`.trim(), promql: `max by (scenario) (k6_http_req_duration_p50{${run}})` },
        { id: 'k6-p99', label: (l) => `p99 ${l.scenario || ''}`.trim(), promql: `max by (scenario) (k6_http_req_duration_p99{${run}})` },
      ],
    },
    {
      id: 'scheduling-delay',
      title: 'Thread-pool scheduling delay',
      unit: 'seconds',
      what: 'How long a probe work item has waited for a pool thread, per pod; the worst pod\'s value the operator\'s min-threads loop decided on, and the spec\'s threshold.',
      series: [
        { id: 'delay-pod', label: podName, promql: perPod('platform_thread_pool_scheduling_delay_current_seconds') },
        { id: 'delay-input', label: (l) => `operator input (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_input_scheduling_delay_seconds') },
        { id: 'delay-threshold', label: (l) => `threshold (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_threshold_scheduling_delay_seconds'), threshold: true },
      ],
    },
    {
      id: 'queue-length',
      title: 'Thread-pool queue length',
      unit: 'count',
      what: 'Work items waiting for a pool thread, per pod; the worst pod\'s value the min-threads loop decided on, and the spec\'s threshold.',
      series: [
        { id: 'queue-pod', label: podName, promql: perPod('dotnet_thread_pool_queue_length') },
        { id: 'queue-input', label: (l) => `operator input (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_input_queue_length') },
        { id: 'queue-threshold', label: (l) => `threshold (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_threshold_queue_length'), threshold: true },
      ],
    },
    {
      id: 'pool-threads',
      title: 'Pool threads',
      unit: 'count',
      what: 'Thread-pool threads that exist, per pod. Without help the runtime adds about two a second while work queues.',
      series: [
        { id: 'threads-pod', label: podName, promql: perPod('dotnet_thread_pool_thread_count') },
      ],
    },
    {
      id: 'min-threads',
      title: 'Min worker threads: desired vs applied',
      unit: 'count',
      what: 'What the operator wants every ready pod to hold, and what each pod\'s runtime reports it holds.',
      series: [
        { id: 'min-desired', label: (l) => `desired (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_desired_min_threads') },
        { id: 'min-applied', label: (l) => `applied ${podName(l)}`, promql: perPod('platform_thread_pool_min_threads', ',kind="worker"') },
      ],
    },
    {
      id: 'replicas',
      title: 'Replicas',
      unit: 'count',
      what: 'Replicas the target had and the replica loop wanted, and the API pods Prometheus scraped.',
      series: [
        { id: 'replicas-current', label: (l) => `current (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_current_replicas') },
        { id: 'replicas-desired', label: (l) => `desired (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_desired_replicas') },
        { id: 'pods-up', label: () => 'API pods up', promql: `count(up{${api}} == 1)` },
      ],
    },
    {
      id: 'cpu',
      title: 'CPU against its target',
      unit: 'ratio',
      what: 'The average CPU, as a fraction of the pods\' CPU request, that the replica loop decided on, and the spec\'s target.',
      series: [
        { id: 'cpu-input', label: (l) => `operator input (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_input_cpu_utilization_ratio') },
        { id: 'cpu-threshold', label: (l) => `target (${autoscalerName(l)})`, promql: perAutoscaler('platform_operator_threshold_cpu_utilization_ratio'), threshold: true },
      ],
    },
  ];

  // One counter per label set; a marker wherever one grew with an action other than none.
  const decisions = `sum by (autoscaler, loop, regime, replica_action, min_threads_action, reason) (platform_operator_decisions_total{${op}})`;
  return { plots, decisions };
}
