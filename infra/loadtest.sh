#!/usr/bin/env bash
# Runs one k6 scenario (loadtests/SCENARIO.js) as a Job in the cluster, follows its log, prints the verdict and
# exits with k6's exit code: 0 every threshold held, 99 a threshold failed, anything else an error.
# The Job comes from the chart (helm upgrade --reset-then-reuse-values, i.e. the chart's current defaults plus
# the values the release was installed with, and loadtest.enabled, the scenario and a fresh testId), so it uses
# the chart's scripts ConfigMap, URLs and remote write; its samples carry testid=TESTID. Needs helm >= 3.14.
#
# Usage: infra/loadtest.sh [--minikube] [--dry-run] [--timeout SECONDS] SCENARIO
#   SCENARIO         a file loadtests/SCENARIO.js, e.g. smoke, starvation-burst, cpu-scaleout
#   --minikube       the cluster is a minikube profile
#   --timeout N      give up waiting for the Job after N seconds [3600]
#   --dry-run        print every command instead of running it (the scenario is still checked)
#
# Environment (defaults in brackets): CLUSTER_NAME [platform]  NAMESPACE [platform]  RELEASE [platform]
#   TESTID [SCENARIO-<UTC time>]   the run's k6 testid tag and Job name suffix
#   LOADTEST_ENV []                 "NAME=VALUE ..." passed to the scenario (loadtest.env), e.g. "RATE=50"
#   KUBECTL, HELM                   the tools to run [found on PATH]
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SCENARIO=""
TIMEOUT_SECONDS=3600
LOADTEST_ENV=${LOADTEST_ENV:-}
POLL_SECONDS=2

parse_args() {
  while [ $# -gt 0 ]; do
    if parse_common_flag "$1"; then
      shift
      continue
    fi
    case "$1" in
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
  if [ -z "$SCENARIO" ]; then
    usage >&2
    die "which scenario? one of: $(list_scenarios)"
  fi
  [[ $SCENARIO =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "scenario '$SCENARIO' must be lower-case letters, digits and '-'"
  [ -f "$REPO_ROOT/loadtests/$SCENARIO.js" ] || die "no scenario '$SCENARIO' (loadtests/$SCENARIO.js); the scenarios are: $(list_scenarios)"
  [[ $TIMEOUT_SECONDS =~ ^[0-9]+$ ]] || die "--timeout '$TIMEOUT_SECONDS' must be a number of seconds"
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

# Waits until the Job's pod has started (or already finished), then streams its log to the end.
follow_log() {
  local job=$1 phase="" deadline=$((SECONDS + TIMEOUT_SECONDS))
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
  kubectl_ctx --namespace "$NAMESPACE" logs --follow "job/$job" || warn "the log stream ended early"
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

main() {
  parse_args "$@"
  check_inputs
  require_tools "$KUBECTL" "$HELM"
  start_job
  local job code
  job=$(job_name)
  [ -n "$job" ] || die "no Job labelled platform.dev/testid=$TESTID was created"
  log "following job/$job"
  follow_log "$job"
  code=$(exit_code "$job")
  print_verdict "$code"
  [ "$code" = dry-run ] && exit 0
  exit "$code"
}

main "$@"
