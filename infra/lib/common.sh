#!/usr/bin/env bash
# Shared by infra/up.sh, infra/down.sh and infra/loadtest.sh: logging, the dry-run switch, tool checks, and the
# cluster's name and kubectl context. Source it; it defines functions and variables and runs nothing.
#
# Environment knobs (every script):
#   CLUSTER_NAME  kind cluster / minikube profile name           (default: platform)
#   NAMESPACE     namespace of the release                       (default: platform)
#   RELEASE       Helm release name                              (default: platform)
#   KIND, MINIKUBE, KUBECTL, HELM, DOCKER   the tools to run     (default: found on PATH)

# shellcheck disable=SC2034  # variables are read by the scripts that source this file

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$INFRA_DIR/.." && pwd)
CHART_DIR="$REPO_ROOT/charts/platform"

CLUSTER_NAME=${CLUSTER_NAME:-platform}
NAMESPACE=${NAMESPACE:-platform}
RELEASE=${RELEASE:-platform}
KIND=${KIND:-kind}
MINIKUBE=${MINIKUBE:-minikube}
KUBECTL=${KUBECTL:-kubectl}
HELM=${HELM:-helm}
DOCKER=${DOCKER:-docker}

# Set by parse_common_flag.
DRY_RUN=false
PROVIDER=kind

# fd 3: the terminal's stderr, for messages from functions whose own stderr is redirected.
exec 3>&2

log() { printf '==> %s\n' "$*" >&2; }

# The comment block at the top of the script that was run, without its leading "# ".
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[${#BASH_SOURCE[@]} - 1]}"
}
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Handles the flags every script shares; returns 1 for a flag it does not know.
parse_common_flag() {
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --minikube) PROVIDER=minikube ;;
    --kind) PROVIDER=kind ;;
    *) return 1 ;;
  esac
}

# The kubectl context (and helm --kube-context) of the cluster: kind prefixes "kind-"; minikube names the
# context after the profile.
kube_context() {
  if [ "$PROVIDER" = minikube ]; then
    printf '%s' "$CLUSTER_NAME"
  else
    printf 'kind-%s' "$CLUSTER_NAME"
  fi
}

# Prints a command the way a shell would read it back.
print_command() {
  local quoted
  quoted=$(printf '%q ' "$@")
  printf '+ %s\n' "${quoted% }"
}

# Runs a command that changes something; in dry-run mode only prints it.
run() {
  print_command "$@"
  if [ "$DRY_RUN" = true ]; then
    return 0
  fi
  "$@"
}

# kubectl and helm always against the cluster's own context, never whatever is current.
kubectl_ctx() { run "$KUBECTL" --context "$(kube_context)" "$@"; }
helm_ctx() { run "$HELM" --kube-context "$(kube_context)" "$@"; }

# Read-only queries. A dry run runs nothing, not even these: it prints the question and answers "no", so
# it shows every command of a first run (cluster created, images built and loaded, release installed).
query() {
  if [ "$DRY_RUN" = true ]; then
    printf '? %s   (dry run: not asked, assumed no)\n' "$(printf '%q ' "$@")" >&3
    return 1
  fi
  "$@"
}

# Checks that each tool is installed, naming where to get each missing one. In dry-run mode a missing tool is
# reported and the script goes on, so CI can exercise the scripts on a machine without a cluster.
require_tools() {
  local tool missing=0
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      missing=1
      if [ "$DRY_RUN" = true ]; then
        warn "$tool is not installed ($(install_hint "$tool")); dry run: continuing"
      else
        printf 'error: %s is not installed: %s\n' "$tool" "$(install_hint "$tool")" >&2
      fi
    fi
  done
  if [ "$missing" = 1 ] && [ "$DRY_RUN" != true ]; then
    exit 1
  fi
}

install_hint() {
  case "$(basename "$1")" in
    docker) printf 'https://docs.docker.com/get-docker/ (the engine must be running)' ;;
    kind) printf 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation' ;;
    minikube) printf 'https://minikube.sigs.k8s.io/docs/start/' ;;
    kubectl) printf 'https://kubernetes.io/docs/tasks/tools/' ;;
    helm) printf 'https://helm.sh/docs/intro/install/ (helm 3.14+ or 4)' ;;
    *) printf 'install it and put it on PATH' ;;
  esac
}

# The cluster exists (kind cluster or minikube profile).
cluster_exists() {
  if [ "$PROVIDER" = minikube ]; then
    query "$MINIKUBE" -p "$CLUSTER_NAME" status >/dev/null 2>&1
  else
    query "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"
  fi
}
