#!/usr/bin/env bash
# `npm run cluster -- up|down|status|release <version>...|kubectl <args>`: the project's own
# single-node Kubernetes cluster (cluster/cluster.sh). First the set-up every command shares (npm
# packages, the local services the pods use, the engine, the compiled sample service for its image).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case "${1:-}" in
  down|status|kubectl) ;; # nothing to build or start for these
  *) source scripts/prepare.sh ;;
esac
exec bash cluster/cluster.sh "$@"
