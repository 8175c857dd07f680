#!/usr/bin/env bash
# Private PostgreSQL and RabbitMQ for Key Platform, on 127.0.0.1 only, with their data under .data/, and a
# SoftHSM2 token (PKCS#11) for the HSM vault adapter, also under .data/.
#
#   scripts/infra.sh [up]          install RabbitMQ and SoftHSM2 if missing, start both servers, create
#                                  users/vhost/database, the per-service database logins and their schemas
#                                  (deploy/postgres/), the per-service broker users and command queues
#                                  (deploy/rabbitmq/) and the SoftHSM token
#   scripts/infra.sh hsm           only the SoftHSM part of `up` (install if missing, token); never touches the servers
#   scripts/infra.sh down          stop the instances this script runs (never a system-wide one)
#   scripts/infra.sh status        say whether each is running (exit 0 only when both are)
#   scripts/infra.sh env           print `export` lines for the services and tests:  eval "$(scripts/infra.sh env)"
#                                  (with the broker users' passwords, KP_<USER>_BROKER_PASSWORD, and each
#                                  service's PostgreSQL connection string, KP_PG_CONN_<SERVICE>; the admin's
#                                  stays ConnectionStrings__Postgres)
#   scripts/infra.sh psql [ARGS]   psql as keyplatform (the admin login) over TCP
#   scripts/infra.sh rabbitmqctl [ARGS]   rabbitmqctl against the private node (it has its own cookie)
#
# Settings (environment variables; `up` records the values it used in .data/run/infra.env, and the
# other commands use those until `down`, so they need not be repeated):
#   KP_PG_PORT (54329)  KP_RABBIT_PORT (56729)  KP_RABBIT_DIST_PORT (25679)  KP_RABBIT_MGMT_PORT (15679)
#   KP_RABBIT_EPMD_PORT (43679)  KP_RABBIT_NODENAME (kp@localhost)
#   KP_PG_TIMEOUT (60)  KP_RABBIT_TIMEOUT (120)   seconds to wait for each to be ready
#   KP_PG_FIX_PERMS (1) when root: allow `chmod o+x` on the repository's parent folders (see pg_reachable)
#   KP_HSM_TOKEN_LABEL (keyplatform)  KP_HSM_USER_PIN (1234)  KP_HSM_SO_PIN (12345678)   the SoftHSM token
#   (development values: a token made here is a development token)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Fixed credentials of the development/CI instances.
KP_USER=keyplatform
KP_PASSWORD=keyplatform
KP_DB=keyplatform
KP_VHOST=keyplatform

STATE_FILE="$KP_RUN/infra.env"
STATE_KEYS=(KP_PG_PORT KP_RABBIT_PORT KP_RABBIT_DIST_PORT KP_RABBIT_MGMT_PORT KP_RABBIT_EPMD_PORT KP_RABBIT_NODENAME
  KP_HSM_TOKEN_LABEL KP_HSM_USER_PIN)

# Environment first, then what the last `up` recorded, then the defaults.
load_settings() {
  local key value
  if [[ -r $STATE_FILE ]]; then
    while IFS='=' read -r key value; do
      [[ $key =~ ^KP_[A-Z_]+$ ]] || continue
      [[ -n ${!key:-} ]] || printf -v "$key" '%s' "$value"
    done <"$STATE_FILE"
  fi
  : "${KP_PG_PORT:=54329}" "${KP_RABBIT_PORT:=56729}" "${KP_RABBIT_DIST_PORT:=25679}"
  : "${KP_RABBIT_MGMT_PORT:=15679}" "${KP_RABBIT_EPMD_PORT:=43679}" "${KP_RABBIT_NODENAME:=kp@localhost}"
  : "${KP_PG_TIMEOUT:=60}" "${KP_RABBIT_TIMEOUT:=120}" "${KP_PG_FIX_PERMS:=1}"
  : "${KP_HSM_TOKEN_LABEL:=keyplatform}" "${KP_HSM_USER_PIN:=1234}" "${KP_HSM_SO_PIN:=12345678}"
}

save_settings() {
  mkdir -p "$KP_RUN"
  local key
  for key in "${STATE_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done >"$STATE_FILE"
}

load_settings

