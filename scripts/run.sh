#!/usr/bin/env bash
# Run the whole Key Platform locally: private PostgreSQL + RabbitMQ, then the three services.
#
#   scripts/run.sh          start everything, wait until healthy, stay in the foreground;
#                           Ctrl+C stops the services and the infrastructure this run started
#   scripts/run.sh stop     stop a run started elsewhere (e.g. in the background) and the infrastructure
#
# Settings: KP_KEYSERVICE_PORT (5101), KP_ENVIRONMENTENCRYPTION_PORT (5102), KP_TENANTLOCK_PORT (5103),
# KP_HEALTH_TIMEOUT (90 s per start), KP_SKIP_BUILD=1 to start the last build as it is;
# KP_VAULT=local (default: keys in PostgreSQL under the master key) or KP_VAULT=softhsm (keys on the SoftHSM
# token that scripts/infra.sh makes, through the PKCS#11 adapter: a lock destroys the key, V1, V2) or
# KP_VAULT=local-hsm (keys in PostgreSQL, their master key only wrapped by an AES key on the SoftHSM token);
# infrastructure settings as in scripts/infra.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INFRA="$KP_ROOT/scripts/infra.sh"
SERVICES=(KeyService EnvironmentEncryption TenantLock)
declare -A DEFAULT_PORT=([KeyService]=5101 [EnvironmentEncryption]=5102 [TenantLock]=5103)
SUPERVISOR_PID="$KP_RUN/run.pid"
: "${KP_HEALTH_TIMEOUT:=90}"

port_of() { local var="KP_${1^^}_PORT"; printf '%s' "${!var:-${DEFAULT_PORT[$1]}}"; }
pidfile_of() { printf '%s' "$KP_RUN/$1.pid"; }
log_of() { printf '%s' "$KP_LOGS/$1.log"; }

# Stop the services recorded in the pid files (ours or a previous run's).
stop_services() {
  local name pid
  for name in "${SERVICES[@]}"; do
    if pid=$(kp_pidfile_alive "$(pidfile_of "$name")"); then
      kp_say "stopping $name (pid $pid)"
      kp_stop_pid "$pid" 20
    fi
    rm -f "$(pidfile_of "$name")"
  done
}

cmd_stop() {
  local pid
  # A foreground run.sh (e.g. started with `&`) cleans up after itself on SIGTERM.
  if pid=$(kp_pidfile_alive "$SUPERVISOR_PID"); then
    kp_say "stopping scripts/run.sh (pid $pid)"
    kp_stop_pid "$pid" 90
  fi
  rm -f "$SUPERVISOR_PID"
  stop_services
  "$INFRA" down
}

# ---------------------------------------------------------------- foreground run

