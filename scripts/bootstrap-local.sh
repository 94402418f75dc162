#!/usr/bin/env bash
# Installs and starts what the `local` target needs, all on loopback: a project-owned supervisord
# (which keeps Redis, Prometheus and the releases running), PostgreSQL (Debian's cluster), and the
# nginx and hey binaries (routers and load are started per stack, not here).
#
# Idempotent: a second run changes nothing and takes well under two seconds. It works on a fresh
# Debian 12 machine (installs the packages) and on one where the packages are installed but nothing
# runs (a CI runner, a rebooted container).
#
# The layout below is mirrored by components/targets/local/paths.ts; change both together.
#
# Environment (all optional):
#   RUNBOOK_STATE_DIR        state root. Defaults to ${XDG_STATE_HOME:-$HOME/.local/state}/deployment-runbook.
#   RUNBOOK_REDIS_PORT       Defaults to 6379.
#   RUNBOOK_PROMETHEUS_PORT  Defaults to 9090.
#   RUNBOOK_NODE_EXPORTER_PORT  Defaults to 9100 (host CPU, memory and disk for the infrastructure check).
#   RUNBOOK_PG_PORT          Defaults to 5432.
#   RUNBOOK_DB_PASSWORD      password of the `runbook` role. Defaults to runbook-local.
set -euo pipefail

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

