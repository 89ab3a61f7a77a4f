#!/usr/bin/env bash
# Check-in benchmark (issue 4, item 10): the real server ('patchfleet server') holding a fleet
# of enrolled machines, a load generator on the same machine replaying check-ins from distinct
# machine ids (steady state with ETag revalidation, state changes with events, first
# check-ins), then GET /v1/health with the same generator in the same run for the ratio. A JFR
# recording of the server during the check-in phase is summarized at the end.
#
# usage: bench/checkin.sh            (settings below through the environment)
#   MACHINES=1000000 FIRST_MACHINES=100000  enrolled machines; the last FIRST_MACHINES never reported
#   CONNECTIONS=64 WARMUP=30 DURATION=45 HEALTH_SECONDS=20   keep-alive connections, phase lengths
#   WARMUP_POOL=0     N > 0: the warm-up's steady and state-change check-ins cycle over N reported
#                     machines kept out of the measurement, so WARMUP can be long enough for the
#                     server's JIT to finish (a long-running server); the measured check-ins still
#                     each come from a machine no other check-in of the run used
#   RATE=0            0: closed loop (capacity); N: open loop at N check-ins/s (latency from the
#                     intended send time, no coordinated omission)
#   FIRST_PERCENT=2 CHANGE_PERCENT=3   mix; the rest are steady-state check-ins
#   BENCH_DIR=/tmp/patchfleet-bench    seeded fleet (kept between runs) and run data
#   FULL_CHAIN=0      1: every built-in rollout policy configured for the fleet's tier (waves at
#                     100 %, a health gate, an always-open maintenance window, delay 0 with a
#                     cutoff, a pin for a tag nobody has), to measure the chain's cost (issue 8)
#   FLOOR_SECONDS=0   N: after health, N s of GET on an unknown route (404): the HTTP stack's floor
#   JFR=1             0: no JFR recording (its samples cost the server a little CPU)
#   FOLD_SECONDS=900  how often the last-seen journal is folded into the database (the product's
#                     default); set it below DURATION to include a fold's cost in the measurement
#   SEEN_SYNC_MS=100  how often the last-seen journal is forced to disk (the product's default);
#                     0: strict, every steady-state check-in answered after the sync holding it
#   HEAP=4g           server heap for the run, fixed and pre-touched (-Xms = -Xmx, AlwaysPreTouch:
#                     this VM hands free memory back to its host, and first touches of a fresh heap
#                     made young pauses of ~1 s inside the measurement); a heap that grows does so through
#                     full collections, 11 s ones with a million machines loaded; the default
#                     server flags say 512m; the seeded database asks for a 3 GB row cache, see
#                     bench/src/CheckInSeed.java)
# needs: Java 17 (java, jfr), curl, loopback port 18481.
#
# The seeded fleet is made once (publisher repository, server start to create the schema and
# mirror the patch, bulk insert through JDBC: see bench/src/CheckInSeed.java) and copied afresh
# into the run's data directory, so every run starts from the same database.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
machines=${MACHINES:-1000000}
first=${FIRST_MACHINES:-100000}
reported=$((machines - first))
connections=${CONNECTIONS:-64}
warmup=${WARMUP:-30}
seconds=${DURATION:-45}   # not SECONDS: bash sets that one itself
health_seconds=${HEALTH_SECONDS:-20}
rate=${RATE:-0}
first_percent=${FIRST_PERCENT:-2}
change_percent=${CHANGE_PERCENT:-3}
heap=${HEAP:-4g}
fold_seconds=${FOLD_SECONDS:-900}
seed=patchfleet-bench-seed
port=18481
bench=${BENCH_DIR:-/tmp/patchfleet-bench}
fleet=$bench/fleet-$machines-$first
run=$bench/run
mkdir -p "$bench"

