#!/usr/bin/env bash
# Creates a local cluster (kind, or minikube with --minikube) if it does not exist, builds the API and operator
# images, loads them into the cluster, and installs or upgrades the chart (release "platform"). Idempotent:
# run it again after a code change; unchanged images keep their tag, so nothing restarts needlessly.
#
# Usage: infra/up.sh [--minikube] [--database NAME [--accept-sql-server-eula]] [--dry-run] [-h|--help]
#   --minikube                 use minikube (profile CLUSTER_NAME) instead of kind (cluster CLUSTER_NAME)
#   --database NAME            the API's database: postgres (default: a StatefulSet), sqlite (embedded, one file
#                              per pod) or sqlserver (SQL Server 2022: an x86-64 node and about 3 GiB of memory)
#   --accept-sql-server-eula   you accept the SQL Server image's licence terms; required with --database sqlserver
#   --dry-run                  print every command instead of running it (inputs and tools are still checked)
#
# Environment (defaults in brackets):
#   CLUSTER_NAME [platform]  NAMESPACE [platform]  RELEASE [platform]
#   KIND_NODE_IMAGE [kind's default]     node image for kind, e.g. kindest/node:v1.33.1
#   MINIKUBE_CPUS [4]  MINIKUBE_MEMORY [8g]  MINIKUBE_K8S_VERSION [minikube's default]
#   DATABASE [postgres]                  the same as --database
#   ACCEPT_SQL_SERVER_EULA [false]       true: the same as --accept-sql-server-eula
#   HELM_TIMEOUT [10m]                   how long `helm upgrade --install --wait` may take
#   EXTRA_HELM_ARGS []                   more arguments for helm, e.g. "--set database.provider=postgres"
#   KIND, MINIKUBE, KUBECTL, HELM, DOCKER  the tools to run [found on PATH]
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-}
MINIKUBE_CPUS=${MINIKUBE_CPUS:-4}
MINIKUBE_MEMORY=${MINIKUBE_MEMORY:-8g}
MINIKUBE_K8S_VERSION=${MINIKUBE_K8S_VERSION:-}
HELM_TIMEOUT=${HELM_TIMEOUT:-10m}
EXTRA_HELM_ARGS=${EXTRA_HELM_ARGS:-}
DATABASE=${DATABASE:-postgres}
ACCEPT_SQL_SERVER_EULA=${ACCEPT_SQL_SERVER_EULA:-false}

KIND_CONFIG="$INFRA_DIR/kind/cluster.yaml"
KIND_VALUES="$INFRA_DIR/values/kind.yaml"
API_DOCKERFILE="$REPO_ROOT/app/Platform.Api/Dockerfile"
OPERATOR_DOCKERFILE="$REPO_ROOT/operator/Platform.Operator/Dockerfile"

parse_args() {
  while [ $# -gt 0 ]; do
    if parse_common_flag "$1"; then
      shift
      continue
    fi
    case "$1" in
      --database)
        [ $# -ge 2 ] || die "--database needs a value: postgres, sqlite or sqlserver"
        DATABASE=$2
        shift 2
        ;;
      --accept-sql-server-eula)
        ACCEPT_SQL_SERVER_EULA=true
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
  done
}

# Everything the run reads must be there before anything is created.
check_inputs() {
  local file
  for file in "$CHART_DIR/Chart.yaml" "$API_DOCKERFILE" "$OPERATOR_DOCKERFILE" "$REPO_ROOT/.dockerignore"; do
    [ -f "$file" ] || die "missing $file"
  done
  if [ "$PROVIDER" = kind ]; then
    [ -f "$KIND_CONFIG" ] || die "missing $KIND_CONFIG"
    [ -f "$KIND_VALUES" ] || die "missing $KIND_VALUES"
  fi
  [[ $CLUSTER_NAME =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "CLUSTER_NAME '$CLUSTER_NAME' must be a DNS label"
  [[ $MINIKUBE_CPUS =~ ^[0-9]+$ ]] || die "MINIKUBE_CPUS '$MINIKUBE_CPUS' must be a number"
  case "$DATABASE" in
    postgres | sqlite) ;;
    sqlserver)
      [ "$ACCEPT_SQL_SERVER_EULA" = true ] ||
        die "--database sqlserver runs the SQL Server image only once you accept its licence terms: add --accept-sql-server-eula"
      ;;
    *) die "--database '$DATABASE' must be postgres, sqlite or sqlserver" ;;
  esac
}

check_tools() {
  local cluster_tool=$KIND
  [ "$PROVIDER" = minikube ] && cluster_tool=$MINIKUBE
  require_tools "$DOCKER" "$cluster_tool" "$KUBECTL" "$HELM"
  if [ "$DRY_RUN" != true ] && ! "$DOCKER" info >/dev/null 2>&1; then
    die "docker is installed but its engine does not answer (is the daemon running?)"
  fi
}

