#!/usr/bin/env bash
# Builds the binaries a single-node cluster needs, from the Go module proxy, using the wrapper
# modules beside this script: the Kubernetes components, etcd, the Pulumi Kubernetes provider and
# Traefik. Each component is cached outside the repository under
#   ${DEPLOYMENT_RUNBOOK_CLUSTER_CACHE:-~/.cache/deployment-runbook/cluster}/<component>/<hash>/bin
# where <hash> covers the component's wrapper files, the Go version and this script, so a second
# run only hashes a few files. Progress goes to stderr; stdout gets one `component=bin-folder` line
# per component. Usage: build-cluster-binaries.sh [kubernetes|etcd|provider|traefik ...] (default all)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
cache_root=${DEPLOYMENT_RUNBOOK_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deployment-runbook/cluster}
provider_version=4.34.2 # the provider module is a pseudo-version; this is the release it matches

all=(kubernetes etcd provider traefik)
declare -A bins=(
  [kubernetes]="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"
  [etcd]="etcd"
  [provider]="pulumi-resource-kubernetes"
  [traefik]="traefik"
)
declare -A inputs=( # relative to $here; etcd shares the kubernetes module (see kubernetes/go.mod)
  [kubernetes]="kubernetes/go.mod kubernetes/go.sum"
  [etcd]="kubernetes/go.mod kubernetes/go.sum kubernetes/etcd/main.go"
  [provider]="provider/go.mod provider/go.sum provider/main.go provider/embedgen/main.go"
  [traefik]="traefik/go.mod traefik/go.sum"
)

say() { echo "cluster build: $*" >&2; }
die() { say "error: $*"; exit 1; }

