#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, brought up by the project itself:
# etcd, kube-apiserver, controller-manager, scheduler, a private containerd, one kubelet, the
# Gateway API standard CRDs, a Gateway `runbook-gateway` and Traefik (outside the cluster) serving
# it on 127.0.0.1; a Prometheus scraping the project's pods; forwarders that make the local
# PostgreSQL and Redis reachable from pods; the sample service's image.
# Usage: cluster.sh up|down|status | cluster.sh release <version>...
#
# Everything lives under ${RUNBOOK_STATE_DIR:-~/.local/state/deployment-runbook}/cluster/.
# Addresses: 127.0.0.1 and the pod bridge this script creates (rbk0, 10.88.0.1/24); no NAT, no
# iptables changes. Ports stay clear of the ranges the project's tests use (see below).
#
# Supervision: each component is a plain background process in its own session, with a pid file
# and a log under the state folder. There is no systemd on this machine kind (PID 1 is not an
# init system), and the project's supervisord belongs to the local target; a pid file checked
# against /proc/<pid>/cmdline is enough for `up` to act as the reconciler: it starts whatever is
# not running and healthy, so a second `up` is only a round of health checks.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=${RUNBOOK_STATE_DIR:-$HOME/.local/state/deployment-runbook}/cluster

# --- fixed settings ------------------------------------------------------------------------------
ETCD_CLIENT=12379 ETCD_PEER=12380 APISERVER=16443 GATEWAY_PORT=17080 TRAEFIK_PING=17081
CM_PORT=10257 SCHED_PORT=10259 KUBELET_PORT=10250 KUBELET_HEALTHZ=10248 CRI_STREAM=10010
BRIDGE=rbk0 BRIDGE_ADDR=10.88.0.1 POD_CIDR=10.88.0.0/24 SERVICE_CIDR=10.96.0.0/24
PROM_PORT=17090 POD_SD_PORT=17091 NODE_EXPORTER_PORT=17092 PG_FORWARD=5432 REDIS_FORWARD=6379
# What the forwarders relay to: the local target's servers (names as in scripts/bootstrap-local.sh).
PG_UPSTREAM=${RUNBOOK_PG_PORT:-5432} REDIS_UPSTREAM=${RUNBOOK_REDIS_PORT:-6379}
NODE=runbook-node
GATEWAY_API_VERSION=v1.6.3
PAUSE_IMAGE=docker.io/local/pause:3.10
DEB_PACKAGES=(containerd runc containernetworking-plugins socat prometheus-node-exporter)
CNI_BIN=/usr/lib/cni
# What the kubelet rewrites at start (it sets its own kernel tunables); saved before, restored on down.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet traefik pod-sd
  node-exporter prometheus forward-postgres forward-redis)
# The sample service's image: its compiled JavaScript and the closure of these packages' dependencies.
SAMPLE_IMAGE=docker.io/local/sample-service SAMPLE_DEPS=(pg ioredis prom-client)
project=$(cd "$here/.." && pwd)

pki=$S/pki run=$S/run logs=$S/logs
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3 # the system one: a pyenv shim costs 0.1 s a call
sock=$S/containerd/containerd.sock
kubeconfig=$S/kubeconfig

