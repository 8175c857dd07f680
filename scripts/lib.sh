# shellcheck shell=bash disable=SC2034  # variables used by the sourcing scripts
# Shared helpers for the scripts in this folder. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The sourcing script sets `set -euo pipefail` itself.

# Repository root, computed from this file's location (never a fixed path).
KP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KP_DATA="$KP_ROOT/.data"        # git-ignored: databases, logs, pid files
KP_RUN="$KP_DATA/run"           # pid files and the settings recorded by `infra.sh up`
KP_LOGS="$KP_DATA/logs"         # service, build and CI logs

# Name of the calling script, used as the prefix of its messages.
KP_TAG="${KP_TAG:-$(basename "${BASH_SOURCE[1]:-kp}" .sh)}"

kp_say()  { printf '[%s] %s\n' "$KP_TAG" "$*"; }
kp_warn() { printf '[%s] warning: %s\n' "$KP_TAG" "$*" >&2; }
kp_die()  { printf '[%s] error: %s\n' "$KP_TAG" "$*" >&2; exit 1; }

# A path relative to the repository, for messages.
kp_rel() { local p=$1; [[ $p == "$KP_ROOT"/* ]] && p=${p#"$KP_ROOT"/}; printf '%s' "$p"; }

# Print the last lines of a log file to stderr, framed.
kp_tail() {
  local file=$1 lines=${2:-40}
  if [[ -s $file ]]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$(kp_rel "$file")" >&2
    tail -n "$lines" "$file" >&2
    printf -- '----- end of %s -----\n' "$(kp_rel "$file")" >&2
  else
    printf -- '(%s is empty or missing)\n' "$(kp_rel "$file")" >&2
  fi
}

# Alive = exists and is not a zombie (an exited child nobody has reaped yet still answers kill -0).
kp_pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || true
  [[ $state != Z* ]]
}

# First line of a pid file, if the file exists and that process is alive.
kp_pidfile_alive() {
  local file=$1 pid
  [[ -r $file ]] || return 1
  pid=$(head -n 1 "$file" 2>/dev/null | tr -d '[:space:]')
  [[ $pid =~ ^[0-9]+$ ]] && kp_pid_alive "$pid" || return 1
  printf '%s' "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:PORT (bash's /dev/tcp, no extra tools).
kp_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# HTTP status of a GET (000 when nothing answers). Extra curl arguments may follow the URL.
kp_http_status() {
  local url=$1; shift
  curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 5 "$@" "$url" 2>/dev/null || true
}

# Stop a process started by our scripts: TERM, wait up to N seconds, then KILL.
kp_stop_pid() {
  local pid=$1 grace=${2:-20} i
  kp_pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kp_pid_alive "$pid" || return 0
    sleep 0.1
  done
  kp_warn "process $pid did not stop within ${grace}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Quiet, non-interactive .NET CLI.
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE="${DOTNET_SKIP_FIRST_TIME_EXPERIENCE:-1}"
# No MSBuild worker nodes or build server left behind after a build: they would outlive the
# script and, in CI, can hold its output pipe open.
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export DOTNET_CLI_USE_MSBUILD_SERVER="${DOTNET_CLI_USE_MSBUILD_SERVER:-0}"
