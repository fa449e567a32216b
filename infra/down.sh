#!/usr/bin/env bash
# Deletes the local cluster that infra/up.sh created (kind, or minikube with --minikube), or with
# --release-only uninstalls the release and its namespace and keeps the cluster. Idempotent: what is already
# gone is skipped.
#
# Usage: infra/down.sh [--minikube] [--release-only] [--dry-run] [-h|--help]
#   --minikube       the cluster is a minikube profile
#   --release-only   helm uninstall and delete the namespace; keep the cluster (and its loaded images)
#   --dry-run        print every command instead of running it
#
# Environment (defaults in brackets): CLUSTER_NAME [platform]  NAMESPACE [platform]  RELEASE [platform]
#   KIND, MINIKUBE, KUBECTL, HELM  the tools to run [found on PATH]
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

RELEASE_ONLY=false

parse_args() {
  while [ $# -gt 0 ]; do
    if parse_common_flag "$1"; then
      shift
      continue
    fi
    case "$1" in
      --release-only) RELEASE_ONLY=true ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
  done
}

uninstall_release() {
  require_tools "$KUBECTL" "$HELM"
  if [ "$DRY_RUN" != true ] && ! cluster_exists; then
    log "cluster $CLUSTER_NAME does not exist: nothing to uninstall"
    return 0
  fi
  # helm uninstall fails on a release that is not there; --ignore-not-found makes it a no-op (helm >= 3.13).
  helm_ctx uninstall "$RELEASE" --namespace "$NAMESPACE" --ignore-not-found --wait
  kubectl_ctx delete namespace "$NAMESPACE" --ignore-not-found --wait=true
  log "the CRD threadpoolautoscalers.autoscaling.platform.dev stays (Helm never deletes CRDs); to remove it:"
  print_command "$KUBECTL" --context "$(kube_context)" delete crd threadpoolautoscalers.autoscaling.platform.dev
}

delete_cluster() {
  if [ "$PROVIDER" = minikube ]; then
    require_tools "$MINIKUBE"
  else
    require_tools "$KIND"
  fi
  if [ "$DRY_RUN" != true ] && ! cluster_exists; then
    log "cluster $CLUSTER_NAME does not exist: nothing to delete"
    return 0
  fi
  log "deleting the $PROVIDER cluster $CLUSTER_NAME"
  if [ "$PROVIDER" = minikube ]; then
    run "$MINIKUBE" delete -p "$CLUSTER_NAME"
  else
    run "$KIND" delete cluster --name "$CLUSTER_NAME"
  fi
}

main() {
  parse_args "$@"
  [[ $CLUSTER_NAME =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "CLUSTER_NAME '$CLUSTER_NAME' must be a DNS label"
  if [ "$RELEASE_ONLY" = true ]; then
    uninstall_release
  else
    delete_cluster
  fi
}

main "$@"
