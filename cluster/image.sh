#!/usr/bin/env bash
# Builds an OCI image without Docker or a registry and imports it into the cluster's containerd
# as docker.io/local/<name>:<tag> (pods use it with imagePullPolicy: Never).
#
# The image is one layer: the host's `node` binary and the shared libraries `ldd` lists for it
# (so the image runs exactly the Node.js the project is tested with), plus the given files. With
# --bare it holds only the given files (static binaries such as the pod sandbox's pause).
#
# Usage: image.sh [options] <name> <tag> <dir-or-file>...
#   --dest DIR         where the files go in the image (default /app; a folder's contents go there)
#   --cmd 'A B'        the image's command, split on spaces (default: none)
#   --entrypoint 'A B' default /usr/local/bin/node (none with --bare)
#   --env K=V          repeatable
#   --bare             no Node.js runtime in the image
#   --no-import        only write the layout tar
#   --address SOCK     containerd socket (default: the cluster's, under the state folder)
# Prints the layout tar's path and the digests; the tar stays under <state>/cluster/images/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${RUNBOOK_STATE_DIR:-$HOME/.local/state/deployment-runbook}/cluster

PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
say() { echo "image: $*" >&2; }
die() { say "error: $*"; exit 1; }

dest=/app cmd="" entrypoint="" bare="" import=1 address="$state/containerd/containerd.sock" envs=()
entrypoint_set=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest=$2; shift 2 ;;
    --cmd) cmd=$2; shift 2 ;;
    --entrypoint) entrypoint=$2; entrypoint_set=1; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --bare) bare=1; shift ;;
    --no-import) import=""; shift ;;
    --address) address=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 3 ] || die "usage: image.sh [options] <name> <tag> <dir-or-file>... (see --help)"
name=$1 tag=$2; shift 2
[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "bad image name '$name'"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "bad tag '$tag'"
[[ $dest == /* ]] || die "--dest must be absolute"
ref="docker.io/local/$name:$tag"
start=$(date +%s.%N)

mkdir -p "$state/images"
work=$(mktemp -d "$state/images/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root$dest" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"

for src in "$@"; do
  [ -e "$src" ] || die "no such file or folder: $src"
  if [ -d "$src" ]; then cp -a "$src/." "$root$dest/"; else cp -a "$src" "$root$dest/"; fi
done

if [ -z "$bare" ]; then
  node_bin=$(readlink -f "$(command -v node)") || die "node is not installed"
  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  # Every library the dynamic loader resolves for node, at the same path, and the loader itself.
  while read -r lib; do
    [ -n "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
  # A user table so tools that look up uid 0 or nobody find them.
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  [ -n "$entrypoint_set" ] || entrypoint=/usr/local/bin/node
  envs=("PATH=/usr/local/bin:/usr/bin:/bin" "${envs[@]}")
fi

to_json() { # words -> JSON array of strings
  "$PY" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"
}
# shellcheck disable=SC2086 # word splitting of --cmd/--entrypoint is the documented interface
ep_json=$(to_json $entrypoint) cmd_json=$(to_json $cmd)

out="$state/images/$name-$tag.oci.tar"
env_args=(); for e in "${envs[@]}"; do env_args+=(--env "$e"); done
info=$("$PY" "$here/images/oci_layout.py" --rootfs "$root" --ref "$ref" --out "$out" \
  --entrypoint "$ep_json" --cmd "$cmd_json" --workdir "$dest" "${env_args[@]}")
size=$(du -m "$out" | cut -f1)
say "$ref written ($size MiB): $out"
echo "$info"

if [ -n "$import" ]; then
  [ -S "$address" ] || die "no containerd socket at $address (is the cluster up?)"
  # Unpacked for overlayfs at import, so the first pod does not pay for it.
  ctr -n k8s.io --address "$address" images import "$out" >&2
  ctr -n k8s.io --address "$address" images ls -q | grep -xF "$ref" >/dev/null || die "$ref missing after import"
  say "$ref imported in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi
