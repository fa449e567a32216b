#!/usr/bin/env bash
# Runs one k6 scenario (loadtests/SCENARIO.js) as a Job in the cluster, follows its log, prints the verdict,
# writes the experiment report and exits with k6's exit code: 0 every threshold held, 99 a threshold failed,
# anything else an error.
# The Job comes from the chart (helm upgrade --reset-then-reuse-values, i.e. the chart's current defaults plus
# the values the release was installed with, and loadtest.enabled, the scenario and a fresh testId), so it uses
# the chart's scripts ConfigMap, URLs and remote write; its samples carry testid=TESTID. Needs helm >= 3.14.
# Each run is its own Job (RELEASE-k6-TESTID), kept by later upgrades until loadtest.ttlSecondsAfterFinished
# after it finished, and its own folder ARTIFACTS/TESTID; a TESTID already used is refused.
#
# Usage: infra/loadtest.sh [--minikube] [--dry-run] [--timeout SECONDS] [--reset] [SCENARIO]
#   SCENARIO         a file loadtests/SCENARIO.js, e.g. smoke, starvation-burst, cpu-scaleout
#   --reset          first bring the install back to the experiments' starting state, and wait for it: the
#                    operator stopped (its memory of recent decisions goes with it), the API at the
#                    autoscaler's spec.replicas.min with fresh pods (min threads at their configured start, the
#                    operator's baseline), then the operator started again. Without SCENARIO it only resets.
#   --minikube       the cluster is a minikube profile
#   --timeout N      give up waiting for the Job after N seconds [3600]
#   --dry-run        print every command instead of running it (the scenario is still checked)
#
# Environment (defaults in brackets): CLUSTER_NAME [platform]  NAMESPACE [platform]  RELEASE [platform]
#   TESTID [SCENARIO-<UTC time>]   the run's k6 testid tag and Job name suffix
#   LOADTEST_ENV []                 "NAME=VALUE ..." passed to the scenario (loadtest.env), e.g. "RATE=50"
#   KUBECTL, HELM                   the tools to run [found on PATH]
#   PROMETHEUS_URL                  the cluster's Prometheus as this machine reaches it, for the report [kind:
#                                   http://127.0.0.1:9090, the NodePort up.sh maps; minikube: a kubectl
#                                   port-forward to svc/RELEASE-prometheus for the report's queries]
#   LOADTEST_ARTIFACTS              where each run's folder goes [artifacts/loadtests of the repository]
#   NODE                            the node that writes the report [node on PATH]
# Output: the Job's log, also saved in ARTIFACTS/TESTID/k6.log, the verdict, then the experiment report
# ARTIFACTS/TESTID/report.html (loadtests/report; needs node and `npm ci` there), whose path is the last line:
# "report: PATH".
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SCENARIO=""
TIMEOUT_SECONDS=3600
RESET=false
# How long --reset waits for each step (the operator gone, the API rolled out, the operator back).
RESET_TIMEOUT_SECONDS=300
LOADTEST_ENV=${LOADTEST_ENV:-}
POLL_SECONDS=2
PORT_FORWARD_PID=""
REPORT_PROMETHEUS_URL=""

parse_args() {
  while [ $# -gt 0 ]; do
    if parse_common_flag "$1"; then
      shift
      continue
    fi
    case "$1" in
      --reset) RESET=true ;;
      --timeout)
        [ $# -ge 2 ] || die "--timeout needs a number of seconds"
        TIMEOUT_SECONDS=$2
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*)
        usage >&2
        die "unknown option: $1"
        ;;
      *)
        [ -z "$SCENARIO" ] || die "one scenario at a time (got '$SCENARIO' and '$1')"
        SCENARIO=$1
        ;;
    esac
    shift
  done
}

