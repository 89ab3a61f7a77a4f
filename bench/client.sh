#!/usr/bin/env bash
# Client footprint benchmark (issue 5, item 12): the client daemon enrolled with a real server on
# loopback, measured against its goals, and a bare JVM with the client's flags in the same run
# for ratios (absolute numbers move with the machine's load; compare ratios between machines).
#
#   (a) daemon start to its first completed check-in: process start until DATA/client/state.json
#       carries a new lastCheck (polled every 10 ms)                         goal <= 1 s
#       and the CPU time (utime+stime) the process had spent by then: on a loaded machine the
#       wall time says little, the CPU time still compares between runs
#   (b) resident set size after IDLE_SECONDS idle                            goal <= 64 MB
#   (c) CPU time of a no-change check-in: utime+stime of the daemon (/proc/PID/stat) before and
#       after K 'patchfleet refresh --wait' calls, divided by K. Nothing is subtracted: it
#       includes the control-socket handling of each verb and whatever the idle daemon does
#       meanwhile (its idle CPU over the idle period is printed for comparison)  goal <= 20 ms
#   (d) 'patchfleet client --once' (JVM start, framework, one check-in, exit): wall and CPU
#       time and peak RSS, from /usr/bin/time
#
# The server holds a publisher repository with one patch for kernel 6.1.0-56-amd64; the client
# runs the real kernel applier, so unless this machine runs exactly that kernel its check-in is
# a no-change check-in answering 'unsupported' (after the first, an ETag revalidation).
#
# usage: bench/client.sh [RUNS]      (default 5 daemon starts; prints a Markdown table)
#   IDLE_SECONDS=10 REFRESHES=20
#   DIST=DIR  the assembled distribution to measure (default launcher/target/patchfleet), such as
#             a copy of an earlier build, for a before/after comparison in the same session; its
#             own bin/patchfleet (and JVM flags) is used
#   PORT=18483  the server's loopback port (two runs side by side need two ports)
# needs: a build (mvn -q install -DskipTests), curl, /usr/bin/time, loopback port $PORT free.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-5}
idle_seconds=${IDLE_SECONDS:-10}
refreshes=${REFRESHES:-20}
port=${PORT:-18483}
server_url=http://127.0.0.1:$port
dist=${DIST:-launcher/target/patchfleet}
work=$(mktemp -d)
pf=$work/dist/bin/patchfleet
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ -f $dist/lib/patchfleet-launcher.jar ]] || { echo "build first: mvn -q install -DskipTests (or DIST=$dist is no distribution)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)" >&2; exit 1; }
simulated=$(ls bundles/io.patchfleet.kernel.simulated/target/io.patchfleet.kernel.simulated-*.jar 2>/dev/null | head -1)
[[ -n $simulated ]] || { echo "build first: mvn -q install -DskipTests" >&2; exit 1; }
# A private copy of the distribution: other builds in this checkout must not swap jars mid-run.
cp -a "$dist" "$work/dist"
rm -rf "$work/dist/cds"   # no class-data archive from an earlier run: this run's first successful check-in writes it
export PATCHFLEET_HOME=$work/dist
export XDG_CONFIG_HOME=$work/xdg   # the admin session of this run only
clk_tck=$(getconf CLK_TCK)

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime (after the "(comm)" field, which has no spaces here)
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
wait_for() { # CMD... : poll every 10 ms for up to WAIT_SECONDS (default 180: a loaded machine starts slowly)
  local deadline=$(( $(now_ms) + ${WAIT_SECONDS:-180} * 1000 ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < deadline )) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.01
  done
}
last_check() { sed -n 's/.*"lastCheck" *: *"\([^"]*\)".*/\1/p' "$client/client/state.json" 2>/dev/null || true; }
checked_since() { local c; c=$(last_check); [[ -n $c && $c != "$1" ]]; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# --- server: a publisher repository with one patch, mirrored; an admin session; a token
cat >"$work/Module.java" <<'JAVA'
public class Module { public static void main(String[] a) throws Exception {
  io.patchfleet.kernel.simulated.SimulatedModules.write(java.nio.file.Path.of(a[0]), "lkp_bench_1", "6.1.0-56-amd64"); } }
JAVA
java -cp "$simulated" "$work/Module.java" "$work/lkp_bench_1.ko"
"$pf" publisher init --repo "$work/repo" --insecure-plain-keys >/dev/null
"$pf" publisher add --repo "$work/repo" --cve CVE-2024-1086:high --description 'bench patch' "$work/lkp_bench_1.ko" >/dev/null
root_sha=$(sha256sum "$work/repo/metadata/1.root.json" | cut -d' ' -f1)
mkdir -p "$work/server/etc"
cat >"$work/server/etc/io.patchfleet.server.mirror.cfg" <<CFG
repository = $work/repo
root.sha256 = $root_sha
interval.seconds = 3600
CFG
"$pf" server --data "$work/server" --port "$port" >"$work/server.log" 2>&1 & server_pid=$!; pids+=("$server_pid")
wait_for curl -fs "$server_url/v1/health"
wait_for grep -q "Catalog: 6.1.0-56-amd64" "$work/server.log"
"$pf" admin login --server "$server_url" --password-file "$work/server/initial-admin-password" >/dev/null
token=$("$pf" admin token create stable --server "$server_url" --max-uses 10 --format json | sed -n 's/.*"secret" *: *"\([^"]*\)".*/\1/p')

# --- client: enroll once (check-ins on demand only, so nothing runs between measurements)
client=$work/client
"$pf" client --data "$client" >"$work/client-enroll.log" 2>&1 & cpid=$!; pids+=("$cpid")
wait_for grep -q "ready in" "$work/client-enroll.log"
"$pf" enable "$token" --data "$client" --server "$server_url" --root-sha256 "$root_sha" >/dev/null
"$pf" config --data "$client" check-interval=0 >/dev/null
"$pf" refresh --wait --data "$client" >/dev/null
support=$("$pf" status --data "$client" --format json | sed -n 's/.*"support" *: *"\([^"]*\)".*/\1/p' | head -1)
stop "$cpid"
# The first check-in at daemon start runs whatever check-interval says; 0 would skip it, so the
# measured daemons run with the default interval (60 min): one check-in at start, then idle.
"$pf" client --once --data "$client" >/dev/null 2>&1 || true   # (settles any first-start work)
sed -i 's/^check\.interval *=.*/check.interval = 60/' "$client/etc/io.patchfleet.client.cfg"

# --- measured daemon starts
: >"$work/daemon.txt"; : >"$work/once.txt"
for ((i = 1; i <= runs; i++)); do
  before=$(last_check)
  log=$work/client-$i.log
  start=$(now_ms)
  "$pf" client --data "$client" >"$log" 2>&1 & cpid=$!; pids+=("$cpid")
  wait_for checked_since "$before"
  first=$(( $(now_ms) - start ))
  first_cpu=$(cpu_ticks "$cpid")
  wait_for grep -q "ready in" "$log"
  c0=$(cpu_ticks "$cpid")
  sleep "$idle_seconds"
  rss=$(rss_kb "$cpid")
  c1=$(cpu_ticks "$cpid")
  for ((k = 1; k <= refreshes; k++)); do
    "$pf" refresh --wait --data "$client" >/dev/null
  done
  c2=$(cpu_ticks "$cpid")
  stop "$cpid"
  # ms per idle second, ms per check-in
  echo "$first $rss $(echo "($c1 - $c0) * 1000 / $clk_tck / $idle_seconds" | bc -l) $(echo "($c2 - $c1) * 1000 / $clk_tck / $refreshes" | bc -l) $(( first_cpu * 1000 / clk_tck ))" >>"$work/daemon.txt"
  /usr/bin/time -f '%e %U %S %M' -o "$work/once-$i.time" "$pf" client --once --data "$client" >"$work/once-$i.log" 2>&1
  read -r e u s m <"$work/once-$i.time"
  echo "$(echo "$e * 1000" | bc -l) $(echo "($u + $s) * 1000" | bc -l) $m" >>"$work/once.txt"
done

# --- bare JVM with the client's flags: idle RSS, start to ready, and a start-and-exit
mkdir -p "$work/bare" && cat >"$work/bare/Idle.java" <<'JAVA'
public class Idle { public static void main(String[] a) throws Exception { System.out.println("ready"); if (a.length == 0) Thread.sleep(600_000); } }
JAVA
javac -d "$work/bare" "$work/bare/Idle.java"
# The client's opts=(...) array only (not the class-data-sharing options added after it).
opts=$(sed -n '/^  client)/,/;;/p' "$pf" | sed -n '/opts=(/,/)/p' | tr -d '()' | grep -oE -- '-X[^ ]+' | tr '\n' ' ')
: >"$work/bare.txt"
for ((i = 1; i <= runs; i++)); do
  start=$(now_ms)
  # shellcheck disable=SC2086
  MALLOC_ARENA_MAX=1 java $opts -cp "$work/bare" Idle >"$work/bare-$i.log" 2>&1 & bpid=$!; pids+=("$bpid")
  wait_for grep -q ready "$work/bare-$i.log"
  ready=$(( $(now_ms) - start ))
  sleep "$idle_seconds"
  rss=$(rss_kb "$bpid")
  stop "$bpid"
  # shellcheck disable=SC2086
  MALLOC_ARENA_MAX=1 /usr/bin/time -f '%e %U %S %M' -o "$work/bare-$i.time" java $opts -cp "$work/bare" Idle exit >/dev/null
  read -r e u s m <"$work/bare-$i.time"
  echo "$ready $rss $(echo "$e * 1000" | bc -l) $(echo "($u + $s) * 1000" | bc -l) $m" >>"$work/bare.txt"
done
stop "$server_pid"

col() { cut -d' ' -f"$2" "$1" | median; }
first=$(col "$work/daemon.txt" 1); rss=$(col "$work/daemon.txt" 2)
idle_cpu=$(col "$work/daemon.txt" 3); check_cpu=$(col "$work/daemon.txt" 4); first_cpu=$(col "$work/daemon.txt" 5)
once_wall=$(col "$work/once.txt" 1); once_cpu=$(col "$work/once.txt" 2); once_rss=$(col "$work/once.txt" 3)
bare_ready=$(col "$work/bare.txt" 1); bare_rss=$(col "$work/bare.txt" 2)
bare_wall=$(col "$work/bare.txt" 3); bare_cpu=$(col "$work/bare.txt" 4); bare_peak=$(col "$work/bare.txt" 5)
mb() { echo "$1 / 1024" | bc -l; }
r() { echo "$1 / $2" | bc -l; }

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1), kernel $(uname -r), $(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Start to first completed check-in, each run: $(cut -d' ' -f1 "$work/daemon.txt" | tr '\n' ' ')ms; RSS: $(cut -d' ' -f2 "$work/daemon.txt" | awk '{ printf "%.1f ", $1 / 1024 }')MB"
echo "Runs: $runs (median); RSS after ${idle_seconds} s idle; $refreshes no-change check-ins per run (kernel support: ${support:-?}); CPU clock tick $((1000 / clk_tck)) ms"
echo
echo "| what | measured | goal | bare JVM, client flags | ratio to bare JVM |"
echo "|---|---:|---:|---:|---:|"
printf '| daemon: start to first completed check-in | %.0f ms | ≤ 1000 ms | %.0f ms (start to main) | %.1f |\n' "$first" "$bare_ready" "$(r "$first" "$bare_ready")"
printf '| daemon: CPU time (user+sys) to first completed check-in | %.0f ms | — | %.0f ms (start and exit) | %.1f |\n' "$first_cpu" "$bare_cpu" "$(r "$first_cpu" "$bare_cpu")"
printf '| daemon: RSS after %s s idle | %.1f MB | ≤ 64 MB | %.1f MB | %.2f |\n' "$idle_seconds" "$(mb "$rss")" "$(mb "$bare_rss")" "$(r "$rss" "$bare_rss")"
printf '| daemon: CPU per no-change check-in (incl. the verb'"'"'s socket handling) | %.1f ms | ≤ 20 ms | — | — |\n' "$check_cpu"
printf '| daemon: idle CPU | %.2f ms/s | — | — | — |\n' "$idle_cpu"
printf '| `client --once`: wall time | %.0f ms | — | %.0f ms (start and exit) | %.1f |\n' "$once_wall" "$bare_wall" "$(r "$once_wall" "$bare_wall")"
printf '| `client --once`: CPU time (user+sys) | %.0f ms | — | %.0f ms | %.1f |\n' "$once_cpu" "$bare_cpu" "$(r "$once_cpu" "$bare_cpu")"
printf '| `client --once`: peak RSS | %.1f MB | — | %.1f MB | %.2f |\n' "$(mb "$once_rss")" "$(mb "$bare_peak")" "$(r "$once_rss" "$bare_peak")"