STOP_INFRA=()        # the components this run started, stopped again on exit
CLEANED=0
cleanup() {
  ((CLEANED)) && return 0
  CLEANED=1
  trap '' INT TERM
  echo
  stop_services
  if ((${#STOP_INFRA[@]})); then
    "$INFRA" down "${STOP_INFRA[@]}" || true
  else
    kp_say "infrastructure was already running before this run; left running (scripts/infra.sh down stops it)"
  fi
  rm -f "$SUPERVISOR_PID"
}

start_service() {
  local name=$1 port dir dll log
  port=$(port_of "$name")
  dir="$KP_ROOT/services/$name/bin/Release/net10.0"
  dll="KeyPlatform.$name.dll"
  log=$(log_of "$name")
  [[ -f $dir/$dll ]] || kp_die "$(kp_rel "$dir/$dll") not found (build failed or project renamed?)"
  kp_port_open "$port" && kp_die "port $port (for $name) is taken by another process; set KP_${name^^}_PORT"
  # From its output folder, so the content root finds appsettings*.json; in its own session so a
  # Ctrl+C reaches only this script, which then stops the services in order.
  printf '===== %s: starting %s on port %s =====\n' "$(date '+%F %T')" "$name" "$port" >"$log"
  (
    cd "$dir"
    export ASPNETCORE_ENVIRONMENT=Development
    # Each service on its own broker user (deploy/rabbitmq/broker-users.tsv; passwords from `infra.sh env`)
    # and its own database login (deploy/postgres/roles.tsv; KP_PG_CONN_<SERVICE> from `infra.sh env`).
    local service user variable connection
    service="$(sed -E 's/([a-z])([A-Z])/\1-\2/g' <<<"$name" | tr 'A-Z' 'a-z')"
    user="kp-$service"
    variable="$(tr 'a-z-' 'A-Z_' <<<"$user")_BROKER_PASSWORD"
    export RabbitMq__Username="$user" RabbitMq__Password="${!variable:?$variable is not set (scripts/infra.sh env)}"
    connection="KP_PG_CONN_$(tr 'a-z-' 'A-Z_' <<<"$service")"
    export ConnectionStrings__Postgres="${!connection:?$connection is not set (scripts/infra.sh env)}"
    # TenantLock's dashboard reads the other two services (the others ignore these).
    Services__KeyService="http://127.0.0.1:$(port_of KeyService)"
    Services__EnvironmentEncryption="http://127.0.0.1:$(port_of EnvironmentEncryption)"
    export Services__KeyService Services__EnvironmentEncryption
    vault_settings "$name"
    exec setsid dotnet "$dll" --urls "http://127.0.0.1:$port" >>"$log" 2>&1 </dev/null
  ) &
  echo "$!" >"$(pidfile_of "$name")"
  kp_say "started $name (pid $!, http://127.0.0.1:$port, log: $(kp_rel "$log"))"
}

# A vault gateway client's secret file (docs/decisions/0020), under .data/run like the PIN file.
gateway_secret_file() { printf '%s' "$KP_RUN/vault-gateway-$1.secret"; }

# Each gateway client's secret, made once before the services start (KeyService reads both, each client its own).
make_gateway_secrets() {
  local client file
  for client in EnvironmentEncryption TenantLock; do
    file=$(gateway_secret_file "$client")
    [[ -s $file ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_' >"$file")
  done
}

# The key store (KP_VAULT): only KeyService opens it and holds its secret; EnvironmentEncryption and TenantLock reach
# keys through KeyService's vault gateway, each with a secret of its own. Exported in a service's subshell only.
vault_settings() {
  if [[ $1 != KeyService ]]; then
    export Vault__Provider=Gateway Vault__Gateway__Address="http://127.0.0.1:$(port_of KeyService)" \
      Vault__Gateway__Client="$1" Vault__Gateway__SecretFile="$(gateway_secret_file "$1")"
    return
  fi
  VaultGateway__Clients__EnvironmentEncryption__SecretFile=$(gateway_secret_file EnvironmentEncryption)
  VaultGateway__Clients__TenantLock__SecretFile=$(gateway_secret_file TenantLock)
  export VaultGateway__Clients__EnvironmentEncryption__SecretFile VaultGateway__Clients__TenantLock__SecretFile
  store_settings
}

# shellcheck disable=SC2154  # KP_HSM_* come from `infra.sh env`
store_settings() {
  case ${KP_VAULT:-local} in
    local)
      # The master key: KeyService's only.
      export Vault__Provider=Local Vault__MasterKeyFile="${Vault__MasterKeyFile:-$KP_ROOT/.data/vault/master.key}" ;;
    softhsm)
      token_settings
      export Vault__Provider=Pkcs11 ;;
    local-hsm)
      # The master key file holds the master key wrapped on the token (prepare_vault makes it); the keys stay in PostgreSQL.
      token_settings
      export Vault__Provider=Local Vault__MasterKeyWrapping=Pkcs11 \
        Vault__MasterKeyFile="${Vault__MasterKeyFile:-$KP_ROOT/.data/vault/master.key.wrapped}" ;;
    *) kp_die "KP_VAULT is '$KP_VAULT'; it must be local, softhsm or local-hsm" ;;
  esac
}

# The SoftHSM token's settings. The PIN reaches the services as a file (Vault:Pkcs11:PinFile), never on a command line
# or in a log.
token_settings() {
  local pin_file="$KP_RUN/hsm-user.pin"
  (umask 077 && printf '%s' "$KP_HSM_USER_PIN" >"$pin_file")
  export Vault__Pkcs11__Library="$KP_HSM_LIBRARY" Vault__Pkcs11__TokenLabel="$KP_HSM_TOKEN_LABEL" \
    Vault__Pkcs11__PinFile="$pin_file" SOFTHSM2_CONF
}

# KP_VAULT=local-hsm: the wrapped master key file, made once by the CLI before the services start (three services
# starting together must not each make a wrapping key); the plain master key is never written.
prepare_vault() {
  [[ ${KP_VAULT:-local} == local-hsm ]] || return 0
  (
    store_settings
    [[ -f $Vault__MasterKeyFile ]] && exit 0
    kp_say "creating the wrapped master key $(kp_rel "$Vault__MasterKeyFile") on the SoftHSM token"
    dotnet "$KP_ROOT/tools/KeyPlatform.Cli/bin/Release/net10.0/keyplatform.dll" master-key create --out "$Vault__MasterKeyFile" >/dev/null
  ) || kp_die "could not create the wrapped master key"
}

# Wait until every service answers GET /health/ready with 200; on failure show its log.
wait_healthy() {
  local deadline=$((SECONDS + KP_HEALTH_TIMEOUT)) name pid pending
  declare -A ok=()
  while :; do
    pending=0
    for name in "${SERVICES[@]}"; do
      [[ -n ${ok[$name]:-} ]] && continue
      pid=$(head -n 1 "$(pidfile_of "$name")")
      if ! kp_pid_alive "$pid"; then
        kp_tail "$(log_of "$name")" 60
        kp_die "$name exited during startup"
      fi
      if [[ $(kp_http_status "http://127.0.0.1:$(port_of "$name")/health/ready") == 200 ]]; then
        ok[$name]=1
        kp_say "$name is ready"
      else
        pending=1
      fi
    done
    ((pending)) || return 0
    if ((SECONDS >= deadline)); then
      local -a late=()
      for name in "${SERVICES[@]}"; do
        [[ -n ${ok[$name]:-} ]] && continue
        late+=("$name")
        kp_tail "$(log_of "$name")" 60
      done
      kp_die "not healthy within ${KP_HEALTH_TIMEOUT}s: ${late[*]}"
    fi
    sleep 1
  done
}

# shellcheck disable=SC2154  # RabbitMq__* and ConnectionStrings__* come from `infra.sh env`
print_table() {
  local name url code
  printf '\n%-24s %-26s %s\n' SERVICE URL HEALTH
  for name in "${SERVICES[@]}"; do
    url="http://127.0.0.1:$(port_of "$name")"
    code=$(kp_http_status "$url/health/ready")
    printf '%-24s %-26s %s\n' "$name" "$url" "$([[ $code == 200 ]] && echo "ready (200)" || echo "NOT READY ($code)")"
  done
  printf '%-24s %-26s %s\n' "RabbitMQ management" "http://127.0.0.1:$RabbitMq__ManagementPort/" \
    "user $RabbitMq__Username / $RabbitMq__Password, vhost $RabbitMq__VirtualHost, amqp port $RabbitMq__Port"
  printf '%-24s %s\n' "PostgreSQL" "$ConnectionStrings__Postgres (admin; each service on its own login, deploy/postgres/roles.tsv)"
  printf '\nLogs in %s. Press Ctrl+C to stop (or scripts/run.sh stop from another shell).\n' "$(kp_rel "$KP_LOGS")/"
}

cmd_run() {
  mkdir -p "$KP_RUN" "$KP_LOGS"
  local pid name
  if pid=$(kp_pidfile_alive "$SUPERVISOR_PID"); then
    kp_die "already running (scripts/run.sh, pid $pid); stop it with: scripts/run.sh stop"
  fi
  for name in "${SERVICES[@]}"; do
    if pid=$(kp_pidfile_alive "$(pidfile_of "$name")"); then
      kp_die "$name already runs (pid $pid); stop it with: scripts/run.sh stop"
    fi
  done
  echo "$$" >"$SUPERVISOR_PID"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # Whatever was not running before `up` is ours to stop at the end.
  local before
  before=$("$INFRA" status 2>/dev/null || true)
  [[ $before == *"rabbitmq: running"* ]] || STOP_INFRA+=(rabbitmq)
  [[ $before == *"postgres: running"* ]] || STOP_INFRA+=(postgres)
  "$INFRA" up
  eval "$("$INFRA" env)"
  kp_say "key store: ${KP_VAULT:-local} (KP_VAULT=local|softhsm|local-hsm)"

  if [[ ${KP_SKIP_BUILD:-0} != 1 ]]; then
    kp_say "building KeyPlatform.sln (Release)"
    (cd "$KP_ROOT" && dotnet build KeyPlatform.sln -c Release -nologo -v quiet -clp:NoSummary) ||
      kp_die "build failed"
  fi

  prepare_vault
  make_gateway_secrets
  for name in "${SERVICES[@]}"; do start_service "$name"; done
  wait_healthy
  print_table

  # Stay in the foreground; leave if a service dies. (`sleep & wait` lets the traps run at once.)
  while :; do
    for name in "${SERVICES[@]}"; do
      pid=$(head -n 1 "$(pidfile_of "$name")" 2>/dev/null || true)
      if ! kp_pid_alive "$pid"; then
        kp_tail "$(log_of "$name")" 40
        kp_die "$name stopped unexpectedly"
      fi
    done
    sleep 2 &
    wait $! || true
  done
}

case ${1:-run} in
  run) cmd_run ;;
  stop) cmd_stop ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) kp_die "unknown command '$1' (run, stop)" ;;
esac
