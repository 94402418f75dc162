#!/usr/bin/env bash
# Downloads the Go modules of the cluster's wrapper modules side by side, in the background, and
# returns at once. Downloading is network-bound and build-cluster-binaries.sh builds one component
# at a time, so without this each component's downloads wait for the compile before it. Best
# effort: a module that fails here fails again, with its message, in the build that needs it. Does
# nothing for a component already built.
# Usage: prefetch-modules.sh [kubernetes|etcd|provider|traefik ...]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v go >/dev/null || exit 0
export GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
cache_root=${DEPLOYMENT_RUNBOOK_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deployment-runbook/cluster}
# A component with any finished build is left alone: the build script keeps one hash per component,
# so a bin folder means its modules were fetched already (or the inputs changed, rarely).
# A component's wrapper module is its folder (etcd shares kubernetes').
started=()
for c in "$@"; do
  compgen -G "$cache_root/$c/*/bin" >/dev/null && continue
  m=$c; [ "$c" = etcd ] && m=kubernetes
  [ -f "$here/$m/go.mod" ] || continue
  case " ${started[*]-} " in *" $m "*) continue ;; esac
  started+=("$m")
  (cd "$here/$m" && nohup go mod download >/dev/null 2>&1 &)
done