[[ -f launcher/target/patchfleet/lib/patchfleet-launcher.jar ]] || mvn -B -q install -DskipTests
# A private copy of the distribution: other builds in this checkout must not swap jars mid-run.
rm -rf "$bench/dist" && cp -a launcher/target/patchfleet "$bench/dist"
export PATCHFLEET_HOME=$bench/dist
pf=$root/bin/patchfleet
hsqldb=$(ls "$bench"/dist/profiles/server/bundles/hsqldb-*.jar | head -1)
simulated=$(ls bundles/io.patchfleet.kernel.simulated/target/io.patchfleet.kernel.simulated-*.jar \
  ~/.m2/repository/io/patchfleet/io.patchfleet.kernel.simulated/*/io.patchfleet.kernel.simulated-*.jar 2>/dev/null | head -1 || true)

now_ms() { date +%s%3N; }
wait_for() { # up to WAIT_MS (120 s)
  local deadline=$(( $(now_ms) + ${WAIT_MS:-120000} ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < deadline )) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}
server_pid=
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT

if [[ ! -f $fleet/seeded ]]; then
  rm -rf "$fleet" && mkdir -p "$fleet/data/etc"
  t0=$(now_ms)
  # A publisher repository with one cumulative patch for the fleet's kernel.
  cat >"$fleet/Module.java" <<'JAVA'
public class Module { public static void main(String[] a) throws Exception {
  io.patchfleet.kernel.simulated.SimulatedModules.write(java.nio.file.Path.of(a[0]), "lkp_bench_1", "6.1.0-56-amd64"); } }
JAVA
  java -cp "$simulated" "$fleet/Module.java" "$fleet/lkp_bench_1.ko"
  "$pf" publisher init --repo "$fleet/repo" --insecure-plain-keys >/dev/null
  "$pf" publisher add --repo "$fleet/repo" --cve CVE-2024-1086:high --description 'bench patch' "$fleet/lkp_bench_1.ko" >/dev/null
  cat >"$fleet/data/etc/io.patchfleet.server.mirror.cfg" <<EOF
repository = $fleet/repo
root.sha256 = $(sha256sum "$fleet/repo/metadata/1.root.json" | cut -d' ' -f1)
interval.seconds = 3600
EOF
  # Start once: creates the schema and mirrors the patch into the catalog; then stop cleanly.
  "$pf" server --data "$fleet/data" --port "$port" >"$fleet/first-start.log" 2>&1 & server_pid=$!
  wait_for curl -fs "http://127.0.0.1:$port/v1/health"
  wait_for grep -q "Catalog: 6.1.0-56-amd64" "$fleet/first-start.log"
  stop_server
  java -cp "$hsqldb" bench/src/CheckInSeed.java "$fleet/data/db/patchfleet" "$seed" "$reported" "$machines"
  echo "$(( ($(now_ms) - t0) / 1000 )) s" >"$fleet/seeded"
  echo "seeded fleet in $fleet: $(du -sh "$fleet/data/db" | cut -f1), $(cat "$fleet/seeded")" >&2
fi

# Bring the seeded fleet's schema up to this code once (new migrations on a million machines
# take minutes), so that every run starts from the same, current database.
PATCHFLEET_JAVA_OPTS="-Xmx$heap ${PATCHFLEET_JAVA_OPTS:-}" \
  "$pf" server --data "$fleet/data" --port "$port" >"$fleet/upgrade.log" 2>&1 & server_pid=$!
# A migration may take minutes before the launcher says ready; after that, health must pass soon.
WAIT_MS=1800000 wait_for grep -q "server ready in" "$fleet/upgrade.log"
WAIT_MS=120000 wait_for curl -fs "http://127.0.0.1:$port/v1/health" || {
  echo "the server on the seeded fleet is not healthy (a distribution older than the fleet's schema?):" >&2
  curl -s "http://127.0.0.1:$port/v1/health" | head -c 2000 >&2; echo >&2; exit 1; }
stop_server
grep -o "open at schema version [0-9]*" "$fleet/upgrade.log" >&2 || true
# Schema 6 added each machine's last rollout decision: give the seeded fleet the steady state's.
schema=$(grep -o "open at schema version [0-9]*" "$fleet/upgrade.log" | grep -o "[0-9]*$" | tail -1)
if [[ ! -f $fleet/decisions-seeded && ${schema:-0} -ge 6 ]]; then
  java -Xmx2g -cp "$hsqldb" bench/src/SeedDecisions.java "$fleet/data/db/patchfleet" && touch "$fleet/decisions-seeded"
fi

rm -rf "$run" && mkdir -p "$run" && cp -a "$fleet/data" "$run/data"
rm -rf "$run/data/db/patchfleet.seen"
printf 'seen.fold.interval.seconds = %s\nseen.sync.ms = %s\n' "$fold_seconds" "${SEEN_SYNC_MS:-100}" \
  >"$run/data/etc/io.patchfleet.store.jdbc.cfg"
if [[ ${FULL_CHAIN:-0} == 1 ]]; then
  printf 'steps = 0=100\n' >"$run/data/etc/io.patchfleet.rollout.waves-bench.cfg"
  printf 'window = 1h\nmin.sample = 20\nmax.apply.failed.percent = 90\nmax.crashed.percent = 90\nmax.check.failed.percent = 90\n' \
    >"$run/data/etc/io.patchfleet.rollout.healthgate-bench.cfg"
  printf 'name = always\ncron = * * * * *\nduration = 2h\nzone = UTC\n' >"$run/data/etc/io.patchfleet.rollout.window-bench.cfg"
  printf 'delay = 0s\ncutoff = 2099-01-01T00:00:00Z\n' >"$run/data/etc/io.patchfleet.rollout.delay-bench.cfg"
  printf 'tags = role:nobody\nversion = 1\n' >"$run/data/etc/io.patchfleet.rollout.pin-bench.cfg"
fi
PATCHFLEET_JAVA_OPTS="-Xms$heap -Xmx$heap -XX:+AlwaysPreTouch -Xlog:gc:file=$run/gc.log:uptime ${PATCHFLEET_JAVA_OPTS:-}" \
  "$pf" server --data "$run/data" --port "$port" >"$run/server.log" 2>&1 & server_pid=$!
t0=$(now_ms)
WAIT_MS=900000 wait_for curl -fs "http://127.0.0.1:$port/v1/health"
echo "server ready in $(( $(now_ms) - t0 )) ms" >&2
# The fleet index (every machine in memory) loads in the background; check-ins are served
# meanwhile through database reads. Measure the steady state: wait until it is loaded.
deadline=$(( $(now_ms) + 600000 ))
until grep -q "Fleet index loaded" "$run/server.log"; do
  (( $(now_ms) < deadline )) || { echo "fleet index not loaded after 600 s" >&2; exit 1; }
  sleep 0.5
done
grep -o "Fleet index loaded.*" "$run/server.log" >&2
if [[ ${FULL_CHAIN:-0} == 1 ]]; then
  # Measure only the chain asked for: refuse to go on without every policy in it. (On
  # 2026-11-26 the policies of a copied, already-started data directory did not come up; not
  # yet understood, so this check stops the run instead of measuring the wrong chain.)
  for policy in waves healthgate always delay pin; do  # the window logs its name
    WAIT_MS=30000 wait_for grep -q "Rollout policy $policy.*installed" "$run/server.log" \
      || { echo "FULL_CHAIN: policy $policy not installed; see $run/server.log" >&2; exit 1; }
  done
fi
# JFR records the check-in phase only (after the generator's warm-up).
[[ ${JFR:-1} == 0 ]] || jcmd "$server_pid" JFR.start name=bench settings="$root/bench/src/cpu.jfc" filename="$run/server.jfr" \
  delay="$((warmup + 1))s" duration="${seconds}s" >/dev/null
sleep 3 # the mirror's first refresh at start

PATCHFLEET_SERVER_PID=$server_pid java -Xmx1g -XX:+UseSerialGC bench/src/CheckInLoad.java 127.0.0.1 "$port" "$seed" "$reported" "$machines" \
  "$connections" "$warmup" "$seconds" "$health_seconds" "$rate" "$first_percent" "$change_percent" "$run/results.json"
curl -s "http://127.0.0.1:$port/metrics" >"$run/metrics.txt" || true
stop_server

java bench/src/JfrTop.java "$run/server.jfr" >"$run/profile.txt" || true
echo "--- results ($run/results.json)"
cat "$run/results.json"
echo "--- $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(java -version 2>&1 | head -1), $(date -u +%F)"
echo "--- store time per check-in operation, whole run (sum seconds / count, from /metrics)"
grep -E '^patchfleet_checkin_store_duration_seconds_(sum|count)' "$run/metrics.txt" || true
grep -E 'Counted .* machines by tier and state' "$run/server.log" || true
grep -E 'Folded|last-seen' "$run/server.log" || true
echo "--- GC pauses of the whole run ($run/gc.log; the fleet index load included)"
awk '/Pause/ { n++; ms = $NF; sub(/ms/, "", ms); t += ms; if (ms > max) max = ms }
     END { printf "%d pauses, %.0f ms in total, longest %.1f ms\n", n, t, max }' "$run/gc.log" || true
echo "--- profile ($run/profile.txt)"
head -60 "$run/profile.txt"
