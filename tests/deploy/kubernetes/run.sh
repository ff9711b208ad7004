#!/usr/bin/env bash
# run.sh — the Kubernetes manifest test (ctest deploy_kubernetes_manifests): installs
# the pinned validator packages (package-lock.json) into WORK with `npm ci`, once per
# lock file, then runs validate.mjs over deploy/kubernetes with the vncgate binary for
# check-config. Node.js and npm come from deploy/install-deps.sh kubernetes; without
# them the test fails, it does not skip.
#
# Usage: tests/deploy/kubernetes/run.sh VNCGATE_BINARY WORK_DIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
if (($# != 2)); then
  echo "usage: $0 VNCGATE_BINARY WORK_DIR" >&2
  exit 2
fi
vncgate=$1
work=$2

for tool in node npm openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool not found; install it with deploy/install-deps.sh kubernetes" >&2
    exit 1
  fi
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || {
  echo "FAIL: node $(node --version) is older than 18" >&2
  exit 1
}

mkdir -p "$work"
stamp=$work/node_modules/.vncgate-package-lock.json
if ! cmp -s "$here/package-lock.json" "$stamp"; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  echo "npm ci in $work"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline)
  cp "$here/package-lock.json" "$stamp"
fi

exec node "$here/validate.mjs" --modules "$work" --manifests "$repo/deploy/kubernetes" \
  --vncgate "$vncgate" --work "$work/layout"