# --- layout (keep in step with components/targets/local/paths.ts) ---------------------------------------
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
xdg_state=${XDG_STATE_HOME:-}
# The XDG spec says relative XDG_* paths are invalid and must be ignored.
[[ $xdg_state == /* ]] || xdg_state="$home/.local/state"
STATE=${RUNBOOK_STATE_DIR:-$xdg_state/deployment-runbook}
[[ $STATE == /* ]] || STATE="$PWD/$STATE"
# The state path ends up unquoted in supervisor's ini files, its include glob and prometheus.yml;
# a plain character set keeps all three correct without three kinds of escaping.
[[ $STATE =~ ^[A-Za-z0-9_./+@:,=-]+$ ]] ||
  die "state dir '$STATE' may only contain letters, digits and _./+@:,=- (set RUNBOOK_STATE_DIR)"

SUP_DIR=$STATE/supervisor
SUP_CONF=$SUP_DIR/supervisord.conf
SUP_SOCK=$SUP_DIR/supervisor.sock
SUP_PROGRAMS=$SUP_DIR/conf.d
LOGS=$STATE/logs
PROM_DIR=$STATE/prometheus
# sun_path is 108 bytes on Linux; supervisord's error for a longer path is cryptic.
((${#SUP_SOCK} < 100)) || die "supervisor socket path is too long (${#SUP_SOCK} chars): $SUP_SOCK"

REDIS_PORT=${RUNBOOK_REDIS_PORT:-6379}
PROM_PORT=${RUNBOOK_PROMETHEUS_PORT:-9090}
PG_PORT=${RUNBOOK_PG_PORT:-5432}
NODE_EXPORTER_PORT=${RUNBOOK_NODE_EXPORTER_PORT:-9100}
DB_PASSWORD=${RUNBOOK_DB_PASSWORD:-runbook-local}
for p in REDIS_PORT PROM_PORT PG_PORT NODE_EXPORTER_PORT; do
  if ! [[ ${!p} =~ ^[0-9]+$ ]] || ((${!p} < 1 || ${!p} > 65535)); then
    die "RUNBOOK_${p/PROM_/PROMETHEUS_} must be a TCP port (1-65535), got '${!p}'"
  fi
done

# --- helpers ----------------------------------------------------------------------------------
as_root() {
  if (($(id -u) == 0)); then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# Runs a command as the postgres OS user (peer auth on the unix socket), from / so psql does not
# warn about an unreadable cwd. The environment is kept (runuser/sudo --preserve-env).
as_postgres() {
  if (($(id -u) == 0)); then (cd / && runuser -u postgres -- "$@")
  else (cd / && sudo -n --preserve-env=RUNBOOK_BOOTSTRAP_PW -u postgres -- "$@")
  fi
}

# An executable on PATH (or in sbin, which a non-root PATH may lack). Not `command -v`: bash's
# lookup falls back to a non-executable file of that name.
have() {
  local dir IFS=:
  for dir in $PATH:/usr/sbin:/sbin; do
    [[ -f $dir/$1 && -x $dir/$1 ]] && return 0
  done
  return 1
}

# write_if_changed FILE MODE: content on stdin; replaces FILE atomically only when it differs.
# Sets WRITTEN=1 when it wrote.
write_if_changed() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp "$file.tmp.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$file"
    WRITTEN=1
  fi
}

# Prints the last lines of a log so a failure says why, not just that.
show_log() {
  [[ -r $1 ]] || return 0
  printf 'bootstrap: --- last lines of %s ---\n' "$1" >&2
  tail -n 15 "$1" >&2 || true
}

# A plain HTTP GET over bash's /dev/tcp: curl is not guaranteed on a fresh machine.
http_ok() { # port path
  local status
  status=$(
    exec 2>/dev/null # bash reports a refused connection on stderr; that is an answer, not an error
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
    IFS= read -r -t 2 line <&3 && printf '%s' "$line"
  ) || return 1
  [[ $status == "HTTP/"*" 200"* ]]
}

redis_ping() { # port
  local reply
  reply=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 && printf '%s' "$line"
  ) || return 1
  [[ $reply == "+PONG"* ]]
}

sv() { supervisorctl -c "$SUP_CONF" "$@"; }

# --- 1. packages ------------------------------------------------------------------------------
pg_server_installed() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

missing=()
{ have supervisord && have supervisorctl; } || missing+=(supervisor)
have nginx || missing+=(nginx-light)
{ have pg_ctlcluster && have psql && have pg_isready && pg_server_installed; } || missing+=(postgresql)
have redis-server || missing+=(redis-server)
have prometheus || missing+=(prometheus)
have prometheus-node-exporter || missing+=(prometheus-node-exporter)
have hey || missing+=(hey)

mkdir -p "$SUP_PROGRAMS" "$LOGS" "$PROM_DIR/targets" "$PROM_DIR/data" "$STATE/redis" "$STATE/nginx"
chmod 700 "$SUP_DIR" "$SUP_PROGRAMS" # program files may hold passwords

if ((${#missing[@]})); then
  say "installing ${missing[*]} (log: $LOGS/apt.log)"
  # Keep Debian's postinst from starting system services (nginx on :80, redis on :6379, ...):
  # the local target runs its own. policy-rc.d is Debian's switch for that; only ours if absent.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    as_root sh -c "printf '#!/bin/sh\n# deployment-runbook bootstrap: no service starts during install\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOGS/apt.log" 2>&1 ||
    { show_log "$LOGS/apt.log"; die "apt-get update failed (log: $LOGS/apt.log)"; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >>"$LOGS/apt.log" 2>&1 ||
    { show_log "$LOGS/apt.log"; die "apt-get install ${missing[*]} failed (log: $LOGS/apt.log)"; }
  if [[ -e $policy ]] && grep -q 'deployment-runbook bootstrap' "$policy"; then
    as_root rm -f "$policy"
    trap - EXIT
  fi
  say "packages installed: ${missing[*]}"
else
  say "packages ok (supervisor nginx-light postgresql redis-server prometheus prometheus-node-exporter hey)"
fi

# --- 2. PostgreSQL ----------------------------------------------------------------------------
# The fast path is one psql call: the runbook role logs in with its password over TCP, owns the
# runbook database, may create databases, and the server listens on loopback only.
pg_login_ok() {
  local out
  out=$(PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" \
    -U runbook -d runbook -c "select count(*) || ' ' || current_setting('listen_addresses')
      from pg_database d join pg_roles r on r.oid = d.datdba
      where d.datname = 'runbook' and r.rolname = 'runbook' and r.rolcreatedb" 2>/dev/null) || return 1
  [[ $out == "1 localhost" || $out == "1 127.0.0.1" ]]
}

pg_wait_ready() { # log file
  local i
  for ((i = 0; i < 150; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 1 && return 0
    sleep 0.2
  done
  show_log "$1"
  die "postgresql did not accept connections on 127.0.0.1:$PG_PORT within 30s (log: $1)"
}

ensure_postgres() {
  pg_login_ok && { PG_DESC="127.0.0.1:$PG_PORT"; return 0; }

  # Debian's cluster tooling: newest version's `main` cluster, created if there is none.
  local line ver status logfile changed=0
  line=$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main"' | sort -V -k1,1 | tail -n 1)
  if [[ -z $line ]]; then
    ver=$(basename "$(dirname "$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1)")")")
    say "creating postgresql cluster $ver/main"
    as_root pg_createcluster -p "$PG_PORT" "$ver" main >>"$LOGS/postgresql-bootstrap.log" 2>&1 ||
      { show_log "$LOGS/postgresql-bootstrap.log"; die "pg_createcluster $ver main failed (log: $LOGS/postgresql-bootstrap.log)"; }
    line=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"')
  fi
  read -r ver _ _ status _ _ logfile <<<"$line"

  # Port and loopback-only listening: set only what differs, since both need a restart.
  if [[ $(pg_conftool -s "$ver" main show port 2>/dev/null) != "$PG_PORT" ]]; then
    as_root pg_conftool "$ver" main set port "$PG_PORT"
    changed=1
  fi
  local listen
  listen=$(pg_conftool -s "$ver" main show listen_addresses 2>/dev/null || echo localhost)
  listen=${listen//\'/}
  if [[ $listen != localhost && $listen != 127.0.0.1 ]]; then
    # `localhost` (127.0.0.1 and ::1): pg_conftool would write 127.0.0.1 unquoted, which
    # postgresql.conf rejects, and a broken file would keep the cluster from starting at all.
    say "postgresql: listen_addresses was '$listen'; setting it to localhost"
    as_root pg_conftool "$ver" main set listen_addresses localhost
    changed=1
  fi

  if [[ $status != online* ]]; then
    as_root pg_ctlcluster "$ver" main start >>"$LOGS/postgresql-bootstrap.log" 2>&1 ||
      { show_log "$logfile"; die "postgresql $ver/main did not start (log: $logfile)"; }
  elif ((changed)); then
    as_root pg_ctlcluster "$ver" main restart >>"$LOGS/postgresql-bootstrap.log" 2>&1 ||
      { show_log "$logfile"; die "postgresql $ver/main did not restart (log: $logfile)"; }
  fi
  pg_wait_ready "$logfile"

  # Role and database, as the postgres superuser over the unix socket (peer auth). The password
  # travels in the environment, not on a command line, and is quoted by psql (:'pw').
  RUNBOOK_BOOTSTRAP_PW=$DB_PASSWORD as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres \
    >>"$LOGS/postgresql-bootstrap.log" 2>&1 <<'SQL' ||
\getenv pw RUNBOOK_BOOTSTRAP_PW
SELECT 'CREATE ROLE runbook' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'runbook') \gexec
ALTER ROLE runbook WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE runbook OWNER runbook' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'runbook') \gexec
ALTER DATABASE runbook OWNER TO runbook;
SQL
    { show_log "$LOGS/postgresql-bootstrap.log"; die "postgresql: could not create the runbook role and database (log: $LOGS/postgresql-bootstrap.log)"; }

  if ! pg_login_ok; then
    # Password auth over TCP needs a host line for 127.0.0.1; Debian's default has one
    # (scram-sha-256). Add ours first in the file only when no such line exists.
    local hba
    hba=$(pg_conftool -s "$ver" main show hba_file 2>/dev/null || echo "/etc/postgresql/$ver/main/pg_hba.conf")
    hba=${hba//\'/}
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+(all|runbook)[[:space:]]+(all|runbook)[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5|password)' "$hba"; then
      as_root sed -i '1i host runbook runbook 127.0.0.1/32 scram-sha-256 # deployment-runbook bootstrap' "$hba"
      as_root pg_ctlcluster "$ver" main reload >>"$LOGS/postgresql-bootstrap.log" 2>&1 || true
      sleep 0.5
    fi
    pg_login_ok || {
      show_log "$logfile"
      die "postgresql: role runbook cannot log in with its password on 127.0.0.1:$PG_PORT (check $hba; log: $logfile)"
    }
  fi
  PG_DESC="127.0.0.1:$PG_PORT, cluster $ver/main"
}

ensure_postgres
say "postgresql ok ($PG_DESC)"

# --- 3. supervisord ---------------------------------------------------------------------------
WRITTEN=0
write_if_changed "$SUP_CONF" 600 <<EOF
; Written by scripts/bootstrap-local.sh; edits are overwritten.
; The project's own supervisord (not Debian's system service): releases, redis, prometheus.
[unix_http_server]
file=$SUP_SOCK
chmod=0700

[supervisord]
logfile=$LOGS/supervisord.log
logfile_maxbytes=10MB
logfile_backups=2
pidfile=$LOGS/supervisord.pid
childlogdir=$LOGS
; children get a stable cwd, not wherever the script happened to run
directory=$STATE
identifier=deployment-runbook

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$SUP_SOCK

[include]
files = $SUP_PROGRAMS/*.conf
EOF

sup_running() { sv pid >/dev/null 2>&1; }

# One supervisorctl call (each costs ~150 ms of Python start-up) for what the steps below need:
# SUP_UP=1 when supervisord answers, STATE_OF[name] = RUNNING, STARTING, FATAL, ... or ABSENT.
declare -A STATE_OF
backup() {
  local out name rest
  SUP_UP=0
  STATE_OF=([runbook-redis]=ABSENT [runbook-prometheus]=ABSENT)
  # supervisorctl exits 3 for any non-running status, so its exit code is not the answer.
  out=$(sv status runbook-redis runbook-prometheus 2>&1 || true)
  [[ $out == *"no such file"* || $out == *"refused connection"* || $out == *"Errno"* ]] && return 0
  SUP_UP=1
  while read -r name rest; do
    [[ $name == runbook-redis || $name == runbook-prometheus ]] || continue
    STATE_OF[$name]=${rest%% *}
  done <<<"$out"
}

# sv_state NAME: the program's state now (ABSENT when supervisord does not know it). supervisorctl
# exits 3 for any non-running status, so its exit code is not the answer.
sv_state() {
  local out
  out=$(sv status "$1" 2>&1 || true)
  if [[ $out == *"no such process"* || $out == *"no such group"* ]]; then echo ABSENT
  else awk -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print "UNKNOWN" }' <<<"$out"
  fi
}

# write_program NAME COMMAND DIRECTORY: same keys as components/targets/local/supervisor.ts writes.
# Sets WRITTEN=1 when the file changed.
write_program() {
  write_if_changed "$SUP_PROGRAMS/$1.conf" 600 <<EOF
; Written by scripts/bootstrap-local.sh; edits are overwritten.
[program:$1]
command=$2
directory=$3
autostart=true
autorestart=true
startsecs=1
startretries=3
stopwaitsecs=15
stopsignal=TERM
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/$1.log
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=2
EOF
}

backup

# Redis: reuse anything that already answers PING on the port (a system redis, a CI service);
# otherwise run our own. Decided before supervisord starts, since it autostarts every program file.
redis_mode=ours
redis_state=${STATE_OF[runbook-redis]}
if [[ $redis_state != RUNNING && $redis_state != STARTING ]] && redis_ping "$REDIS_PORT"; then
  redis_mode=external
fi
programs_changed=()
if [[ $redis_mode == external ]]; then
  if [[ -f $SUP_PROGRAMS/runbook-redis.conf ]]; then
    rm -f "$SUP_PROGRAMS/runbook-redis.conf"
    programs_changed+=(runbook-redis)
  fi
else
  WRITTEN=0
  write_program runbook-redis \
    "$(command -v redis-server) --bind 127.0.0.1 --port $REDIS_PORT --save \"\" --appendonly no --daemonize no" \
    "$STATE/redis"
  ((WRITTEN)) && programs_changed+=(runbook-redis)
fi

# node_exporter: this machine's CPU, memory and disk for the gate's infrastructure check. Like
# Redis, one already answering on the port (a system service) is reused: it reads the same host.
# Only the collectors the check and the shipped alert rules read, to keep scrapes cheap.
node_mode=ours
node_state=$(sv_state runbook-node-exporter)
if [[ $node_state != RUNNING && $node_state != STARTING ]] && http_ok "$NODE_EXPORTER_PORT" /metrics; then
  node_mode=external
fi
if [[ $node_mode == external ]]; then
  if [[ -f $SUP_PROGRAMS/runbook-node-exporter.conf ]]; then
    rm -f "$SUP_PROGRAMS/runbook-node-exporter.conf"
    programs_changed+=(runbook-node-exporter)
  fi
else
  WRITTEN=0
  write_program runbook-node-exporter \
    "$(command -v prometheus-node-exporter) --web.listen-address=127.0.0.1:$NODE_EXPORTER_PORT --collector.disable-defaults --collector.cpu --collector.meminfo --collector.filesystem" \
    "$STATE"
  ((WRITTEN)) && programs_changed+=(runbook-node-exporter)
fi

# Prometheus: scrapes whatever the stacks list in targets/*.json (file service discovery), every
# second so gates see a release's metrics quickly; node_exporter every 5 s (the CPU figure is a
# rate over 30 s). It loads the alert rules the project ships (the monitoring check requires them).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WRITTEN=0
write_if_changed "$PROM_DIR/rules.yml" 644 <"$here/../components/targets/local/prometheus-rules.yml"
rules_changed=$WRITTEN
WRITTEN=0
write_if_changed "$PROM_DIR/prometheus.yml" 644 <<EOF
# Written by scripts/bootstrap-local.sh; edits are overwritten.
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - '$PROM_DIR/rules.yml'
scrape_configs:
  - job_name: runbook
    file_sd_configs:
      - files:
          - '$PROM_DIR/targets/*.json'
        refresh_interval: 1s
  - job_name: node
    scrape_interval: 5s
    static_configs:
      - targets: ['127.0.0.1:$NODE_EXPORTER_PORT']
EOF
prom_yml_changed=$((WRITTEN || rules_changed))
WRITTEN=0
write_program runbook-prometheus \
  "$(command -v prometheus) --config.file=$PROM_DIR/prometheus.yml --storage.tsdb.path=$PROM_DIR/data --storage.tsdb.retention.time=2h --web.listen-address=127.0.0.1:$PROM_PORT" \
  "$PROM_DIR"
((WRITTEN || prom_yml_changed)) && programs_changed+=(runbook-prometheus)
prom_program_changed=$WRITTEN

# The prometheus port must be free for ours unless ours already holds it. A prometheus still
# running with our config but outside supervisord (its supervisord was SIGKILLed) is ours: stop it.
# Anything else answering there is someone else's: stop rather than scrape the wrong targets.
prom_state=${STATE_OF[runbook-prometheus]}
if [[ $prom_state != RUNNING && $prom_state != STARTING ]] && http_ok "$PROM_PORT" /-/ready; then
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    cmd=$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline") || continue
    [[ ${cmd%% *} == */prometheus || ${cmd%% *} == prometheus ]] || continue
    [[ $cmd == *" --config.file=$PROM_DIR/prometheus.yml "* ]] || continue
    say "stopping orphaned prometheus (pid $pid) left by an earlier supervisord"
    kill "$pid" 2>/dev/null || true
    for _ in {1..50}; do [[ -e $proc ]] || break; sleep 0.2; done
  done
  if http_ok "$PROM_PORT" /-/ready; then
    die "127.0.0.1:$PROM_PORT already answers as a prometheus that is not ours (Debian's system service?); stop it or set RUNBOOK_PROMETHEUS_PORT"
  fi