# Creates the cluster unless it exists. kind: one control plane and two workers, Grafana and Prometheus on
# 127.0.0.1 (infra/kind/cluster.yaml). minikube: Calico, so the NetworkPolicy is enforced.
create_cluster() {
  if cluster_exists; then
    log "cluster $CLUSTER_NAME exists ($(kube_context))"
    return
  fi
  log "creating the $PROVIDER cluster $CLUSTER_NAME"
  if [ "$PROVIDER" = minikube ]; then
    local args=(start -p "$CLUSTER_NAME" --cpus "$MINIKUBE_CPUS" --memory "$MINIKUBE_MEMORY" --cni calico)
    [ -n "$MINIKUBE_K8S_VERSION" ] && args+=(--kubernetes-version "$MINIKUBE_K8S_VERSION")
    run "$MINIKUBE" "${args[@]}"
  else
    local args=(create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 120s)
    [ -n "$KIND_NODE_IMAGE" ] && args+=(--image "$KIND_NODE_IMAGE")
    run "$KIND" "${args[@]}"
  fi
}

# Builds one image from the repository root and tags it by its content (dev-<image id>): the same sources give
# the same tag, so a re-run changes nothing, and a change gives a new tag, so the pods roll.
# Prints the tag.
build_image() {
  local name=$1 dockerfile=$2 id
  run "$DOCKER" build --file "$dockerfile" --tag "$name:dev" "$REPO_ROOT" >&2
  if [ "$DRY_RUN" = true ]; then
    printf 'dev-<image-id>'
    return
  fi
  id=$("$DOCKER" image inspect --format '{{.Id}}' "$name:dev")
  id=${id#sha256:}
  run "$DOCKER" tag "$name:dev" "$name:dev-${id:0:12}" >&2
  printf 'dev-%s' "${id:0:12}"
}

load_image() {
  local image=$1
  if [ "$PROVIDER" = minikube ]; then
    run "$MINIKUBE" -p "$CLUSTER_NAME" image load "$image"
  else
    run "$KIND" load docker-image "$image" --name "$CLUSTER_NAME"
  fi
}

install_release() {
  local api_tag=$1 operator_tag=$2
  local args=(upgrade --install "$RELEASE" "$CHART_DIR"
    --namespace "$NAMESPACE" --create-namespace
    --wait --timeout "$HELM_TIMEOUT"
    --set-string "api.image.tag=$api_tag"
    --set-string "operator.image.tag=$operator_tag"
    --set-string "database.provider=$DATABASE")
  [ "$DATABASE" = sqlserver ] && args+=(--set database.sqlserver.acceptEula=true)
  [ "$PROVIDER" = kind ] && args+=(--values "$KIND_VALUES")
  if [ -n "$EXTRA_HELM_ARGS" ]; then
    local extra
    read -r -a extra <<<"$EXTRA_HELM_ARGS"
    args+=("${extra[@]}")
  fi
  log "installing the chart (release $RELEASE, namespace $NAMESPACE, database $DATABASE)"
  helm_ctx "${args[@]}"
  kubectl_ctx --namespace "$NAMESPACE" get pods --selector "app.kubernetes.io/instance=$RELEASE"
}

print_next_steps() {
  local context
  context=$(kube_context)
  cat <<EOF

The platform runs in cluster $CLUSTER_NAME (context $context), namespace $NAMESPACE.
EOF
  if [ "$PROVIDER" = kind ]; then
    cat <<EOF
  Grafana:    http://127.0.0.1:3000   (anonymous viewer; admin password: see below)
  Prometheus: http://127.0.0.1:9090
EOF
  else
    cat <<EOF
  Grafana:    kubectl --context $context -n $NAMESPACE port-forward svc/$RELEASE-grafana 3000:3000
  Prometheus: kubectl --context $context -n $NAMESPACE port-forward svc/$RELEASE-prometheus 9090:9090
EOF
  fi
  cat <<EOF
  Admin password: kubectl --context $context -n $NAMESPACE get secret $RELEASE-grafana -o jsonpath='{.data.admin-password}' | base64 -d
Next: run a load test and watch the operator decide:
  infra/loadtest.sh$([ "$PROVIDER" = minikube ] && printf ' --minikube') smoke
  kubectl --context $context -n $NAMESPACE get threadpoolautoscalers -w
EOF
}

main() {
  parse_args "$@"
  check_inputs
  check_tools
  create_cluster
  local api_tag operator_tag
  log "building images"
  api_tag=$(build_image platform-api "$API_DOCKERFILE")
  operator_tag=$(build_image platform-operator "$OPERATOR_DOCKERFILE")
  log "loading images into $CLUSTER_NAME"
  load_image "platform-api:$api_tag"
  load_image "platform-operator:$operator_tag"
  install_release "$api_tag" "$operator_tag"
  print_next_steps
}

main "$@"
