#!/usr/bin/env bash
# Builds the Pulumi CLI (from the Go module proxy, at the version pinned in engine/go.mod) and this
# project's Node.js language host, and installs the launchers beside them. The result is cached
# outside the repository; a second run only checks a stamp. Prints the bin folder on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(grep -oE "github.com/pulumi/pulumi/pkg/v3 v[0-9.]+" "$here/go.mod" | head -1 | cut -d" " -f2)
[ -n "$version" ] || { echo "engine/go.mod does not pin github.com/pulumi/pulumi/pkg/v3" >&2; exit 1; }
cache_root=${DEPLOYMENT_RUNBOOK_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deployment-runbook/engine}
bin="$cache_root/$version/bin"
mkdir -p "$bin"

# The stamp covers everything that goes into the build, so editing the host or a launcher rebuilds.
stamp=$(cat "$here/go.mod" "$here/go.sum" "$here/language-host/"*.go "$here/launchers/"* | sha256sum | cut -c1-16)
if [ -x "$bin/pulumi" ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "Go is required to build the Pulumi engine (see README)" >&2; exit 1; }
# One build at a time: parallel test workers may all ask for the engine at once.
exec 9>"$cache_root/.build.lock"
flock 9
if [ -x "$bin/pulumi" ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$bin"
  exit 0
fi

echo "building the Pulumi engine $version (first run only; a few minutes)..." >&2
start=$(date +%s)
cd "$here"
export GOFLAGS="${GOFLAGS:--buildvcs=false} -mod=mod"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
go build -ldflags "$ldflags" -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -ldflags "$ldflags" -o "$bin/pulumi-language-nodejs.tmp" ./language-host
mv "$bin/pulumi.tmp" "$bin/pulumi"
mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
install -m 0755 "$here/launchers/"* "$bin/"
echo "$stamp" > "$bin/.stamp"
echo "engine $version built in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
