#!/usr/bin/env bash
# Builds Flagger (github.com/fluxcd/flagger, the controller only) from the Go module proxy for the
# benchmark's comparison on the project's cluster. Cached outside the repository under
#   ${DEPLOYMENT_RUNBOOK_CLUSTER_CACHE:-~/.cache/deployment-runbook/cluster}/flagger/<hash>/bin
# where <hash> covers the version, the Go version and this script. Progress goes to stderr; stdout
# gets `flagger=<bin folder>` and `flagger-module=<module folder>` (the CRDs are in its artifacts/).
set -euo pipefail
version=v1.36.1
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cache_root=${DEPLOYMENT_RUNBOOK_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deployment-runbook/cluster}
mod=github.com/fluxcd/flagger
say() { echo "flagger build: $*" >&2; }

command -v go >/dev/null || { say "error: Go is required"; exit 1; }
export GOFLAGS="-buildvcs=false" GOTOOLCHAIN=local
unset GOOS GOARCH GOEXPERIMENT
hash=$( { echo "$version"; go version; sha256sum <"$self"; } | sha256sum | cut -c1-16)
dir="$cache_root/flagger/$hash"

# The module's files (CRDs) are needed even when the binary is cached: download is instant then.
ticker=
work=$(mktemp -d); trap 'rm -rf "$work"; [ -n "$ticker" ] && kill "$ticker" 2>/dev/null; true' EXIT
moddir=$(cd "$work" && go mod download -json "$mod@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -f "$moddir/artifacts/flagger/crd.yaml" ] || { say "error: no artifacts/flagger/crd.yaml in $mod@$version"; exit 1; }

if [ ! -x "$dir/bin/flagger" ]; then
  say "building $mod $version (cached in $dir; about 4 minutes of CPU, once)"
  start=$(date +%s)
  ( while sleep 60; do say "still building, $(( $(date +%s) - start ))s"; done ) & ticker=$!
  rm -rf "$dir/tmp"; mkdir -p "$dir/tmp"
  # `go install pkg@version` builds with the module's own go.mod and go.sum, checked against the sum database.
  CGO_ENABLED=0 GOBIN="$dir/tmp" go install -trimpath -ldflags "-s -w" "$mod/cmd/flagger@$version"
  rm -rf "$dir/bin"; mv "$dir/tmp" "$dir/bin"
  say "built in $(( $(date +%s) - start ))s"
fi
echo "flagger=$dir/bin"
echo "flagger-module=$moddir"