selected=()
if [ $# -eq 0 ]; then selected=("${all[@]}"); else
  for c in "${all[@]}"; do for a in "$@"; do [ "$a" = "$c" ] && selected+=("$c"); done; done
  for a in "$@"; do [ -n "${bins[$a]+x}" ] || die "unknown component '$a' (known: ${all[*]})"; done
fi

command -v go >/dev/null || die "Go is required (the go.mod files need Go 1.26 or newer)"
# The build must not depend on the caller's Go settings: they are not part of the hash.
export GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
unset GOOS GOARCH GOEXPERIMENT
go_version=$(go version) # names the platform too

declare -A hash dir
for c in "${selected[@]}"; do
  files=()
  for f in ${inputs[$c]}; do [ -f "$here/$f" ] || die "missing input $here/$f"; files+=("$f"); done
  hash[$c]=$( { echo "$c"; echo "$go_version"; sha256sum <"$self"; (cd "$here" && sha256sum "${files[@]}"); } \
    | sha256sum | cut -c1-16)
  dir[$c]="$cache_root/$c/${hash[$c]}"
done

# A component is done when its bin folder (created by a final rename) holds every binary.
is_built() { local b; for b in ${bins[$1]}; do [ -x "${dir[$1]}/bin/$b" ] || return 1; done; }

# Prints "still building" every minute so a 15-minute compile is not silent.
ticker() {
  local s; trap '[ -n "${s:-}" ] && kill "$s" 2>/dev/null; exit 0' TERM
  while :; do sleep 60 & s=$!; wait "$s"; say "$1 still building, $(( $(date +%s) - $2 ))s"; done
}

build_kubernetes() { # one go build so the packages the five binaries share compile once
  local v; v=$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' go.mod)
  [ -n "$v" ] || die "kubernetes/go.mod does not require k8s.io/kubernetes"
  local major=${v#v}; major=${major%%.*}; local minor=${v#v"$major".}; minor=${minor%%.*}
  local ld="-s -w" p x
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for x in "gitVersion=$v" "gitMajor=$major" "gitMinor=$minor" gitTreeState=clean \
      "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do ld+=" -X $p.$x"; done
  done
  local pkgs=(); for b in ${bins[kubernetes]}; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  # Upstream's tags; static (CGO off) like upstream's control plane, kubelet included here.
  CGO_ENABLED=0 go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ld" -o "$1/" "${pkgs[@]}"
}

build_etcd() { # same tags and CGO setting as kubernetes, so the shared packages come from the cache
  CGO_ENABLED=0 go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "-s -w" -o "$1/etcd" ./etcd
}

build_provider() { # in a staging copy, where the generated JSON the main package embeds can live
  local src="${1%/*}/src" mod=github.com/pulumi/pulumi-kubernetes/provider/v4 moddir
  rm -rf "$src"; mkdir -p "$src"
  cp -r go.mod go.sum main.go embedgen "$src/"
  cd "$src"
  go mod download "$mod"
  moddir=$(go list -m -f '{{.Dir}}' "$mod")
  [ -f "$moddir/cmd/pulumi-resource-kubernetes/schema.json" ] || die "no schema.json in $moddir"
  go run ./embedgen "$moddir/cmd/pulumi-resource-kubernetes" . "$provider_version"
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $mod/pkg/version.Version=$provider_version" -o "$1/pulumi-resource-kubernetes" .
}

build_traefik() {
  local v; v=$(awk '$1 == "github.com/traefik/traefik/v3" {print $2; exit}' go.mod)
  [ -n "$v" ] || die "traefik/go.mod does not require github.com/traefik/traefik/v3"
  local p=github.com/traefik/traefik/v3/pkg/version
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $p.Version=$v -X $p.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -o "$1/traefik" github.com/traefik/traefik/v3/cmd/traefik
}

start_all=$(date +%s)
current="" tick="" build=""
on_exit() { # stops the ticker and any build cut short, and names the step that failed
  local rc=$?
  [ -z "$build" ] || kill -TERM -- "-$build" 2>/dev/null || true
  [ -z "$tick" ] || { kill "$tick" 2>/dev/null; wait "$tick" 2>/dev/null; } || true
  [ "$rc" -eq 0 ] || [ -z "$current" ] || say "error: $current failed after $(( $(date +%s) - start ))s"
}
trap on_exit EXIT

summary=()
n=${#selected[@]} i=0 locked=""
for c in "${selected[@]}"; do
  i=$((i + 1))
  label="$c $i/$n (${bins[$c]// /, })"
  if ! is_built "$c" && [ -z "$locked" ]; then
    # One build at a time, also across concurrent callers: the provider alone peaks at 4.5 GB.
    mkdir -p "$cache_root"; exec 9>"$cache_root/.build.lock"; flock 9; locked=1
  fi
  if is_built "$c"; then
    say "$label cached (${hash[$c]})"; summary+=("$c cached"); continue
  fi
  say "$label building (first run only; inputs ${hash[$c]})..."
  start=$(date +%s) current=$c
  partial="${dir[$c]}/bin.partial"
  rm -rf "$partial"; mkdir -p "$partial"
  ticker "$c" "$start" & tick=$!
  # Its own process group (set -m), so that if this script is killed the go build goes with it.
  set -m; (cd "$here/${inputs[$c]%%/*}" && "build_$c" "$partial") & build=$!; set +m
  wait "$build"; build=""
  kill "$tick" 2>/dev/null || true; wait "$tick" || true; tick=""
  rm -rf "${dir[$c]}/src"
  mv "$partial" "${dir[$c]}/bin"
  # Other hashes of this component are stale builds: drop them (each is 100-300 MB).
  for old in "$cache_root/$c"/*/; do [ "${old%/}" = "${dir[$c]}" ] || rm -rf "${old%/}"; done
  secs=$(( $(date +%s) - start )) current=""
  say "$label built in ${secs}s, $(du -sm "${dir[$c]}/bin" | cut -f1) MB"
  summary+=("$c built in ${secs}s")
done

for c in "${selected[@]}"; do echo "$c=${dir[$c]}/bin"; done
printf -v list '%s, ' "${summary[@]}"
say "done in $(( $(date +%s) - start_all ))s: ${list%, }"