PG_ROOT="$KP_DATA/postgres"      # owned by the user that runs postgres
PG_DATA="$PG_ROOT/data"
PG_LOG="$PG_ROOT/postgres.log"
PG_SOCK="$PG_ROOT/run"
# A unix socket path must fit in ~107 bytes; a deeply nested checkout falls back to a folder in /tmp.
if (( ${#PG_SOCK} > 85 )); then
  PG_SOCK="/tmp/kp-pg-$(printf '%s' "$KP_ROOT" | cksum | cut -d' ' -f1)"
fi

RB_ROOT="$KP_DATA/rabbitmq"
RB_MNESIA="$RB_ROOT/mnesia"
RB_LOGDIR="$RB_ROOT/log"
RB_HOME="$RB_ROOT/home"          # HOME of our Erlang VMs: holds the node's private .erlang.cookie
RB_PIDFILE="$RB_MNESIA/$KP_RABBIT_NODENAME.pid"
RB_STARTUP_LOG="$RB_ROOT/startup.log"
RB_NODE_LOG="$RB_LOGDIR/$KP_RABBIT_NODENAME.log"
RB_EPMD_MARK="$RB_ROOT/epmd.started-by-us"

HSM_ROOT="$KP_DATA/softhsm"
HSM_TOKENS="$HSM_ROOT/tokens"    # 0700: the token's objects (encrypted by SoftHSM under the user PIN)
HSM_CONF="$HSM_ROOT/softhsm2.conf"
HSM_LIBRARY=/usr/lib/softhsm/libsofthsm2.so

# ---------------------------------------------------------------- installation

pg_bin_dir() {
  local p
  if p=$(command -v pg_ctl 2>/dev/null); then
    p=$(dirname "$(readlink -f "$p")")
    [[ -x $p/initdb && -x $p/postgres ]] && { printf '%s' "$p"; return 0; }
  fi
  # Debian keeps the server binaries off PATH.
  p=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -n $p && -x $p/initdb && -x $p/postgres ]] && { printf '%s' "$p"; return 0; }
  return 1
}

# Debian's /usr/sbin/rabbitmq* wrappers `su` to the rabbitmq user (and refuse other users), so we
# call the real scripts in /usr/lib/rabbitmq/bin, as the invoking user.
rabbit_bin_dir() {
  local p
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] && { printf '%s' /usr/lib/rabbitmq/bin; return 0; }
  p=$(command -v rabbitmq-server 2>/dev/null) || return 1
  printf '%s' "$(dirname "$(readlink -f "$p")")"
}

ensure_packages() {
  local -a pkgs=()
  pg_bin_dir >/dev/null || pkgs+=(postgresql)
  rabbit_bin_dir >/dev/null || pkgs+=(rabbitmq-server)
  command -v curl >/dev/null || pkgs+=(curl)
  hsm_installed || pkgs+=(softhsm2)
  ensure_apt "${pkgs[@]}"
}