# The scenario must be a script of loadtests/; its name becomes part of a Job name.
check_inputs() {
  [[ $TIMEOUT_SECONDS =~ ^[0-9]+$ ]] || die "--timeout '$TIMEOUT_SECONDS' must be a number of seconds"
  if [ -z "$SCENARIO" ] && [ "$RESET" = true ]; then
    return 0
  fi
  if [ -z "$SCENARIO" ]; then
    usage >&2
    die "which scenario? one of: $(list_scenarios)"
  fi
  [[ $SCENARIO =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "scenario '$SCENARIO' must be lower-case letters, digits and '-'"
  [ -f "$REPO_ROOT/loadtests/$SCENARIO.js" ] || die "no scenario '$SCENARIO' (loadtests/$SCENARIO.js); the scenarios are: $(list_scenarios)"
  [ -f "$CHART_DIR/Chart.yaml" ] || die "missing $CHART_DIR/Chart.yaml"
  TESTID=${TESTID:-$SCENARIO-$(date -u +%Y%m%d%H%M%S)}
  if ! [[ $TESTID =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || [ ${#TESTID} -gt 40 ]; then
    die "TESTID '$TESTID' must be at most 40 lower-case letters, digits and '-'"
  fi
}

list_scenarios() {
  local file names=()
  for file in "$REPO_ROOT"/loadtests/*.js; do
    [ -e "$file" ] && names+=("$(basename "$file" .js)")
  done
  printf '%s' "${names[*]:-none}"
}

# Each run keeps its own folder and Job: a TESTID that already has either would overwrite the one or fail on
# the other (a Job's spec is immutable).
check_new_testid() {
  local dir=$1 existing
  if [ -e "$dir" ]; then
    die "TESTID '$TESTID' was used before: $dir exists (its output is kept); choose another TESTID"
  fi
  existing=$(query "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get jobs \
    --selector "platform.dev/testid=$TESTID" --output 'jsonpath={.items[*].metadata.name}' 2>/dev/null) || existing=""
  [ -z "$existing" ] || die "TESTID '$TESTID' was used before: job/$existing exists; choose another TESTID"
}

# A read for --reset: in a dry run the command is printed and PLACEHOLDER stands for its answer.
reset_read() {
  local placeholder=$1
  shift
  if [ "$DRY_RUN" = true ]; then
    print_command "$@" >&3
    printf '%s' "$placeholder"
    return
  fi
  "$@"
}

# The experiments' starting state, and waits for it. The operator is stopped first, so that neither its
# stabilisation memory (it would scale back up to its highest recent recommendation) nor a decision in
# between undoes the reset; the API's pods are replaced, so min threads start where the pod spec sets them
# (the operator's baseline) at the autoscaler's minimum replicas; then the operator starts afresh.
reset_install() {
  local autoscaler="$RELEASE-api" api="$RELEASE-api" operator="$RELEASE-operator" min replicas pods deadline
  local operator_pods="app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=operator"
  min=$(reset_read MIN "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get threadpoolautoscalers.autoscaling.platform.dev \
    "$autoscaler" --output 'jsonpath={.spec.replicas.min}' 2>/dev/null) || min=""
  [ -n "$min" ] || die "--reset: no ThreadPoolAutoscaler $autoscaler in namespace $NAMESPACE of $(kube_context) (operator.autoscaler.create): no starting state to go back to"
  replicas=$(reset_read N "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get deployment "$operator" \
    --output 'jsonpath={.spec.replicas}' 2>/dev/null) || replicas=""
  [ -n "$replicas" ] || die "--reset: no Deployment $operator in namespace $NAMESPACE (operator.enabled): the operator is what the reset restarts"
  log "reset: stopping the operator (deployment/$operator)"
  kubectl_ctx --namespace "$NAMESPACE" scale "deployment/$operator" --replicas=0
  if [ "$DRY_RUN" != true ]; then
    deadline=$((SECONDS + RESET_TIMEOUT_SECONDS))
    while :; do
      pods=$("$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get pods --selector "$operator_pods" \
        --output 'jsonpath={.items[*].metadata.name}' 2>/dev/null) || pods="?"
      [ -z "$pods" ] && break
      [ "$SECONDS" -lt "$deadline" ] || die "--reset: the operator's pods ($pods) did not stop within ${RESET_TIMEOUT_SECONDS}s"
      sleep "$POLL_SECONDS"
    done
  fi
  log "reset: deployment/$api to $min replica(s) with fresh pods"
  kubectl_ctx --namespace "$NAMESPACE" scale "deployment/$api" --replicas="$min"
  kubectl_ctx --namespace "$NAMESPACE" rollout restart "deployment/$api"
  kubectl_ctx --namespace "$NAMESPACE" rollout status "deployment/$api" --timeout="${RESET_TIMEOUT_SECONDS}s"
  log "reset: starting the operator again ($replicas replica(s))"
  kubectl_ctx --namespace "$NAMESPACE" scale "deployment/$operator" --replicas="$replicas"
  kubectl_ctx --namespace "$NAMESPACE" rollout status "deployment/$operator" --timeout="${RESET_TIMEOUT_SECONDS}s"
  log "reset: done: $min API replica(s), fresh pods, the operator without memory"
}

start_job() {
  if [ "$DRY_RUN" != true ] && ! query "$HELM" --kube-context "$(kube_context)" status "$RELEASE" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    die "release $RELEASE is not installed in namespace $NAMESPACE of $(kube_context): run infra/up.sh first"
  fi
  local args=(upgrade "$RELEASE" "$CHART_DIR" --namespace "$NAMESPACE" --reset-then-reuse-values
    --set loadtest.enabled=true
    --set-string "loadtest.scenario=$SCENARIO"
    --set-string "loadtest.testId=$TESTID")
  local pair
  for pair in $LOADTEST_ENV; do
    [[ $pair =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || die "LOADTEST_ENV entry '$pair' is not NAME=VALUE"
    args+=(--set-string "loadtest.env.$pair")
  done
  log "starting $SCENARIO (testid $TESTID)"
  helm_ctx "${args[@]}"
}

# The Job the chart rendered for this testid (labelled platform.dev/testid).
job_name() {
  if [ "$DRY_RUN" = true ]; then
    printf '%s-k6-%s' "$RELEASE" "$TESTID"
    return
  fi
  "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get jobs \
    --selector "platform.dev/testid=$TESTID" --output 'jsonpath={.items[0].metadata.name}'
}

# Waits until the Job's pod has started (or already finished), then streams its log to the end, into $2 too.
follow_log() {
  local job=$1 log=$2 phase="" deadline=$((SECONDS + TIMEOUT_SECONDS))
  if [ "$DRY_RUN" = true ]; then
    print_command "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" logs --follow "job/$job"
    return
  fi
  while [ "$SECONDS" -lt "$deadline" ]; do
    phase=$("$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get pods \
      --selector "batch.kubernetes.io/job-name=$job" --output 'jsonpath={.items[0].status.phase}' 2>/dev/null || true)
    case "$phase" in
      Running | Succeeded | Failed) break ;;
      *) sleep "$POLL_SECONDS" ;;
    esac
  done
  case "$phase" in
    Running | Succeeded | Failed) ;;
    *) die "the pod of job/$job did not start within ${TIMEOUT_SECONDS}s" ;;
  esac
  # The command is printed before, not through, the pipe: the saved log holds k6's output only.
  print_command "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" logs --follow "job/$job"
  "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" logs --follow "job/$job" | tee "$log" || warn "the log stream ended early"
}

# k6's exit code, once the Job has finished: read from the pod's terminated container.
exit_code() {
  local job=$1 code="" deadline=$((SECONDS + TIMEOUT_SECONDS))
  if [ "$DRY_RUN" = true ]; then
    print_command "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get pods --selector "batch.kubernetes.io/job-name=$job" \
      --output 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}' >&2
    printf 'dry-run'
    return
  fi
  while [ "$SECONDS" -lt "$deadline" ]; do
    code=$("$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" get pods \
      --selector "batch.kubernetes.io/job-name=$job" \
      --output 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}' 2>/dev/null || true)
    [ -n "$code" ] && break
    sleep "$POLL_SECONDS"
  done
  [ -n "$code" ] || die "job/$job did not finish within ${TIMEOUT_SECONDS}s"
  printf '%s' "$code"
}

print_verdict() {
  local code=$1
  case "$code" in
    dry-run) printf '\nVERDICT: none (dry run: no Job was started)\n' ;;
    0) printf '\nVERDICT: PASS  %s (testid %s): every threshold held\n' "$SCENARIO" "$TESTID" ;;
    99) printf '\nVERDICT: FAIL  %s (testid %s): a threshold failed (k6 exit 99); see the summary above\n' "$SCENARIO" "$TESTID" ;;
    *) printf '\nVERDICT: ERROR %s (testid %s): k6 exited %s\n' "$SCENARIO" "$TESTID" "$code" ;;
  esac
  printf 'Its samples in Prometheus carry testid="%s" (dashboards: Platform / Overview).\n' "$TESTID"
}

# Sets REPORT_PROMETHEUS_URL to the cluster's Prometheus as this machine reaches it: PROMETHEUS_URL, kind's
# NodePort on loopback, or on minikube a port-forward on a free local port (stopped by its PID at the end).
find_prometheus() {
  if [ -n "${PROMETHEUS_URL:-}" ]; then
    REPORT_PROMETHEUS_URL=$PROMETHEUS_URL
  elif [ "$PROVIDER" = kind ]; then
    REPORT_PROMETHEUS_URL=http://127.0.0.1:9090
  elif [ "$DRY_RUN" = true ]; then
    print_command "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" port-forward "svc/$RELEASE-prometheus" :9090 >&2
    REPORT_PROMETHEUS_URL=http://127.0.0.1:PORT
  else
    start_port_forward
  fi
}

# kubectl port-forward on a port the kernel picks; its first line names it.
start_port_forward() {
  local out port="" deadline=$((SECONDS + 20))
  out=$(mktemp)
  "$KUBECTL" --context "$(kube_context)" --namespace "$NAMESPACE" port-forward "svc/$RELEASE-prometheus" :9090 >"$out" 2>&1 &
  PORT_FORWARD_PID=$!
  trap stop_port_forward EXIT
  while [ -z "$port" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$PORT_FORWARD_PID" 2>/dev/null; do
    sleep 0.5
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$out" | head -n 1)
  done
  if [ -z "$port" ]; then
    warn "no port-forward to svc/$RELEASE-prometheus: $(head -n 3 "$out" | tr '\n' ' ')"
    rm -f "$out"
    stop_port_forward
    return 1
  fi
  rm -f "$out"
  REPORT_PROMETHEUS_URL="http://127.0.0.1:$port"
}

stop_port_forward() {
  if [ -n "$PORT_FORWARD_PID" ]; then
    kill "$PORT_FORWARD_PID" 2>/dev/null || true
    PORT_FORWARD_PID=""
  fi
}

# The experiment report: a page from the cluster's Prometheus over the run, with the verdict from the Job's
# log. A missing node or node_modules, or an unreachable Prometheus, costs the report only, never the exit code.
write_report() {
  local code=$1 from=$2 dir=$3 node=${NODE:-node} to
  local report="$dir/report.html"
  to=$(date +%s)
  [ "$to" -gt "$from" ] || to=$((from + 1))
  if [ "$DRY_RUN" != true ]; then
    if ! command -v "$node" >/dev/null 2>&1; then
      printf 'no report: node is not installed (e.g. apt-get install nodejs npm), then run npm ci in loadtests/report\n'
      return 0
    fi
    if [ ! -f "$REPO_ROOT/loadtests/report/node_modules/uplot/package.json" ]; then
      printf 'no report: loadtests/report/node_modules is missing: run (cd loadtests/report && npm ci) or bash scripts/install-tools.sh\n'
      return 0
    fi
  fi
  if ! find_prometheus; then
    printf 'no report: the cluster'"'"'s Prometheus cannot be reached from here (set PROMETHEUS_URL)\n'
    return 0
  fi
  local args=(--prometheus "$REPORT_PROMETHEUS_URL" --from "$from" --to "$to" --testid "$TESTID" --scenario "$SCENARIO"
    --namespace "$NAMESPACE" --autoscaler "$RELEASE-api" --verdict "$dir/k6.log" --out "$report")
  [[ $code =~ ^[0-9]+$ ]] && args+=(--exit-code "$code")
  if ! run "$node" "$REPO_ROOT/loadtests/report/report.mjs" "${args[@]}" 2>&1; then
    stop_port_forward
    printf 'no report: the generator failed (see above); the Job'"'"'s log is %s\n' "$dir/k6.log"
    return 0
  fi
  stop_port_forward
  if [ "$DRY_RUN" = true ]; then
    printf 'report: %s (dry run: not written)\n' "$report"
  else
    printf 'report: %s\n' "$report"
  fi
}

main() {
  parse_args "$@"
  check_inputs
  require_tools "$KUBECTL" "$HELM"
  if [ "$RESET" = true ]; then
    reset_install
    [ -n "$SCENARIO" ] || exit 0
  fi
  local dir="${LOADTEST_ARTIFACTS:-$REPO_ROOT/artifacts/loadtests}/$TESTID" from
  check_new_testid "$dir"
  run mkdir -p "$dir"
  from=$(date +%s)
  start_job
  local job code
  job=$(job_name)
  [ -n "$job" ] || die "no Job labelled platform.dev/testid=$TESTID was created"
  log "following job/$job"
  follow_log "$job" "$dir/k6.log"
  code=$(exit_code "$job")
  print_verdict "$code"
  write_report "$code" "$from" "$dir"
  [ "$code" = dry-run ] && exit 0
  exit "$code"
}

main "$@"