fi

if ((SUP_UP)); then
  # `update NAME...` adds new programs and restarts changed ones, leaving every other program
  # (the releases the stacks run) alone.
  if ((${#programs_changed[@]})); then
    sv update "${programs_changed[@]}" >>"$LOGS/supervisord-bootstrap.log" 2>&1 || true
  fi
  # `update` restarts a program only when its own file changed; a running Prometheus rereads a
  # changed prometheus.yml or rules.yml on SIGHUP, keeping its data and its targets.
  if ((prom_yml_changed && !prom_program_changed)) && [[ ${STATE_OF[runbook-prometheus]} == RUNNING ]]; then
    sv signal HUP runbook-prometheus >>"$LOGS/supervisord-bootstrap.log" 2>&1 || true
  fi
else
  # supervisord deletes its pidfile on a clean exit. One naming a dead process means it was killed
  # (SIGKILL, OOM): the programs it ran were orphaned and may still hold their ports.
  old_pid=$(cat "$LOGS/supervisord.pid" 2>/dev/null || true)
  if [[ $old_pid =~ ^[0-9]+$ ]] && ! kill -0 "$old_pid" 2>/dev/null; then
    say "warning: the previous supervisord (pid $old_pid) did not shut down cleanly; processes it ran may still hold their ports (stop a supervisord with SIGTERM)"
  fi
  # A stale pidfile or socket from a killed supervisord is fine: supervisord replaces both.
  # Its stdio goes to a log: it daemonizes, and must not hold our caller's pipes open.
  supervisord -c "$SUP_CONF" </dev/null >>"$LOGS/supervisord-bootstrap.log" 2>&1 || {
    show_log "$LOGS/supervisord-bootstrap.log"
    show_log "$LOGS/supervisord.log"
    die "supervisord did not start (log: $LOGS/supervisord.log)"
  }
  for ((i = 0; i < 50; i++)); do
    sup_running && break
    sleep 0.2
  done
  sup_running || {
    show_log "$LOGS/supervisord.log"
    die "supervisord did not answer on $SUP_SOCK within 10s (log: $LOGS/supervisord.log)"
  }
fi
say "supervisord ok ($SUP_SOCK)"

# wait_program NAME CHECK-COMMAND... SECONDS: starts the program when it is not running and waits
# for CHECK to pass; fails fast when supervisord gives up on it (FATAL).
wait_program() {
  local name=$1 seconds=${*: -1} i state
  local check=("${@:2:$#-2}")
  "${check[@]}" && return 0
  state=$(sv_state "$name")
  case $state in
    RUNNING | STARTING | BACKOFF) ;;
    *) sv start "$name" >>"$LOGS/supervisord-bootstrap.log" 2>&1 || true ;;
  esac
  for ((i = 0; i < seconds * 5; i++)); do
    "${check[@]}" && return 0
    if ((i % 5 == 4)); then
      state=$(sv_state "$name")
      if [[ $state == FATAL || $state == ABSENT ]]; then
        show_log "$LOGS/$name.log"
        die "$name is $state under supervisord (log: $LOGS/$name.log)"
      fi
    fi
    sleep 0.2
  done
  show_log "$LOGS/$name.log"
  die "$name did not become ready within ${seconds}s (state $(sv_state "$name"); log: $LOGS/$name.log)"
}

# --- 4. Redis ---------------------------------------------------------------------------------
if [[ $redis_mode == external ]]; then
  say "redis ok (127.0.0.1:$REDIS_PORT, an existing server, not managed here)"
else
  wait_program runbook-redis redis_ping "$REDIS_PORT" 15
  say "redis ok (127.0.0.1:$REDIS_PORT)"
fi

# --- 5. Prometheus ----------------------------------------------------------------------------
wait_program runbook-prometheus http_ok "$PROM_PORT" /-/ready 30
say "prometheus ok (127.0.0.1:$PROM_PORT)"

if [[ $node_mode == external ]]; then
  say "node-exporter ok (127.0.0.1:$NODE_EXPORTER_PORT, an existing exporter, not managed here)"
else
  wait_program runbook-node-exporter http_ok "$NODE_EXPORTER_PORT" /metrics 15
  say "node-exporter ok (127.0.0.1:$NODE_EXPORTER_PORT)"
fi

say "nginx ok (installed; each stack starts its own router)"