# Install the given Debian packages (none: nothing to do), quietly, with a log.
ensure_apt() {
  local -a pkgs=("$@")
  ((${#pkgs[@]})) || return 0

  [[ $(id -u) == 0 ]] || kp_die "missing ${pkgs[*]}; install with: sudo apt-get install -y ${pkgs[*]}"
  command -v apt-get >/dev/null || kp_die "missing ${pkgs[*]} and no apt-get to install them"
  local log="$KP_LOGS/apt.log" started=$SECONDS policy_added=0
  mkdir -p "$KP_LOGS"
  kp_say "installing ${pkgs[*]} with apt-get (log: $(kp_rel "$log"))"
  # Keep the package from starting its own system-wide service (we run a private one): the
  # standard policy-rc.d hook, added only for this install and only if the machine has none.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
  } >"$log" 2>&1 </dev/null || rc=$?
  ((policy_added)) && rm -f /usr/sbin/policy-rc.d
  if ((rc)); then kp_tail "$log"; kp_die "apt-get failed (exit $rc)"; fi
  kp_say "installed ${pkgs[*]} in $((SECONDS - started))s"
}

# ---------------------------------------------------------------- PostgreSQL

# initdb and postgres refuse to run as root: as root we run them as the `postgres` OS user.
pg_setup_user() {
  if [[ $(id -u) == 0 ]]; then
    PG_OS_USER=postgres
    if ! id -u postgres >/dev/null 2>&1; then
      kp_say "creating OS user postgres"
      useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
        --shell /usr/sbin/nologin postgres
    fi
  else
    PG_OS_USER=$(id -un)
  fi
}

# Run a command as the PostgreSQL OS user, from a folder it can read.
as_pg() {
  if [[ $(id -u) == 0 ]]; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# The postgres user must be able to traverse every parent of .data/postgres. CI clones into a
# folder owned by root that may sit under a 0700 folder such as /root. We add only the
# "search" bit for others (o+x: reach a known name, not list or read) on the parents that lack
# it, and say so; with KP_PG_FIX_PERMS=0 we stop with an explanation instead. (A POSIX ACL for
# the postgres user alone would be narrower, but setfacl is not in a stock Debian image and
# not every filesystem supports ACLs.)
pg_reachable() {
  [[ $(id -u) == 0 ]] || return 0
  as_pg test -x "$PG_ROOT" && return 0
  local d=$PG_ROOT
  local -a parents=()
  while [[ $d != / ]]; do parents=("$d" "${parents[@]}"); d=$(dirname "$d"); done
  for d in "${parents[@]}"; do
    as_pg test -x "$d" && continue
    if [[ $KP_PG_FIX_PERMS != 1 ]]; then
      kp_die "the postgres OS user cannot reach $d (it needs the x bit on every parent of $(kp_rel "$PG_ROOT")). Run: chmod o+x $d   (or clone elsewhere; KP_PG_FIX_PERMS=1 does it for you)"
    fi
    chmod o+x "$d"
    kp_warn "chmod o+x $d (so the postgres OS user can reach $(kp_rel "$PG_ROOT"))"
  done
  as_pg test -x "$PG_ROOT" || kp_die "the postgres OS user still cannot reach $PG_ROOT"
}

# PID of our postmaster, if it runs (the pid file alone can be stale after a crash or reboot).
pg_pid() {
  local pid
  pid=$(kp_pidfile_alive "$PG_DATA/postmaster.pid") || return 1
  [[ ! -e /proc/$pid/comm || $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]] || return 1
  printf '%s' "$pid"
}

pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null | tr -d '[:space:]'; }

pg_init() {
  [[ -f $PG_DATA/PG_VERSION ]] && return 0
  local log="$PG_ROOT/initdb.log"
  kp_say "initialising PostgreSQL cluster in $(kp_rel "$PG_DATA")"
  rm -rf "$PG_DATA"   # a half-made cluster from an interrupted run (no PG_VERSION yet)
  # Superuser `postgres` (no password) is reachable only over the private unix socket.
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$log" 2>&1; then
    kp_tail "$log"
    kp_die "initdb failed"
  fi
  # Our settings live in a file we rewrite at every start (the port may change).
  printf "\ninclude_if_exists = 'keyplatform.conf'\n" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_write_conf() {
  as_pg tee "$PG_DATA/keyplatform.conf" >/dev/null <<EOF
# Written by scripts/infra.sh at each start; edits are lost.
listen_addresses = '127.0.0.1'
port = $KP_PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
EOF
}

pg_psql_admin() {
  PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$KP_PG_PORT" \
    -U postgres -d postgres
}

pg_provision() {
  pg_psql_admin >/dev/null <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$KP_USER', '$KP_PASSWORD')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$KP_USER') \gexec
ALTER ROLE $KP_USER LOGIN CREATEDB PASSWORD '$KP_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$KP_DB', '$KP_USER')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$KP_DB') \gexec
SQL
}

pg_up() {
  PG_BIN=$(pg_bin_dir) || kp_die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
  pg_setup_user
  mkdir -p "$PG_ROOT"
  chown "$PG_OS_USER" "$PG_ROOT"
  pg_reachable

  local pid
  if pid=$(pg_pid); then
    kp_say "PostgreSQL already running (pid $pid, 127.0.0.1:$KP_PG_PORT)"
  else
    pg_init
    rm -f "$PG_DATA/postmaster.pid"   # stale: its process is gone
    kp_port_open "$KP_PG_PORT" &&
      kp_die "port $KP_PG_PORT is taken by another process; choose another with KP_PG_PORT=..."
    as_pg mkdir -p "$PG_SOCK"
    pg_write_conf
    kp_say "starting PostgreSQL on 127.0.0.1:$KP_PG_PORT (log: $(kp_rel "$PG_LOG"))"
    # pg_ctl -w waits until the server accepts connections; the postmaster runs in its own session.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$KP_PG_TIMEOUT" -s start; then
      kp_tail "$PG_LOG"
      kp_die "PostgreSQL did not become ready within ${KP_PG_TIMEOUT}s"
    fi
  fi
  if ! pg_provision; then
    kp_tail "$PG_LOG"
    kp_die "could not create role/database $KP_USER/$KP_DB"
  fi
  db_logins_provision
  PGPASSWORD=$KP_PASSWORD "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$KP_PG_PORT" -U "$KP_USER" -d "$KP_DB" ||
    kp_die "PostgreSQL does not answer on 127.0.0.1:$KP_PG_PORT"
}

# One login per service (deploy/postgres/roles.tsv), each with a random password made on the first `up` and kept in
# .data/run/db-passwords.env (readable by its owner only); `env` exports each service's connection string.
DB_PASSWORDS="$KP_RUN/db-passwords.env"
DB_ROLES="$KP_ROOT/deploy/postgres/roles.tsv"

# The login roles of roles.tsv, one a line.
db_logins() { awk -F '\t' '!/^#/ && $2 == "login" { print $1 }' "$DB_ROLES"; }

db_passwords() {
  local role variable
  mkdir -p "$KP_RUN"
  touch "$DB_PASSWORDS" && chmod 600 "$DB_PASSWORDS"
  for role in $(db_logins); do
    variable="${role^^}_DB_PASSWORD"
    grep -q "^export $variable=" "$DB_PASSWORDS" ||
      printf 'export %s=%s\n' "$variable" "$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')" >>"$DB_PASSWORDS"
  done
}

# As the superuser, over the private socket (as pg_psql_admin).
db_logins_provision() {
  db_passwords
  # shellcheck disable=SC1090
  (source "$DB_PASSWORDS" &&
    PGHOST="$PG_SOCK" PGPORT="$KP_PG_PORT" PGUSER=postgres PGCONNECT_TIMEOUT=5 PSQL="$PG_BIN/psql" \
      "$KP_ROOT/deploy/postgres/provision.sh" "$KP_DB" "$KP_USER") \
    >>"$PG_ROOT/provision.log" 2>&1 || { kp_tail "$PG_ROOT/provision.log"; kp_die "database logins provisioning failed"; }
}

# `export KP_PG_CONN_<SERVICE>=...` for each login (kp_key_service -> KP_PG_CONN_KEY_SERVICE).
db_logins_env() {
  [[ -r $DB_PASSWORDS ]] || return 0
  local role variable service
  # shellcheck disable=SC1090
  source "$DB_PASSWORDS"
  for role in $(db_logins); do
    variable="${role^^}_DB_PASSWORD"
    service=${role#kp_}
    [[ -n ${!variable:-} ]] || continue
    printf 'export KP_PG_CONN_%s="%s"\n' "${service^^}" "$(pg_conn "$role" "${!variable}")"
  done
}

pg_down() {
  local pid
  if ! pid=$(pg_pid); then
    kp_say "PostgreSQL not running"
    return 0
  fi
  PG_BIN=$(pg_bin_dir) || kp_die "pg_ctl not found"
  pg_setup_user
  kp_say "stopping PostgreSQL (pid $pid)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop || kp_stop_pid "$pid" 30
}

# ---------------------------------------------------------------- RabbitMQ

# Everything that makes the node private: its own data, config, cookie, epmd port and listeners on
# 127.0.0.1. The same environment is used for the node and for rabbitmqctl, which is how the CLI
# finds the node (epmd port) and authenticates (the cookie in $HOME/.erlang.cookie).
rabbit_env() {
  export HOME="$RB_HOME"
  export ERL_EPMD_PORT="$KP_RABBIT_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_NODENAME="$KP_RABBIT_NODENAME"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$KP_RABBIT_PORT"
  export RABBITMQ_DIST_PORT="$KP_RABBIT_DIST_PORT"
  export RABBITMQ_MNESIA_BASE="$RB_MNESIA" RABBITMQ_LOG_BASE="$RB_LOGDIR"
  export RABBITMQ_PID_FILE="$RB_PIDFILE"
  export RABBITMQ_FEATURE_FLAGS_FILE="$RB_MNESIA/$KP_RABBIT_NODENAME-feature_flags"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RB_ROOT/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$RB_ROOT/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RB_ROOT/advanced.config"   # absent: none
  export RABBITMQ_CONF_ENV_FILE="$RB_ROOT/rabbitmq-env.conf"        # shadows /etc/rabbitmq's
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rctl() { (rabbit_env && "$RB_BIN/rabbitmqctl" -n "$KP_RABBIT_NODENAME" "$@"); }

rabbit_pid() {
  local pid
  pid=$(kp_pidfile_alive "$RB_PIDFILE") || return 1
  [[ ! -e /proc/$pid/comm || $(cat "/proc/$pid/comm" 2>/dev/null) == beam.smp ]] || return 1
  printf '%s' "$pid"
}

epmd_up() { ERL_EPMD_PORT=$KP_RABBIT_EPMD_PORT epmd -names >/dev/null 2>&1; }

rabbit_prepare() {
  mkdir -p "$RB_MNESIA" "$RB_LOGDIR" "$RB_HOME"
  if [[ ! -s $RB_HOME/.erlang.cookie ]]; then
    # Erlang wants the cookie readable by its owner only.
    (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -d ' \n' >"$RB_HOME/.erlang.cookie")
    chmod 400 "$RB_HOME/.erlang.cookie"
  fi
  printf '[rabbitmq_management].\n' >"$RB_ROOT/enabled_plugins"
  : >"$RB_ROOT/rabbitmq-env.conf"
  rabbit_conf >"$RB_ROOT/rabbitmq.conf"
}

rabbit_conf() {
  cat <<EOF
# Written by scripts/infra.sh at each start; edits are lost.
listeners.tcp.default = 127.0.0.1:$KP_RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $KP_RABBIT_MGMT_PORT
log.console = false
log.file.level = info
EOF
}

rabbit_fail() {
  kp_tail "$RB_STARTUP_LOG" 20
  kp_tail "$RB_NODE_LOG" 40
  kp_die "$1"
}

# User, vhost and permissions, checked through the management API (fast) and created with
# rabbitmqctl (idempotent) when missing.
rabbit_api_ok() {
  local base="http://127.0.0.1:$KP_RABBIT_MGMT_PORT/api"
  [[ $(kp_http_status "$base/whoami" -u "$KP_USER:$KP_PASSWORD") == 200 ]] &&
    [[ $(kp_http_status "$base/permissions/$KP_VHOST/$KP_USER" -u "$KP_USER:$KP_PASSWORD") == 200 ]]
}

rabbit_provision() {
  rabbit_api_ok && return 0
  kp_say "creating RabbitMQ vhost $KP_VHOST and user $KP_USER"
  {
    rctl add_vhost "$KP_VHOST" &&
      { rctl add_user "$KP_USER" "$KP_PASSWORD" 2>/dev/null || rctl change_password "$KP_USER" "$KP_PASSWORD"; } &&
      rctl set_user_tags "$KP_USER" administrator &&
      rctl set_permissions -p "$KP_VHOST" "$KP_USER" '.*' '.*' '.*'
  } >>"$RB_ROOT/provision.log" 2>&1 || { kp_tail "$RB_ROOT/provision.log"; kp_die "rabbitmqctl provisioning failed"; }
}

# One broker user per service (deploy/rabbitmq/broker-users.tsv), each with a random password made on the first
# `up` and kept in .data/run/broker-passwords.env (readable by its owner only); `env` exports them.
BROKER_PASSWORDS="$KP_RUN/broker-passwords.env"

broker_passwords() {
  local user variable
  mkdir -p "$KP_RUN"
  touch "$BROKER_PASSWORDS" && chmod 600 "$BROKER_PASSWORDS"
  while IFS=$'\t' read -r user _; do
    [[ -z $user || $user == \#* ]] && continue
    variable="$(tr 'a-z-' 'A-Z_' <<<"$user")_BROKER_PASSWORD"
    grep -q "^export $variable=" "$BROKER_PASSWORDS" ||
      printf 'export %s=%s\n' "$variable" "$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')" >>"$BROKER_PASSWORDS"
  done <"$KP_ROOT/deploy/rabbitmq/broker-users.tsv"
}

broker_users_provision() {
  broker_passwords
  # shellcheck disable=SC1090
  (source "$BROKER_PASSWORDS" &&
    "$KP_ROOT/deploy/rabbitmq/provision.sh" "http://127.0.0.1:$KP_RABBIT_MGMT_PORT" "$KP_USER" "$KP_PASSWORD" "$KP_VHOST") \
    >>"$RB_ROOT/provision.log" 2>&1 || { kp_tail "$RB_ROOT/provision.log"; kp_die "broker users provisioning failed"; }
}

rabbit_up() {
  RB_BIN=$(rabbit_bin_dir) || kp_die "rabbitmq-server not found"
  local pid deadline=$((SECONDS + KP_RABBIT_TIMEOUT))

  if pid=$(rabbit_pid); then
    kp_say "RabbitMQ already running (node $KP_RABBIT_NODENAME, pid $pid)"
  else
    rm -f "$RB_PIDFILE"   # stale: its process is gone
    local port
    for port in "$KP_RABBIT_PORT" "$KP_RABBIT_DIST_PORT" "$KP_RABBIT_MGMT_PORT"; do
      kp_port_open "$port" &&
        kp_die "port $port is taken by another process (see KP_RABBIT_PORT, KP_RABBIT_DIST_PORT, KP_RABBIT_MGMT_PORT)"
    done
    rabbit_prepare
    # Our own epmd (Erlang's port mapper) on a private port, so `down` can stop it again and we
    # never share one with a system RabbitMQ.
    if ! epmd_up; then
      (rabbit_env && setsid epmd -daemon </dev/null >/dev/null 2>&1)
      touch "$RB_EPMD_MARK"
      local i
      for ((i = 0; i < 50; i++)); do epmd_up && break; sleep 0.1; done
    fi
    # Another node with our name (e.g. another checkout using the same ports)?
    if ERL_EPMD_PORT=$KP_RABBIT_EPMD_PORT epmd -names 2>/dev/null | grep -q "^name ${KP_RABBIT_NODENAME%@*} "; then
      kp_die "a node named $KP_RABBIT_NODENAME already runs on epmd port $KP_RABBIT_EPMD_PORT, not from this checkout"
    fi

    kp_say "starting RabbitMQ node $KP_RABBIT_NODENAME on 127.0.0.1:$KP_RABBIT_PORT (log: $(kp_rel "$RB_NODE_LOG"))"
    # In the background in its own session (setsid): a Ctrl+C in the terminal that started it
    # doesn't reach it, and its output (early boot errors included) goes to a file, not to our
    # caller's pipes. More telling than `-detached`, which drops early errors.
    (rabbit_env && cd "$RB_ROOT" && exec setsid "$RB_BIN/rabbitmq-server" >"$RB_STARTUP_LOG" 2>&1 </dev/null) &
    pid=$!
    local left
    while :; do
      left=$((deadline - SECONDS))
      ((left > 0)) || { kp_stop_pid "$pid" 10; rabbit_fail "RabbitMQ did not start within ${KP_RABBIT_TIMEOUT}s"; }
      kp_pid_alive "$pid" || rabbit_fail "RabbitMQ exited during startup"
      rctl -q await_startup --timeout "$((left < 10 ? left : 10))" >/dev/null 2>&1 && break
      sleep 0.5
    done
  fi

  # Management listener (starts with the node, may lag a little), then users and permissions.
  until [[ $(kp_http_status "http://127.0.0.1:$KP_RABBIT_MGMT_PORT/api/overview") =~ ^(200|401)$ ]]; do
    ((SECONDS < deadline)) || rabbit_fail "RabbitMQ management did not answer on port $KP_RABBIT_MGMT_PORT"
    sleep 0.5
  done
  rabbit_provision
  rabbit_api_ok || rabbit_fail "RabbitMQ user $KP_USER cannot use vhost $KP_VHOST"
  broker_users_provision
}

rabbit_down() {
  local pid
  RB_BIN=$(rabbit_bin_dir) || RB_BIN=
  if pid=$(rabbit_pid); then
    kp_say "stopping RabbitMQ node $KP_RABBIT_NODENAME (pid $pid)"
    # `stop PIDFILE` returns once the process has exited.
    if [[ -z $RB_BIN ]] || ! rctl -q stop "$RB_PIDFILE" >/dev/null 2>&1; then
      kp_stop_pid "$pid" 30
    fi
  else
    kp_say "RabbitMQ not running"
  fi
  if [[ -e $RB_EPMD_MARK ]]; then
    ERL_EPMD_PORT=$KP_RABBIT_EPMD_PORT epmd -kill >/dev/null 2>&1 || true
    rm -f "$RB_EPMD_MARK"
  fi
}

# ---------------------------------------------------------------- SoftHSM2 (PKCS#11)

hsm_installed() { [[ -r $HSM_LIBRARY ]] && command -v softhsm2-util >/dev/null; }

hsm_util() { SOFTHSM2_CONF="$HSM_CONF" softhsm2-util "$@"; }

hsm_token_present() { hsm_util --show-slots 2>/dev/null | grep -Eq "^[[:space:]]*Label:[[:space:]]+${KP_HSM_TOKEN_LABEL}[[:space:]]*$"; }

# A private token directory and configuration (never the system-wide /etc/softhsm one), and one token in it.
# Idempotent: a token that is already there is kept with its keys.
hsm_up() {
  hsm_installed || kp_die "SoftHSM2 is not installed ($HSM_LIBRARY); install with: sudo apt-get install -y softhsm2"
  (umask 077 && mkdir -p "$HSM_TOKENS")
  chmod 700 "$HSM_ROOT" "$HSM_TOKENS"
  cat >"$HSM_CONF" <<EOF
# Written by scripts/infra.sh at each start; edits are lost.
directories.tokendir = $HSM_TOKENS
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
  if hsm_token_present; then
    kp_say "SoftHSM token '$KP_HSM_TOKEN_LABEL' already initialised ($(kp_rel "$HSM_TOKENS"))"
    return 0
  fi
  local log="$HSM_ROOT/init-token.log"
  kp_say "initialising SoftHSM token '$KP_HSM_TOKEN_LABEL' in $(kp_rel "$HSM_TOKENS")"
  # The PINs are development values (KP_HSM_*_PIN); they go to softhsm2-util only, never to the log.
  if ! hsm_util --init-token --free --label "$KP_HSM_TOKEN_LABEL" \
      --so-pin "$KP_HSM_SO_PIN" --pin "$KP_HSM_USER_PIN" >"$log" 2>&1; then
    kp_tail "$log"
    kp_die "softhsm2-util could not initialise the token"
  fi
  hsm_token_present || kp_die "the SoftHSM token '$KP_HSM_TOKEN_LABEL' is not there after initialising it"
}

cmd_hsm() {
  mkdir -p "$KP_DATA" "$KP_RUN" "$KP_LOGS"
  hsm_installed || ensure_apt softhsm2
  save_settings
  hsm_up
}

# ---------------------------------------------------------------- commands

# The connection string of a login: the admin's (keyplatform) without arguments, else USER PASSWORD.
pg_conn() {
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s' \
    "$KP_PG_PORT" "$KP_DB" "${1:-$KP_USER}" "${2:-$KP_PASSWORD}"
}

cmd_env() {
  cat <<EOF
export ConnectionStrings__Postgres="$(pg_conn)"
export RabbitMq__Host="127.0.0.1"
export RabbitMq__Port="$KP_RABBIT_PORT"
export RabbitMq__Username="$KP_USER"
export RabbitMq__Password="$KP_PASSWORD"
export RabbitMq__VirtualHost="$KP_VHOST"
export RabbitMq__ManagementPort="$KP_RABBIT_MGMT_PORT"
export SOFTHSM2_CONF="$HSM_CONF"
export KP_HSM_LIBRARY="$HSM_LIBRARY"
export KP_HSM_TOKEN_LABEL="$KP_HSM_TOKEN_LABEL"
export KP_HSM_USER_PIN="$KP_HSM_USER_PIN"
EOF
  if [[ -r $BROKER_PASSWORDS ]]; then cat "$BROKER_PASSWORDS"; fi
  db_logins_env
}

cmd_status() {
  local pid rc=0
  if pid=$(pg_pid); then
    echo "postgres: running (pid $pid, 127.0.0.1:$(pg_running_port), data $(kp_rel "$PG_DATA"))"
  else
    echo "postgres: stopped"; rc=1
  fi
  if pid=$(rabbit_pid); then
    echo "rabbitmq: running (node $KP_RABBIT_NODENAME, pid $pid, amqp 127.0.0.1:$KP_RABBIT_PORT, management http://127.0.0.1:$KP_RABBIT_MGMT_PORT/)"
  else
    echo "rabbitmq: stopped"; rc=1
  fi
  # The token is a directory, not a server: reported, but not part of the exit status.
  if hsm_installed && [[ -r $HSM_CONF ]] && hsm_token_present; then
    echo "softhsm: token '$KP_HSM_TOKEN_LABEL' ready (SOFTHSM2_CONF=$(kp_rel "$HSM_CONF"))"
  else
    echo "softhsm: no token '$KP_HSM_TOKEN_LABEL' (scripts/infra.sh up or scripts/infra.sh hsm creates it)"
  fi
  return "$rc"
}

# Instances already running must have been started with the settings asked for now.
check_running_settings() {
  local port
  if pg_pid >/dev/null && port=$(pg_running_port) && [[ $port != "$KP_PG_PORT" ]]; then
    kp_die "our PostgreSQL already runs on port $port, not $KP_PG_PORT: run 'scripts/infra.sh down' first"
  fi
  if rabbit_pid >/dev/null && [[ $(rabbit_conf) != "$(cat "$RB_ROOT/rabbitmq.conf" 2>/dev/null)" ]]; then
    kp_die "our RabbitMQ already runs with other ports than asked for: run 'scripts/infra.sh down' first"
  fi
  return 0
}

cmd_up() {
  local started=$SECONDS
  mkdir -p "$KP_DATA" "$KP_RUN" "$KP_LOGS"
  check_running_settings
  ensure_packages
  save_settings
  pg_up
  rabbit_up
  hsm_up
  kp_say "PostgreSQL $(pg_conn)"
  kp_say "RabbitMQ amqp://$KP_USER:$KP_PASSWORD@127.0.0.1:$KP_RABBIT_PORT/$KP_VHOST  management http://127.0.0.1:$KP_RABBIT_MGMT_PORT/"
  kp_say "infrastructure ready in $((SECONDS - started))s; stop it with: scripts/infra.sh down"
}

# `down [postgres] [rabbitmq]`: both when none is named.
cmd_down() {
  local -a what=("$@")
  ((${#what[@]})) || what=(rabbitmq postgres)
  local w
  for w in "${what[@]}"; do
    case $w in
      postgres) pg_down ;;
      rabbitmq) rabbit_down ;;
      *) kp_die "unknown component '$w' (postgres, rabbitmq)" ;;
    esac
  done
  # Forget the recorded settings once nothing runs any more.
  pg_pid >/dev/null || rabbit_pid >/dev/null || rm -f "$STATE_FILE"
}

cmd=${1:-up}
(($#)) && shift
case $cmd in
  up) cmd_up ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  hsm) cmd_hsm ;;
  psql)
    PG_BIN=$(pg_bin_dir) || PG_BIN=$(dirname "$(command -v psql)")
    PGPASSWORD=$KP_PASSWORD exec "$PG_BIN/psql" -h 127.0.0.1 -p "$KP_PG_PORT" -U "$KP_USER" -d "$KP_DB" "$@" ;;
  rabbitmqctl)
    RB_BIN=$(rabbit_bin_dir) || kp_die "rabbitmqctl not found"
    rctl "$@" ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) kp_die "unknown command '$cmd' (up, hsm, down, status, env, psql, rabbitmqctl)" ;;
esac
