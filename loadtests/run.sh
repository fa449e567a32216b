#!/usr/bin/env bash
# Runs one k6 scenario from this folder on this machine, writing k6's results to Prometheus (remote write)
# next to the platform's own metrics, tagged with a fresh testid.
#
# Usage: loadtests/run.sh SCENARIO [k6 run arguments...]
#   SCENARIO  smoke | sync-vs-async | starvation-burst | cpu-scaleout | mixed | db | fanout
#   e.g.      loadtests/run.sh sync-vs-async -e RATE=100 -e DURATION=30s
# Environment:
#   BASE_URL         the API (default http://127.0.0.1:5080)
#   PROMETHEUS_URL   Prometheus, for remote write and the verdict (default http://127.0.0.1:9090); it must
#                    run with --web.enable-remote-write-receiver
#   REMOTE_WRITE=0   run without the remote-write output (the verdict still queries Prometheus)
#   any script setting (RATE, DURATION, WAIT_MS, ...), as documented in the script's header
#   NAMESPACE, AUTOSCALER  regexes narrowing the verdict's and the report's series to one install (default all)
#   LOADTEST_ARTIFACTS     where each run's folder goes (default artifacts/loadtests of the repository)
#   NODE                   the node that writes the report (default: node on PATH)
# Output: k6's output, also saved in ARTIFACTS/TESTID/k6.log with k6's summary (summary.json), then the
# experiment report ARTIFACTS/TESTID/report.html (loadtests/report; needs node and `npm ci` there), whose path
# is the last line: "report: PATH".
# Exit code: k6's (0 passed, 99 a threshold or the server-side verdict failed, 108 setup found no API).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  # The header comment above, without the shebang.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

scenarios() {
  local script
  for script in "$here"/*.js; do
    basename "$script" .js
  done
}

require_k6() {
  if ! command -v k6 >/dev/null 2>&1; then
    cat >&2 <<'EOF'
run.sh: k6 is not installed (these scripts need k6 v0.47 or later).
  Install it from https://grafana.com/docs/k6/latest/set-up/install-k6/ (Debian/Ubuntu apt repository,
  Homebrew `brew install k6`, or a release binary), or run it in a container:
    docker run --rm -i --network host -v "$PWD/loadtests:/scripts" grafana/k6 run /scripts/smoke.js
  In the cluster, use infra/loadtest.sh SCENARIO, which runs the chart's k6 Job.
EOF
    exit 127
  fi
}

main() {
  if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    usage
    [ $# -ge 1 ] && exit 0
    exit 2
  fi
  local scenario=$1
  shift
  local script="$here/$scenario.js"
  if [ ! -f "$script" ]; then
    echo "run.sh: no scenario '$scenario'; choose one of: $(scenarios | tr '\n' ' ')" >&2
    exit 2
  fi
  require_k6

  local base_url=${BASE_URL:-http://127.0.0.1:5080}
  local prometheus_url=${PROMETHEUS_URL:-http://127.0.0.1:9090}
  local testid
  testid="$scenario-$(date -u +%Y%m%dT%H%M%SZ)"

  local output=()
  if [ "${REMOTE_WRITE:-1}" != "0" ]; then
    export K6_PROMETHEUS_RW_SERVER_URL="${prometheus_url%/}/api/v1/write"
    export K6_PROMETHEUS_RW_TREND_STATS="p(50),p(95),p(99)"
    output=(-o experimental-prometheus-rw)
  fi

  local artifacts=${LOADTEST_ARTIFACTS:-$here/../artifacts/loadtests}
  local dir="$artifacts/$testid"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)

  echo "run.sh: $scenario against $base_url, testid=$testid, Prometheus $prometheus_url" >&2
  local from to code
  from=$(date +%s)
  # TESTID is also passed as an env var: the verdict filters this run's k6_* series by it.
  # ${output[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS's bash 3.2).
  # k6's output (stdout and its log on stderr) goes to the terminal and to k6.log, where the report finds
  # the verdict; k6's exit code is the script's.
  set +e
  k6 run --summary-export "$dir/summary.json" ${output[@]+"${output[@]}"} \
    --tag "testid=$testid" \
    -e "TESTID=$testid" \
    -e "BASE_URL=$base_url" \
    -e "PROMETHEUS_URL=$prometheus_url" \
    "$@" "$script" 2>&1 | tee "$dir/k6.log"
  code=${PIPESTATUS[0]}
  set -e
  to=$(date +%s)
  # A run that ended within its first second (k6 refused its arguments, say) still gets a range.
  [ "$to" -gt "$from" ] || to=$((from + 1))
  write_report "$dir" "$scenario" "$testid" "$prometheus_url" "$from" "$to" "$code"
  exit "$code"
}

# The experiment report of this run: a page from Prometheus, k6's summary and the verdict in k6's log. A
# missing node or node_modules costs the report only, never the run's exit code. Everything goes to stdout,
# after k6's output, so the last line is the report's path (or why there is none).
write_report() {
  local dir=$1 scenario=$2 testid=$3 prometheus_url=$4 from=$5 to=$6 code=$7
  local node=${NODE:-node} report="$dir/report.html"
  if ! command -v "$node" >/dev/null 2>&1; then
    echo "run.sh: no report: node is not installed (e.g. apt-get install nodejs npm), then run npm ci in loadtests/report"
    return 0
  fi
  if [ ! -f "$here/report/node_modules/uplot/package.json" ]; then
    echo "run.sh: no report: loadtests/report/node_modules is missing: run (cd loadtests/report && npm ci) or bash scripts/install-tools.sh"
    return 0
  fi
  local summary=()
  [ -s "$dir/summary.json" ] && summary=(--summary "$dir/summary.json")
  if ! "$node" "$here/report/report.mjs" --prometheus "$prometheus_url" --from "$from" --to "$to" \
    --testid "$testid" --scenario "$scenario" --namespace "${NAMESPACE:-.*}" --autoscaler "${AUTOSCALER:-.*}" \
    ${summary[@]+"${summary[@]}"} --verdict "$dir/k6.log" --exit-code "$code" --out "$report" 2>&1; then
    echo "run.sh: no report: the generator failed (see above); k6's log is $dir/k6.log"
    return 0
  fi
  echo "report: $report"
}

main "$@"
