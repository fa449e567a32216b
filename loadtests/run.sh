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

  echo "run.sh: $scenario against $base_url, testid=$testid, Prometheus $prometheus_url" >&2
  # TESTID is also passed as an env var: the verdict filters this run's k6_* series by it.
  # ${output[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS's bash 3.2).
  exec k6 run ${output[@]+"${output[@]}"} \
    --tag "testid=$testid" \
    -e "TESTID=$testid" \
    -e "BASE_URL=$base_url" \
    -e "PROMETHEUS_URL=$prometheus_url" \
    "$@" "$script"
}

main "$@"
