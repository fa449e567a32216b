#!/usr/bin/env bash
# Runs every test of the repository and ends with one line: "N passed, N failed, N skipped".
# This is the README's test command, and what .ci/run calls.
#
# Usage: scripts/test.sh [--filter EXPRESSION]   (the filter is passed to dotnet test)
# Needs: the .NET 10 SDK and npm; promtool/prometheus, PostgreSQL and shellcheck for the tests that use
#        them (.ci/run installs them; outside CI such tests skip with a message when the tool is missing).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results_dir="$repo_root/artifacts/test-results"
configuration=${CONFIGURATION:-Release}
filter_args=()

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --filter) filter_args=(--filter "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

passed=0
failed=0
skipped=0

count_trx() {
  local trx counters
  for trx in "$results_dir"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    passed=$((passed + $(attr passed "$counters")))
    failed=$((failed + $(attr failed "$counters") + $(attr error "$counters") + $(attr timeout "$counters") + $(attr aborted "$counters")))
    # Skipped tests are not executed; the TRX counts them only as total minus executed.
    skipped=$((skipped + $(attr total "$counters") - $(attr executed "$counters")))
  done
}

attr() {
  local value
  value=$(printf '%s' "$2" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]\+' || true)
  printf '%s' "${value:-0}"
}

main() {
  cd "$repo_root"
  rm -rf "$results_dir"
  mkdir -p "$results_dir"
  # helm 3 and 4, kubectl and the pinned node packages, into .tools/ and node_modules/ (idempotent).
  bash "$repo_root/scripts/install-tools.sh"
  export PATH="$repo_root/.tools/bin:$PATH"

  if ! dotnet build Platform.sln -c "$configuration" --nologo -v quiet; then
    echo "build failed"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi

  local status=0
  # One test assembly at a time: each runs its timing-sensitive tests alone, and on a small machine
  # another assembly's load running beside them would blur the effects they measure.
  dotnet test Platform.sln -c "$configuration" --no-build --nologo -maxcpucount:1 \
    --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results_dir" "${filter_args[@]}" || status=$?

  count_trx
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "no test results were found in $results_dir"
    failed=1
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
    exit 1
  fi
}

main
