#!/usr/bin/env bash
# Run every test of Key Platform against private PostgreSQL + RabbitMQ.
#
#   scripts/test.sh [dotnet test arguments...]     e.g. scripts/test.sh --filter "FullyQualifiedName~Tenant"
#
# Builds KeyPlatform.sln (Release), runs `dotnet test` on it with one .trx file per test project in
# artifacts/test-results/, and prints as its last line "N passed, N failed" summed over those files.
# Exits non-zero when the build or `dotnet test` fails, a test fails, or no test ran at all.
# The infrastructure stays up afterwards (faster next run) unless KP_STOP_INFRA=1.
# KP_TEST_HANG_TIMEOUT (default 15m; empty to disable): abort a test host stuck on one test that long.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INFRA="$KP_ROOT/scripts/infra.sh"
RESULTS="$KP_ROOT/artifacts/test-results"
: "${KP_TEST_HANG_TIMEOUT=15m}"

# Sum the <Counters .../> element of every .trx file of this run: prints "passed failed executed".
# Errored, timed-out and aborted tests count as failed, and so does a run whose outcome is a
# failure with no failed test in its counters (a crashed or hung test host: its test is not counted).
# A test assembly that left no .trx at all (counted after `dotnet test`) is one failure too.
sum_trx() {
  local -a files=("$RESULTS"/*.trx)
  local missing=0
  [[ -e ${files[0]} ]] || files=()
  [[ -r $RESULTS/missing ]] && missing=$(<"$RESULTS/missing")
  awk -v missing="$missing" '
    function attr(s, name,   m) {
      if (match(s, " " name "=\"[0-9]+\"")) { m = substr(s, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 }
      return 0
    }
    function flush() { if (bad && f == 0) f = 1; failed += f; bad = 0; f = 0 }
    FNR == 1 { flush() }
    match($0, /<ResultSummary [^>]*>/) {
      if (substr($0, RSTART, RLENGTH) ~ /outcome="(Failed|Error|Aborted|Timeout)"/) bad = 1
    }
    match($0, /<Counters [^>]*>/) {
      c = substr($0, RSTART, RLENGTH)
      passed += attr(c, "passed")
      f += attr(c, "failed") + attr(c, "error") + attr(c, "timeout") + attr(c, "aborted")
      executed += attr(c, "executed")
    }
    END { flush(); printf "%d %d %d\n", passed, failed + missing, executed }
  ' "${files[@]}" /dev/null
}

# The dashboard's browser test (tests/KeyPlatform.Dashboard.Tests) drives Debian's Chromium, headless, over its
# DevTools protocol; a fresh machine does not have it (~25 s to install).
install_chromium() {
  command -v chromium >/dev/null && return 0
  [[ $(id -u) == 0 ]] || kp_die "missing chromium; install with: sudo apt-get install -y chromium"
  command -v apt-get >/dev/null || kp_die "missing chromium and no apt-get to install it"
  local log="$KP_LOGS/apt-chromium.log" started=$SECONDS rc=0
  mkdir -p "$KP_LOGS"
  kp_say "installing chromium with apt-get (log: $(kp_rel "$log"))"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  } >"$log" 2>&1 </dev/null || rc=$?
  if ((rc)); then kp_tail "$log"; kp_die "apt-get failed (exit $rc)"; fi
  kp_say "installed chromium in $((SECONDS - started))s"
}

# Always end with the summary line, whatever happened before (a failed build counts nothing).
STATUS=1
finish() {
  local rc=$? passed failed executed
  ((rc)) || rc=$STATUS
  read -r passed failed executed < <(sum_trx)
  if [[ ${KP_STOP_INFRA:-0} == 1 ]]; then
    "$INFRA" down >/dev/null 2>&1 || kp_warn "scripts/infra.sh down failed"
  else
    kp_say "infrastructure left running; stop it with: scripts/infra.sh down"
  fi
  if ((rc == 0 && failed == 0 && executed == 0)); then
    kp_say "no test was executed: failing the run"
    rc=1
  fi
  ((rc == 0 && failed > 0)) && rc=1
  echo "$passed passed, $failed failed"
  exit "$rc"
}
trap finish EXIT

cd "$KP_ROOT"
rm -rf "$RESULTS"   # only this run's .trx files are counted
mkdir -p "$RESULTS"

"$INFRA" up
eval "$("$INFRA" env)"
install_chromium

kp_say "building KeyPlatform.sln (Release)"
if ! dotnet build KeyPlatform.sln -c Release -nologo -v quiet -clp:NoSummary; then
  kp_say "build failed"
  exit 1
fi

# One .trx per test project. A fixed LogFileName would make every project of the solution write
# the same file; LogFilePrefix names each file kp_<tfm>_<timestamp to the second>, taking the next
# free name, which is race-free only when projects finish one after another: hence -m:1 (test
# projects run in turn; tests inside a project still run in parallel as xunit decides). That also
# keeps the projects from competing for the one PostgreSQL and RabbitMQ on a 2-core machine.
args=(test KeyPlatform.sln --no-build -c Release --nologo -m:1
  --results-directory "$RESULTS" --logger "trx;LogFilePrefix=kp")
[[ -n $KP_TEST_HANG_TIMEOUT ]] && args+=(--blame-hang-timeout "$KP_TEST_HANG_TIMEOUT" --blame-hang-dump-type none)

kp_say "dotnet ${args[*]} $*"
test_rc=0
dotnet "${args[@]}" "$@" 2>&1 | tee "$RESULTS/dotnet-test.log" || test_rc=$?

# Every test assembly that started should have left a .trx; one that crashed before may not have.
shopt -s nullglob
trx=("$RESULTS"/*.trx)
assemblies=$(grep -c '^Test run for ' "$RESULTS/dotnet-test.log" || true)
kp_say "test assemblies run: $assemblies; .trx files: ${#trx[@]} (in $(kp_rel "$RESULTS")/)"
if ((assemblies > ${#trx[@]})); then
  kp_say "$((assemblies - ${#trx[@]})) test assembly/assemblies left no .trx file: each counted as one failure"
  echo "$((assemblies - ${#trx[@]}))" >"$RESULTS/missing"
  ((test_rc)) || test_rc=1
fi
if ((test_rc)); then
  kp_say "dotnet test exited with code $test_rc"
  exit "$test_rc"
fi
STATUS=0