# --- output and timing ---------------------------------------------------------------------------
say() { echo "cluster: $*"; }
die() { echo "cluster: error: $*" >&2; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
secs() { local d=$(( $(now_ms) - $1 )); printf '%d.%d s' $(( d / 1000 )) $(( d % 1000 / 100 )); }
t0=$(now_ms)

# (In pipelines, grep reads all its input instead of -q: with pipefail, an early exit would turn
# the writer's SIGPIPE into a failure.)
# --- processes -----------------------------------------------------------------------------------
pid_of() { [ -f "$run/$1.pid" ] && cat "$run/$1.pid" || true; }
# Running = the recorded pid is alive, not a zombie, and its command line names our state folder
# (guards against a recycled pid after a reboot or a crash).
running() {
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F "$S/" >/dev/null
}
launch() { # name env-and-command... ; the command must mention $S somewhere in its arguments
  local name=$1; shift
  mkdir -p "$run" "$logs"
  echo "=== $(date -u +%FT%TZ) start" >>"$logs/$name.log"
  # setsid: own session, so the process outlives this shell and a Ctrl-C in it.
  # 8>&-: the daemon must not inherit the lock `up` holds, or the next `up` waits forever.
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null 8>&- &
  local pid=$! i
  echo "$pid" >"$run/$name.pid"
  # `running` knows a daemon by its command line, which stays this script's until the forked shell
  # has exec'd the command: on a loaded machine a check in that gap once took a starting Traefik
  # for dead. Wait for the exec (or the process's end, which wait_for then reports with its log).
  for ((i = 0; i < 200; i++)); do
    running "$name" && return 0
    [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.05
  done
}
stop() { # name [grace seconds]
  local name=$1 grace=${2:-10} pid i
  if ! running "$name"; then rm -f "$run/$name.pid"; return 0; fi
  pid=$(pid_of "$name")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do running "$name" || break; sleep 0.1; done
  if running "$name"; then say "$name did not stop in ${grace}s, killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  rm -f "$run/$name.pid"
  say "$name stopped"
}
wait_for() { # name timeout-seconds check-command...
  local name=$1 timeout=$2 start; shift 2; start=$(now_ms)
  until "$@" >/dev/null 2>&1; do
    running "$name" || die "$name exited; last log lines:$(echo; tail -n 15 "$logs/$name.log")"
    (( $(now_ms) - start < timeout * 1000 )) || die "$name not healthy after ${timeout}s (log: $logs/$name.log)"
    sleep 0.1
  done
}
already() { say "$1 already running (pid $(pid_of "$1"), healthy)"; }
rss_mib() { local pid; pid=$(pid_of "$1"); awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo "?"; }

# --- health checks (curl: much cheaper than a kubectl process) -------------------------------------
admin_curl() { curl -sf --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$APISERVER$1"; }
etcd_ok() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_CLIENT/health" | grep '"health":"true"' >/dev/null; }
apiserver_ok() { [ "$(admin_curl /readyz)" = ok ]; }
cm_ok() { [ "$(curl -skf --max-time 2 "https://127.0.0.1:$CM_PORT/healthz")" = ok ]; }
sched_ok() { [ "$(curl -skf --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz")" = ok ]; }
containerd_ok() { ctr --address "$sock" version >/dev/null 2>&1; }
kubelet_ok() { [ "$(curl -sf --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ/healthz")" = ok ]; }
traefik_ok() { [ "$(curl -sf --max-time 2 "http://127.0.0.1:$TRAEFIK_PING/ping")" = OK ]; }
prometheus_ok() { curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"; }
node_exporter_ok() { curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$NODE_EXPORTER_PORT/metrics"; }
pod_sd_ok() { [ "$(curl -sf --max-time 6 "http://127.0.0.1:$POD_SD_PORT/healthz")" = ok ]; } # = it listed pods just now
# A TCP connect to the forwarder, closed without a byte (PostgreSQL logs nothing for that).
forward_ok() { (exec 3<>"/dev/tcp/$BRIDGE_ADDR/$1") 2>/dev/null; }
# A condition's status from an object's JSON, without needing jq on the machine.
condition() { # api-path type
  { admin_curl "$1" || true; } | "$PY" -c 'import json,sys
try: o=json.load(sys.stdin)
except ValueError: o={}
print(next((c["status"] for c in o.get("status",{}).get("conditions",[]) if c["type"]==sys.argv[1]),""))' "$2"
}
# After a down/up, etcd still holds the old node and pod statuses: "Ready" only counts when it
# was reported after the current kubelet started (its start time is in run/kubelet.started).
fresh() { # api-path node|pods
  local since; since=$(cat "$run/kubelet.started" 2>/dev/null || echo 0)
  { admin_curl "$1" || true; } | "$PY" -c '
import datetime, json, sys
since, mode = int(sys.argv[1]) - 1, sys.argv[2]
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() if s else 0
def ready(o): return next((c for c in o.get("status", {}).get("conditions", []) if c["type"] == "Ready"), {})
try: o = json.load(sys.stdin)
except ValueError: sys.exit(1)
if mode == "node":
    c = ready(o); sys.exit(0 if c.get("status") == "True" and t(c.get("lastHeartbeatTime")) >= since else 1)
# pods: every pod that claims to be ready has containers started by this kubelet
for p in o.get("items", []):
    if ready(p).get("status") != "True": continue
    for cs in p["status"].get("containerStatuses", []):
        if t(cs.get("state", {}).get("running", {}).get("startedAt")) < since: sys.exit(1)
' "$since" "$2"
}
node_ready() { fresh "/api/v1/nodes/$NODE" node; }
pods_resynced() { fresh "/api/v1/pods?fieldSelector=spec.nodeName%3D$NODE" pods; }
gateway_programmed() { [ "$(condition /apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/runbook-gateway Programmed)" = True ]; }

# --- binaries and packages -----------------------------------------------------------------------
binaries() {
  local line
  while IFS= read -r line; do
    case "$line" in
      kubernetes=*) KBIN=${line#*=} ;; etcd=*) EBIN=${line#*=} ;; traefik=*) TBIN=${line#*=} ;;
      provider=*) PBIN=${line#*=} ;;
    esac
  done < <("$here/build/build-cluster-binaries.sh" kubernetes etcd traefik provider)
  [ -n "${KBIN:-}" ] && [ -n "${EBIN:-}" ] && [ -n "${TBIN:-}" ] && [ -n "${PBIN:-}" ] || die "build-cluster-binaries.sh gave no bin folders"
}
# The Pulumi Kubernetes provider's folder, for the engine's PATH (the TypeScript side reads it).
provider_bin() {
  [ -x "$PBIN/pulumi-resource-kubernetes" ] || die "no pulumi-resource-kubernetes in $PBIN"
  [ "$(cat "$S/provider-bin" 2>/dev/null)" = "$PBIN" ] && return 0
  echo "$PBIN" >"$S/provider-bin.partial"; mv "$S/provider-bin.partial" "$S/provider-bin"
  say "provider bin folder recorded in $S/provider-bin: $PBIN"
}
kubectl() { "$KBIN/kubectl" --kubeconfig "$kubeconfig" "$@"; }

packages() {
  local missing=() p
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" >"$logs/apt.log" 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=600 update -q >>"$logs/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" >>"$logs/apt.log" 2>&1; } \
    || die "apt-get install failed (see $logs/apt.log)"
  # This cluster runs its own containerd; a system one (where an init system started it) is not used.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now containerd >/dev/null 2>&1 || true
  fi
}

# --- certificates (openssl, once) ----------------------------------------------------------------
certificates() {
  [ -f "$pki/.complete" ] && return 0
  local start; start=$(now_ms)
  local tmp="$pki.partial"; rm -rf "$tmp"; mkdir -p "$tmp"; chmod 700 "$tmp"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 3650 -subj "/CN=runbook-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  leaf() { # name subject usage [subjectAltName]
    openssl req -new "${ec[@]}" -keyout "$tmp/$1.key" -subj "$2" 2>/dev/null |
      openssl x509 -req -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -set_serial "0x$(openssl rand -hex 16)" -days 3650 \
        -out "$tmp/$1.crt" -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' \
          "$3" "${4:+subjectAltName=$4}") 2>/dev/null
  }
  leaf apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$BRIDGE_ADDR,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  leaf admin "/O=system:masters/CN=runbook-admin" clientAuth
  leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  leaf controller-manager "/CN=system:kube-controller-manager" clientAuth
  leaf scheduler "/CN=system:kube-scheduler" clientAuth
  leaf kubelet "/O=system:nodes/CN=system:node:$NODE" clientAuth
  leaf kubelet-serving "/CN=$NODE" serverAuth "IP:$BRIDGE_ADDR,DNS:$NODE"
  # Service-account tokens are signed with this key and verified with its public half.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/sa.key" 2>/dev/null
  openssl pkey -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub" 2>/dev/null
  chmod 600 "$tmp"/*.key
  touch "$tmp/.complete"
  rm -rf "$pki"; mv "$tmp" "$pki"
  rm -f "$S"/kubeconfig "$S"/*.kubeconfig # they embed the old certificates
  say "certificates made ($(secs "$start"))"
}

write_kubeconfig() { # file user cert-name
  [ -f "$1" ] && return 0
  b() { base64 -w0 <"$1"; }
  umask 077
  cat >"$1.partial" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: runbook
  cluster:
    server: https://127.0.0.1:$APISERVER
    certificate-authority-data: $(b "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b "$pki/$3.crt")
    client-key-data: $(b "$pki/$3.key")
contexts:
- name: runbook
  context: {cluster: runbook, user: $2}
current-context: runbook
EOF
  mv "$1.partial" "$1"
  umask 022
}

# --- the pod bridge and saved sysctls ------------------------------------------------------------
bridge_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    say "bridge $BRIDGE created"
  fi
  ip -4 addr show dev "$BRIDGE" | grep -F "inet $BRIDGE_ADDR/" >/dev/null || ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

save_sysctls() { # only once per up/down cycle: the first copy holds the machine's own values
  [ -f "$run/sysctl.saved" ] && return 0
  local k; for k in "${SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k")"; done >"$run/sysctl.saved.partial"
  mv "$run/sysctl.saved.partial" "$run/sysctl.saved"
  # Directories the container runtime creates outside the state folder and we remove on down
  # if they did not exist before.
  # (shim sockets, libcni's result cache, the kubelet's fixed log-link folder)
  local d; for d in /run/containerd /var/lib/cni /var/log/containers; do [ -e "$d" ] || echo "$d"; done >"$run/created-dirs"
}

# --- components ----------------------------------------------------------------------------------
start_etcd() {
  if running etcd && etcd_ok; then already etcd; return 0; fi
  local start; start=$(now_ms)
  mkdir -p "$S/etcd"; chmod 700 "$S/etcd"
  launch etcd "$EBIN/etcd" --name runbook --data-dir "$S/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "runbook=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new \
    --quota-backend-bytes 2147483648 --log-level warn
  wait_for etcd 30 etcd_ok
  say "etcd healthy ($(secs "$start"))"
}

start_apiserver() {
  if running kube-apiserver && apiserver_ok; then already kube-apiserver; return 0; fi
  local start; start=$(now_ms)
  launch kube-apiserver "$KBIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER" --advertise-address "$BRIDGE_ADDR" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --disable-admission-plugins ServiceAccount \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --allow-privileged=true --profiling=false --v=1
  wait_for kube-apiserver 90 apiserver_ok
  say "kube-apiserver ready ($(secs "$start"))"
}

start_controllers() { # controller-manager and scheduler start side by side
  local start started=(); start=$(now_ms)
  if running kube-controller-manager && cm_ok; then already kube-controller-manager; else
    # No leader election: one node, and a new identity would wait out the old lease after a restart.
    launch kube-controller-manager "$KBIN/kube-controller-manager" \
      --kubeconfig "$S/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$S/controller-manager.kubeconfig" --authorization-kubeconfig "$S/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$CM_PORT" --leader-elect=false \
      --use-service-account-credentials=true \
      --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
      --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
      --allocate-node-cidrs=false --service-cluster-ip-range "$SERVICE_CIDR" --v=1
    started+=(kube-controller-manager)
  fi
  if running kube-scheduler && sched_ok; then already kube-scheduler; else
    launch kube-scheduler "$KBIN/kube-scheduler" \
      --kubeconfig "$S/scheduler.kubeconfig" \
      --authentication-kubeconfig "$S/scheduler.kubeconfig" --authorization-kubeconfig "$S/scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --v=1
    started+=(kube-scheduler)
  fi
  local c
  for c in "${started[@]}"; do
    case $c in kube-controller-manager) wait_for "$c" 60 cm_ok ;; kube-scheduler) wait_for "$c" 60 sched_ok ;; esac
    say "$c healthy ($(secs "$start"))"
  done
}

containerd_config() {
  mkdir -p "$S/containerd" "$S/cni/net.d" "$S/cni/ipam"
  cat >"$S/containerd/config.toml" <<EOF
# Generated by cluster/cluster.sh: a containerd of the cluster's own, nothing shared with a system one.
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: without this runc fails "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "$CRI_STREAM"
  # Pod network namespaces under the state folder, so down finds and unmounts every one.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$S/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$S/cni/net.d"
    max_conf_num = 1
EOF
  # bridge without gateway or masquerade: pods reach the host (10.88.0.1) and each other, nothing else.
  cat >"$S/cni/net.d/10-runbook.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "runbook",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.88.0.10", "rangeEnd": "10.88.0.250"}]],
        "dataDir": "$S/cni/ipam"
      }
    }
  ]
}
EOF
}

pause_image() {
  ctr -n k8s.io --address "$sock" images ls -q 2>/dev/null | grep -xF "$PAUSE_IMAGE" >/dev/null && return 0
  local start dir=$S/images/pause-src name=${PAUSE_IMAGE##*/}; start=$(now_ms)
  mkdir -p "$dir"
  # A static binary: the image needs nothing else (no libc, no shell).
  gcc -static -Os -s -o "$dir/pause" "$here/images/pause.c"
  "$here/image.sh" --bare --dest / --entrypoint /pause "${name%%:*}" "${name##*:}" "$dir/pause" >/dev/null 2>>"$logs/image.log" \
    || die "pause image failed (see $logs/image.log)"
  say "pause image built and imported ($(secs "$start"))"
}

start_containerd() {
  containerd_config
  if running containerd && containerd_ok; then already containerd; else
    local start; start=$(now_ms)
    launch containerd env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      containerd --config "$S/containerd/config.toml"
    wait_for containerd 30 containerd_ok
    say "containerd ready ($(secs "$start"))"
  fi
  pause_image
}

kubelet_config() {
  mkdir -p "$S/kubelet/root" "$S/kubelet/pod-logs" "$S/kubelet/volume-plugins"
  cat >"$S/kubelet/config.yaml" <<EOF
# Generated by cluster/cluster.sh.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $BRIDGE_ADDR
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$sock
# This machine kind: cgroup v1 without systemd, swap allowed, and no iptables chains of ours.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
makeIPTablesUtilChains: false
podLogsDir: $S/kubelet/pod-logs
volumePluginDir: $S/kubelet/volume-plugins
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# Locally imported images cannot be pulled again: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
rotateCertificates: false
serverTLSBootstrap: false
shutdownGracePeriod: 0s
EOF
}

start_kubelet() {
  kubelet_config
  local start launched=""; start=$(now_ms)
  if running kubelet && kubelet_ok; then already kubelet; else
    launch kubelet env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      "$KBIN/kubelet" --config "$S/kubelet/config.yaml" --kubeconfig "$S/kubelet.kubeconfig" \
      --root-dir "$S/kubelet/root" --cert-dir "$S/kubelet/pki" \
      --hostname-override "$NODE" --node-ip "$BRIDGE_ADDR" --v=1
    date +%s >"$run/kubelet.started"
    wait_for kubelet 60 kubelet_ok
    say "kubelet healthy ($(secs "$start"))"
    launched=1
  fi
  if ! node_ready; then
    wait_for kubelet 90 node_ready
    say "node $NODE Ready ($(secs "$start"))"
  fi
  # Pods kept from before a down are restarted by the new kubelet; until then their old "Ready"
  # would send traffic to addresses nothing answers on.
  if [ -n "$launched" ] && ! pods_resynced; then
    wait_for kubelet 120 pods_resynced
    say "pods from before restarted ($(secs "$start"))"
  fi
}

# --- Gateway API CRDs, RBAC for Traefik, GatewayClass and Gateway --------------------------------
gateway_api_dir() { # the module zip's folder (go mod download caches it; the path is remembered)
  local f=$run/gateway-api.dir d
  if [ -f "$f" ] && d=$(cat "$f") && [ -d "$d/config/crd/standard" ]; then echo "$d"; return; fi
  d=$(cd "$S" && GOFLAGS='' GOWORK=off GOTOOLCHAIN=local GO111MODULE=on go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || die "go mod download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION failed"
  [ -d "$d/config/crd/standard" ] || die "no config/crd/standard in $d"
  echo "$d" >"$f"; echo "$d"
}

write_manifests() {
  mkdir -p "$S/manifests"
  cat >"$S/manifests/gateway.yaml" <<EOF
# Generated by cluster/cluster.sh. Traefik runs outside the cluster as service account
# runbook-system/traefik; these are the objects its Gateway provider reads and the statuses it writes.
# Prometheus, outside too, lists and watches pods as runbook-system/prometheus.
apiVersion: v1
kind: Namespace
metadata: {name: runbook-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: traefik, namespace: runbook-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: runbook-traefik-gateway}
rules:
- apiGroups: [""]
  resources: [namespaces, services, secrets, configmaps]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses, gateways, httproutes, grpcroutes, referencegrants, backendtlspolicies, tcproutes, tlsroutes]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses/status, gateways/status, httproutes/status, grpcroutes/status, backendtlspolicies/status, tcproutes/status, tlsroutes/status]
  verbs: [update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: runbook-traefik-gateway}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: runbook-traefik-gateway}
subjects:
- {kind: ServiceAccount, name: traefik, namespace: runbook-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: prometheus, namespace: runbook-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: runbook-prometheus}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: runbook-prometheus}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: runbook-prometheus}
subjects:
- {kind: ServiceAccount, name: prometheus, namespace: runbook-system}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: traefik}
spec:
  controllerName: traefik.io/gateway-controller
---
# The listener's port is Traefik's entryPoint port: that is how Traefik maps one to the other.
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: runbook-gateway
  namespace: default
  annotations: {runbook-manifest-hash: "@HASH@"}
spec:
  gatewayClassName: traefik
  listeners:
  - name: web
    protocol: HTTP
    port: $GATEWAY_PORT
    allowedRoutes:
      namespaces: {from: All}
EOF
}

install_gateway() {
  local start dir hash current; start=$(now_ms)
  dir=$(gateway_api_dir)
  write_manifests
  local crds=() f
  for f in "$dir"/config/crd/standard/gateway.networking.k8s.io_*.yaml; do crds+=(-f "$f"); done
  [ ${#crds[@]} -gt 0 ] || die "no CRD files in $dir/config/crd/standard"
  hash=$( { cat "$S/manifests/gateway.yaml"; cat "$dir"/config/crd/standard/gateway.networking.k8s.io_*.yaml; } | sha256sum | cut -c1-16)
  current=$(admin_curl /apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/runbook-gateway 2>/dev/null |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["metadata"].get("annotations",{}).get("runbook-manifest-hash",""))' 2>/dev/null || true)
  if [ "$current" = "$hash" ]; then say "Gateway API CRDs and runbook-gateway already applied ($hash)"; return 0; fi
  # Server-side apply: the CRDs are too large for the last-applied annotation of a client-side apply.
  kubectl apply --server-side --force-conflicts "${crds[@]}" >"$logs/crds.log" 2>&1 || die "CRDs failed: $(cat "$logs/crds.log")"
  # Only the CRDs have an Established condition (the folder also holds a ValidatingAdmissionPolicy).
  local names=()
  for f in "$dir"/config/crd/standard/gateway.networking.k8s.io_*.yaml; do
    grep -q '^kind: CustomResourceDefinition' "$f" || continue
    f=${f##*/gateway.networking.k8s.io_}; names+=("crd/${f%.yaml}.gateway.networking.k8s.io")
  done
  kubectl wait --for condition=Established --timeout 60s "${names[@]}" >>"$logs/crds.log" 2>&1 || die "CRDs not established (see $logs/crds.log)"
  sed -i "s/@HASH@/$hash/" "$S/manifests/gateway.yaml"
  kubectl apply --server-side --force-conflicts -f "$S/manifests/gateway.yaml" >>"$logs/crds.log" 2>&1 || die "gateway objects failed: $(tail -5 "$logs/crds.log")"
  say "Gateway API $GATEWAY_API_VERSION CRDs, GatewayClass traefik and Gateway runbook-gateway applied ($(secs "$start"))"
}

start_traefik() {
  local start; start=$(now_ms)
  if running traefik && traefik_ok; then already traefik; else
    mkdir -p "$S/traefik"
    # A fresh token each start: TokenRequest, signed with the service-account key.
    # No trailing newline: Traefik sends the file's bytes as the bearer token.
    (umask 077; kubectl create token traefik -n runbook-system --duration 8760h | tr -d '\n' >"$S/traefik/token")
    cat >"$S/traefik/traefik.yml" <<EOF
# Generated by cluster/cluster.sh. Only these two entryPoints: nothing on Traefik's default ports.
global: {checkNewVersion: false, sendAnonymousUsage: false}
entryPoints:
  web: {address: "127.0.0.1:$GATEWAY_PORT"}
  ping: {address: "127.0.0.1:$TRAEFIK_PING"}
ping: {entryPoint: ping}
log: {level: INFO}
providers:
  kubernetesGateway:
    endpoint: https://127.0.0.1:$APISERVER
    token: $S/traefik/token
    certAuthFilePath: $pki/ca.crt
    statusAddress: {ip: 127.0.0.1}
EOF
    # Without KUBECONFIG (and the in-cluster variables): Traefik would silently prefer it.
    launch traefik env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT \
      "$TBIN/traefik" --configFile "$S/traefik/traefik.yml"
    wait_for traefik 30 traefik_ok
    say "traefik serving 127.0.0.1:$GATEWAY_PORT ($(secs "$start"))"
  fi
  gateway_programmed && return 0
  wait_for traefik 60 gateway_programmed
  say "Gateway runbook-gateway programmed ($(secs "$start"))"
}

# --- PostgreSQL and Redis for pods ---------------------------------------------------------------
# The local target's PostgreSQL and Redis listen on 127.0.0.1 only, and a pod's loopback is its
# own. One socat each listens on the node address and relays every connection to loopback (a
# forked child per connection), so the servers see clients from 127.0.0.1 and their loopback
# rules (pg_hba's 127.0.0.1/32 line) apply. -lf names the log, which puts our state folder in the
# command line that `running` checks.
forward_procs() { # pids of the socat processes (the listener and its children) of one forwarder
  local f pid socat; socat=$(command -v socat) || return 0
  for f in $(grep -lsF -- "$logs/$1.log" /proc/[0-9]*/cmdline); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$socat" ] && echo "$pid"
  done
  return 0
}
stop_forwarder() { # name: the listener, then the children relaying open connections
  stop "$1" 5
  local pid; for pid in $(forward_procs "$1"); do kill -KILL "$pid" 2>/dev/null || true; done
}
start_forwarder() { # name listen-port upstream-port
  local name=$1 port=$2 upstream=$3 start; start=$(now_ms)
  [[ $upstream =~ ^[0-9]+$ ]] && ((upstream >= 1 && upstream <= 65535)) || die "$name: upstream port '$upstream' is not a TCP port"
  # Healthy and relaying where it should (RUNBOOK_*_PORT may have changed since it started).
  if running "$name" && tr '\0' ' ' <"/proc/$(pid_of "$name")/cmdline" | grep -F -- " TCP:127.0.0.1:$upstream," >/dev/null \
    && forward_ok "$port"; then already "$name"; return 0; fi
  stop_forwarder "$name" # a stale one would hold the port
  launch "$name" socat -lf "$logs/$name.log" \
    "TCP-LISTEN:$port,bind=$BRIDGE_ADDR,reuseaddr,fork,nodelay" "TCP:127.0.0.1:$upstream,nodelay"
  wait_for "$name" 10 forward_ok "$port"
  say "$name $BRIDGE_ADDR:$port -> 127.0.0.1:$upstream ($(secs "$start"))"
}
start_forwarders() {
  start_forwarder forward-postgres "$PG_FORWARD" "$PG_UPSTREAM"
  start_forwarder forward-redis "$REDIS_FORWARD" "$REDIS_UPSTREAM"
}

# --- Prometheus for the cluster's pods -----------------------------------------------------------
# Debian's prometheus, outside the cluster like Traefik. It scrapes a pod's container port named
# `http` when the pod has the label deployment-runbook/stack, with the target labels the gates
# select on (stack, service, color; `version` is the app's own metric label), like the local
# target's file_sd job. As there, honor_labels stays false: the app's own `color` label becomes
# exported_color (the same value).
# Debian builds prometheus without Kubernetes discovery (kubernetes_sd_configs is an unknown
# field), so pod-sd (prometheus/pod_sd.py) stands in: HTTP service discovery that lists the pods
# from the apiserver as runbook-system/prometheus at each poll and gives them the
# __meta_kubernetes_* labels of kubernetes_sd `role: pod`; the relabeling below is a
# kubernetes_sd job's.
start_pod_sd() {
  local start; start=$(now_ms)
  if running pod-sd && pod_sd_ok; then already pod-sd; return 0; fi
  stop pod-sd 5
  mkdir -p "$S/prometheus"
  # A fresh token each start, as for Traefik.
  (umask 077; kubectl create token prometheus -n runbook-system --duration 8760h | tr -d '\n' >"$S/prometheus/token")
  launch pod-sd "$PY" "$here/prometheus/pod_sd.py" --listen "127.0.0.1:$POD_SD_PORT" \
    --apiserver "https://127.0.0.1:$APISERVER" --ca "$pki/ca.crt" --token "$S/prometheus/token" \
    --selector deployment-runbook/stack
  wait_for pod-sd 20 pod_sd_ok
  say "pod-sd serving http://127.0.0.1:$POD_SD_PORT/targets ($(secs "$start"))"
}

# The node's CPU, memory and disk for the gate's infrastructure check: Debian's node_exporter, as a
# DaemonSet's would run on each node of a real cluster (this one has one node, this machine). Only
# the collectors the check and the alert rules read; the textfile folder is where an operator drops
# more node metrics (and names this cluster's state in the command line, which `running` checks).
start_node_exporter() {
  local start; start=$(now_ms)
  command -v prometheus-node-exporter >/dev/null || die "prometheus-node-exporter is not installed (Debian's package; cluster.sh up installs it)"
  if running node-exporter && node_exporter_ok; then already node-exporter; return 0; fi
  stop node-exporter 5
  mkdir -p "$S/node-exporter"
  launch node-exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_EXPORTER_PORT" \
    --collector.disable-defaults --collector.cpu --collector.meminfo --collector.filesystem \
    --collector.textfile --collector.textfile.directory="$S/node-exporter"
  wait_for node-exporter 20 node_exporter_ok
  say "node-exporter serving http://127.0.0.1:$NODE_EXPORTER_PORT/metrics ($(secs "$start"))"
}

prometheus_config() { # writes $S/prometheus/prometheus.yml; returns 0 when it changed
  local f=$S/prometheus/prometheus.yml
  cat >"$f.partial" <<EOF
# Generated by cluster/cluster.sh: the cluster's Prometheus (the local target's is on 9090).
global:
  scrape_interval: 1s
  evaluation_interval: 1s
# The alert rules the project ships (the gate's monitoring check requires their group loaded).
rule_files:
  - '$S/prometheus/rules.yml'
scrape_configs:
  # The node, named as the API server names it (a multi-node cluster's node_exporter job would be
  # relabelled the same way from kubernetes_sd role: node).
  - job_name: node
    scrape_interval: 5s
    static_configs:
      - targets: ['127.0.0.1:$NODE_EXPORTER_PORT']
    relabel_configs:
      - {target_label: instance, replacement: $NODE}
  - job_name: kubernetes-pods
    metrics_path: /metrics
    scheme: http
    # In place of kubernetes_sd_configs [{role: pod, selectors: [{role: pod, label: deployment-runbook/stack}]}].
    http_sd_configs:
      - url: http://127.0.0.1:$POD_SD_PORT/targets
        refresh_interval: 1s
    relabel_configs:
      - {action: keep, source_labels: [__meta_kubernetes_pod_labelpresent_deployment_runbook_stack], regex: "true"}
      - {action: keep, source_labels: [__meta_kubernetes_pod_container_port_name], regex: http}
      - {action: keep, source_labels: [__meta_kubernetes_pod_phase], regex: Running}
      - {source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_container_port_number], separator: ":", target_label: __address__}
      - {source_labels: [__meta_kubernetes_pod_label_deployment_runbook_stack], target_label: stack}
      - {source_labels: [__meta_kubernetes_pod_label_app], target_label: service}
      - {source_labels: [__meta_kubernetes_pod_label_color], target_label: color}
      - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
      - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
EOF
  local rules_changed=""
  if ! cmp -s "$project/components/targets/local/prometheus-rules.yml" "$S/prometheus/rules.yml"; then
    cp "$project/components/targets/local/prometheus-rules.yml" "$S/prometheus/rules.yml"; rules_changed=1
  fi
  if cmp -s "$f.partial" "$f"; then rm -f "$f.partial"; [ -n "$rules_changed" ]; return; fi
  if command -v promtool >/dev/null; then
    promtool check config "$f.partial" >"$logs/promtool.log" 2>&1 || die "prometheus config invalid: $(tail -5 "$logs/promtool.log")"
  fi
  mv "$f.partial" "$f"
}

start_prometheus() {
  command -v prometheus >/dev/null || die "prometheus is not installed (Debian's package; scripts/bootstrap-local.sh installs it)"
  start_pod_sd
  start_node_exporter
  local start healthy=""; start=$(now_ms)
  mkdir -p "$S/prometheus/data"
  running prometheus && prometheus_ok && healthy=1
  if prometheus_config && [ -n "$healthy" ]; then
    kill -HUP "$(pid_of prometheus)" # Prometheus rereads its config on SIGHUP
    say "prometheus config changed, reloaded (pid $(pid_of prometheus))"
    return 0
  fi
  if [ -n "$healthy" ]; then already prometheus; return 0; fi
  stop prometheus 20 # running but not ready: start it over
  launch prometheus prometheus --config.file="$S/prometheus/prometheus.yml" \
    --storage.tsdb.path="$S/prometheus/data" --storage.tsdb.retention.time=2h \
    --web.listen-address="127.0.0.1:$PROM_PORT"
  wait_for prometheus 60 prometheus_ok
  say "prometheus ready on http://127.0.0.1:$PROM_PORT ($(secs "$start"))"
}

# --- the sample service's image ------------------------------------------------------------------
# /app/sample-service/*.js (the compiled TypeScript) and /app/node_modules with exactly the
# dependency closure of SAMPLE_DEPS (images/node_app.py), run by the image's node. The tag is a
# hash of those files, of the node binary's identity and of the image tooling, so `up` builds
# only when one of them changed; `release` gives the current build its version tags.
sample_service_image() {
  local start app=$project/bin/sample-service node_bin info hash ref; start=$(now_ms)
  if [ ! -f "$app/server.js" ]; then
    say "compiling the TypeScript (no $app/server.js)"
    (cd "$project" && node node_modules/typescript/bin/tsc -p tsconfig.json) >"$logs/tsc.log" 2>&1 || true
    [ -f "$app/server.js" ] || die "tsc did not write $app/server.js (see $logs/tsc.log)"
  fi
  node_bin=$(readlink -f "$(command -v node)") || die "node is not installed"
  local args=(--project "$project" --app "$app" --name sample-service --extra-stat "$node_bin"
    --extra-file "$here/image.sh" --extra-file "$here/images/oci_layout.py")
  info=$("$PY" "$here/images/node_app.py" hash "${args[@]}" "${SAMPLE_DEPS[@]}") || die "sample-service: staging failed"
  hash=$(sed -n 's/^hash=//p' <<<"$info"); ref=$SAMPLE_IMAGE:build-$hash
  if ctr -n k8s.io --address "$sock" images ls -q 2>/dev/null | grep -xF "$ref" >/dev/null; then
    say "sample-service image $ref already imported"
  else
    local dir=$S/images/sample-service-src
    info=$("$PY" "$here/images/node_app.py" stage "${args[@]}" --out "$dir" "${SAMPLE_DEPS[@]}") || die "sample-service: staging failed"
    hash=$(sed -n 's/^hash=//p' <<<"$info"); ref=$SAMPLE_IMAGE:build-$hash # names what was copied
    "$here/image.sh" --dest /app --cmd /app/sample-service/server.js sample-service "build-$hash" "$dir" \
      >/dev/null 2>>"$logs/image.log" || die "sample-service image failed (see $logs/image.log)"
    rm -rf "$dir"
    # Earlier builds' layout tars (their images stay in containerd, as do their version tags).
    local f; for f in "$S"/images/sample-service-build-*.oci.tar; do
      [ "$f" = "$S/images/sample-service-build-$hash.oci.tar" ] || rm -f "$f"
    done
    say "sample-service image $ref built and imported ($(sed -n 's/^files=//p' <<<"$info") files, $(sed -n 's/^packages=//p' <<<"$info") packages; $(secs "$start"))"
  fi
  [ "$(cat "$run/sample-service.image" 2>/dev/null)" = "$ref" ] && return 0
  echo "$ref" >"$run/sample-service.image.partial"; mv "$run/sample-service.image.partial" "$run/sample-service.image"
}

# --- commands ------------------------------------------------------------------------------------
up() {
  mkdir -p "$S" "$run" "$logs"
  exec 8>"$S/.lock"; flock 8 # one up or down at a time
  binaries
  provider_bin
  packages
  certificates
  write_kubeconfig "$S/admin.kubeconfig" runbook-admin admin
  write_kubeconfig "$S/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  write_kubeconfig "$S/scheduler.kubeconfig" system:kube-scheduler scheduler
  write_kubeconfig "$S/kubelet.kubeconfig" "system:node:$NODE" kubelet
  [ -f "$kubeconfig" ] || cp "$S/admin.kubeconfig" "$kubeconfig"
  save_sysctls
  bridge_up
  start_forwarders
  start_etcd
  start_apiserver
  start_containerd
  start_controllers
  start_kubelet
  install_gateway
  start_traefik
  start_prometheus
  sample_service_image
  say "up ($(secs "$t0")): kubectl --kubeconfig $kubeconfig; Gateway http://127.0.0.1:$GATEWAY_PORT;" \
    "Prometheus http://127.0.0.1:$PROM_PORT; image $(cat "$run/sample-service.image")"
}

# Tags the current sample-service build (run/sample-service.image) with each version, moving a
# tag that names another build. One ctr call: fast enough to run before every stack update.
release() {
  [ $# -gt 0 ] || die "usage: cluster.sh release <version>... (e.g. v1.2.3 1.2.3-rc.1)"
  local v refs=() build err
  for v in "$@"; do
    [[ $v =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "bad version '$v': an image tag (letters, digits, _ . -), e.g. v1.2.3 or 1.2.3-rc.1"
    [[ $v != build-* ]] || die "bad version '$v': build-* tags name the builds themselves"
    refs+=("$SAMPLE_IMAGE:$v")
  done
  running containerd && [ -S "$sock" ] || die "the cluster is not up (its containerd is not running): run cluster/cluster.sh up"
  build=$(cat "$run/sample-service.image" 2>/dev/null) && [ -n "$build" ] ||
    die "no sample-service image built yet ($run/sample-service.image): run cluster/cluster.sh up"
  err=$(ctr -n k8s.io --address "$sock" images tag --force "$build" "${refs[@]}" 2>&1 >/dev/null) ||
    die "tagging $build failed (is the cluster up? run cluster/cluster.sh up): $err"
  say "released $build as ${*} ($(secs "$t0"))"
}

kill_pod_processes() { # safety net: whatever is still in the kubelet's pod cgroups
  local procs pid
  procs=$(cat /sys/fs/cgroup/*/kubepods/cgroup.procs /sys/fs/cgroup/*/kubepods/*/cgroup.procs \
    /sys/fs/cgroup/*/kubepods/*/*/cgroup.procs /sys/fs/cgroup/*/kubepods/*/*/*/cgroup.procs 2>/dev/null | sort -u || true)
  for pid in $procs; do kill -KILL "$pid" 2>/dev/null || true; done
}

down() {
  mkdir -p "$run" "$logs"
  exec 8>"$S/.lock"; flock 8
  stop prometheus 20
  stop pod-sd 5
  stop node-exporter 5
  stop_forwarder forward-postgres
  stop_forwarder forward-redis
  stop traefik 10
  stop kubelet 15
  if running containerd; then
    # Kill and delete every container task, so each shim unmounts its rootfs and exits.
    local t
    for t in $(ctr -n k8s.io --address "$sock" tasks ls -q 2>/dev/null); do
      ctr -n k8s.io --address "$sock" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    kill_pod_processes
    sleep 0.3
    for t in $(ctr -n k8s.io --address "$sock" tasks ls -q 2>/dev/null); do
      ctr -n k8s.io --address "$sock" tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  kill_pod_processes
  stop containerd 10
  # Shims of our containerd that outlived it (each is started with our socket in its arguments).
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -F -- "-address $sock " >/dev/null; then
      kill -KILL "${p#/proc/}" 2>/dev/null || true; say "killed leftover shim ${p#/proc/}"
    fi
  done
  stop kube-scheduler 10
  stop kube-controller-manager 10
  stop kube-apiserver 20
  stop etcd 10
  # Mounts under the state folder, deepest first: container rootfs, sandbox /dev/shm, pod netns, volumes.
  local m n=0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    n=$((n + 1))
  done < <(awk -v s="$S/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  [ "$n" -eq 0 ] || say "$n mounts removed"
  # The kubelet's pod cgroups (cgroupfs driver: a kubepods tree in every v1 hierarchy).
  local c
  for c in /sys/fs/cgroup/*/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # Host ends of pod veths and the bridge itself.
  for p in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do ip link del "$p" 2>/dev/null || true; done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; say "bridge $BRIDGE removed"; fi
  rm -rf "$S/cni/ipam" # every pod is gone, so no address is in use
  # libcni's result cache: our network's entries and the loopback entries of the same sandboxes.
  local r id
  for r in /var/lib/cni/results/runbook-*; do
    [ -e "$r" ] || continue
    id=${r#/var/lib/cni/results/runbook-}; id=${id%-*}
    rm -f "$r" "/var/lib/cni/results/cni-loopback-$id-lo"
  done
  # Pod log symlinks the kubelet keeps in the fixed /var/log/containers.
  find /var/log/containers -maxdepth 1 -type l -lname "$S/*" -delete 2>/dev/null || true
  if [ -f "$run/sysctl.saved" ]; then
    local kv; while IFS= read -r kv; do sysctl -q -w "$kv" >/dev/null; done <"$run/sysctl.saved"
    rm -f "$run/sysctl.saved"; say "sysctls restored"
  fi
  if [ -f "$run/created-dirs" ]; then
    local d; while IFS= read -r d; do [ -n "$d" ] && [ -d "$d" ] && find "$d" -depth -type d -empty -delete 2>/dev/null || true; done <"$run/created-dirs"
    rm -f "$run/created-dirs"
  fi
  say "down ($(secs "$t0")); state kept in $S"
}

status() {
  local c state rc=0
  for c in "${COMPONENTS[@]}"; do
    if running "$c"; then
      local ok=unhealthy
      case $c in
        etcd) etcd_ok && ok=healthy ;; kube-apiserver) apiserver_ok && ok=healthy ;;
        kube-controller-manager) cm_ok && ok=healthy ;; kube-scheduler) sched_ok && ok=healthy ;;
        containerd) containerd_ok && ok=healthy ;; kubelet) kubelet_ok && ok=healthy ;; traefik) traefik_ok && ok=healthy ;;
        prometheus) prometheus_ok && ok=healthy ;; pod-sd) pod_sd_ok && ok=healthy ;; node-exporter) node_exporter_ok && ok=healthy ;;
        forward-postgres) forward_ok "$PG_FORWARD" && ok=healthy ;; forward-redis) forward_ok "$REDIS_FORWARD" && ok=healthy ;;
      esac
      state="running pid $(pid_of "$c"), $ok, RSS $(rss_mib "$c") MiB"
      case $c in
        prometheus) state+=", http://127.0.0.1:$PROM_PORT" ;; pod-sd) state+=", http://127.0.0.1:$POD_SD_PORT/targets" ;; node-exporter) state+=", http://127.0.0.1:$NODE_EXPORTER_PORT/metrics" ;;
        forward-postgres) state+=", $BRIDGE_ADDR:$PG_FORWARD -> 127.0.0.1:$PG_UPSTREAM ($(forward_procs "$c" | wc -l) procs)" ;;
        forward-redis) state+=", $BRIDGE_ADDR:$REDIS_FORWARD -> 127.0.0.1:$REDIS_UPSTREAM ($(forward_procs "$c" | wc -l) procs)" ;;
      esac
      [ "$ok" = healthy ] || rc=1
    else state=stopped; rc=1; fi
    printf 'cluster: %-24s %s\n' "$c" "$state"
  done
  if running kube-apiserver && apiserver_ok; then
    printf 'cluster: %-24s %s\n' "node $NODE" "$(node_ready && echo Ready || echo NotReady)"
    printf 'cluster: %-24s %s\n' "gateway runbook-gateway" "$(gateway_programmed && echo "Programmed (http://127.0.0.1:$GATEWAY_PORT)" || echo "not programmed")"
  fi
  if running prometheus && prometheus_ok; then
    printf 'cluster: %-24s %s\n' "prometheus targets" "$(curl -sf --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/targets?state=active" | "$PY" -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(sum(x["health"] == "up" for x in t), "up of", len(t), "(job kubernetes-pods)")' 2>/dev/null || echo unknown)"
  fi
  local image; image=$(cat "$run/sample-service.image" 2>/dev/null || true)
  if [ -z "$image" ]; then printf 'cluster: %-24s %s\n' "sample-service image" "not built"
  elif running containerd && containerd_ok; then
    local refs tags digest
    refs=$(ctr -n k8s.io --address "$sock" images ls 2>/dev/null | awk -v p="$SAMPLE_IMAGE:" 'index($1, p) == 1 {print $1, $3}')
    digest=$(awk -v r="$image" '$1 == r {print $2}' <<<"$refs")
    tags=$(awk -v d="$digest" -v r="$image" -v p="$SAMPLE_IMAGE:" '$2 == d && $1 != r {print substr($1, length(p) + 1)}' <<<"$refs" | sort -V | paste -sd ' ')
    printf 'cluster: %-24s %s\n' "sample-service image" "$image ($([ -n "$digest" ] && echo "imported; released as: ${tags:-none}" || echo "missing from containerd"))"
  else printf 'cluster: %-24s %s\n' "sample-service image" "$image (containerd not running)"
  fi
  printf 'cluster: %-24s %s\n' provider-bin "$(cat "$S/provider-bin" 2>/dev/null || echo "not recorded")"
  printf 'cluster: %-24s %s\n' "bridge $BRIDGE" "$(ip -br -4 addr show dev "$BRIDGE" 2>/dev/null | awk '{print $2, $3}' | grep . || echo absent)"
  printf 'cluster: %-24s %s\n' sysctls "$([ -f "$run/sysctl.saved" ] && echo "saved, restored on down" || echo "untouched")"
  printf 'cluster: %-24s %s\n' kubeconfig "$kubeconfig"
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  release) shift; release "$@" ;;
  kubectl) shift; binaries; exec "$KBIN/kubectl" --kubeconfig "$kubeconfig" "$@" ;; # with the cluster's kubeconfig
  *) echo "usage: cluster.sh up|down|status | cluster.sh release <version>... | cluster.sh kubectl <args>..." >&2; exit 2 ;;
esac
