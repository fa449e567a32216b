#!/usr/bin/env bash
# Runs one experiment on this machine, without Kubernetes, k6 or Docker: real API processes as pods, the
# real operator in cluster mode against a stand-in Kubernetes API, a real Prometheus, and the script's own
# server-side verdict and report page (see "Running the experiments locally" in loadtests/README.md).
#
# Usage: loadtests/local.sh EXPERIMENT
#   EXPERIMENT  starvation-burst | cpu-scaleout | mixed
# Needs: the .NET SDK, node with `npm ci` done in loadtests and loadtests/report, prometheus and chromium on
# PATH (bash scripts/install-tools.sh installs the npm packages).
# Environment:
#   LOADTEST_ARTIFACTS  where each run's folder goes (default artifacts/loadtests of the repository)
# Output: the run's progress and the verdict table, then "report: PATH" as the last line.
# Exit code: 0 when the verdict passed and the report has every plot, 1 otherwise, 2 on a bad argument.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
experiments=(starvation-burst cpu-scaleout mixed)

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

main() {
  if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    usage
    [ $# -eq 1 ] && exit 0
    exit 2
  fi
  local name=$1 known=""
  for experiment in "${experiments[@]}"; do
    [ "$experiment" = "$name" ] && known=yes
  done
  if [ -z "$known" ]; then
    echo "local.sh: no local experiment '$name'; choose one of: ${experiments[*]}" >&2
    exit 2
  fi

  local artifacts=${LOADTEST_ARTIFACTS:-$root/artifacts/loadtests}
  mkdir -p "$artifacts"
  artifacts=$(cd "$artifacts" && pwd)
  local project="$root/tests/Platform.Observability.Tests"
  local log
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT

  echo "local.sh: building $project" >&2
  dotnet build "$project" -c Release -v quiet >&2
  # The experiment is a test (ExperimentTests), so the same run is what CI checks; its output is the run's log.
  set +e
  LOCAL_EXPERIMENT_ARTIFACTS="$artifacts" dotnet test "$project" -c Release --no-build \
    --filter "Experiment=$name" --logger "console;verbosity=detailed" 2>&1 | tee "$log"
  local code=${PIPESTATUS[0]}
  set -e
  local report
  report=$(grep -o 'report: .*report\.html' "$log" | tail -n 1 || true)
  if [ -n "$report" ]; then
    echo "$report"
  else
    echo "local.sh: no report (see the output above)"
  fi
  [ "$code" -eq 0 ] || exit 1
}

main "$@"
