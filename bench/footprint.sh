#!/usr/bin/env bash
# Footprint baseline: start-up time to ready and idle RSS of the server and client profiles,
# against a bare JVM with the same flags started in the same run (the ratio is what to compare
# between machines; absolute numbers move with the machine's load).
#
# usage: bench/footprint.sh [RUNS]        (default 5 runs per profile; prints a Markdown table)
# needs: a build (mvn -q install -DskipTests), curl, and loopback port 18480 free.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
pf=bin/patchfleet
port=18480
idle_seconds=${IDLE_SECONDS:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

[[ -f launcher/target/patchfleet/lib/patchfleet-launcher.jar ]] || { echo "build first: mvn -q install -DskipTests" >&2; exit 1; }

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# wait_for CMD... : poll every 10 ms for up to 60 s
wait_for() {
  local deadline=$(( $(now_ms) + 60000 ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < deadline )) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.01
  done
}

measure_profile() { # profile -> lines "ready_ms rss_kb"
  local profile=$1 i
  for ((i = 1; i <= runs; i++)); do
    local data="$work/$profile-$i" log="$work/$profile-$i.log" start pid ready
    start=$(now_ms)
    if [[ $profile == server ]]; then
      "$pf" server --data "$data" --port "$port" >"$log" 2>&1 & pid=$!
      wait_for curl -fs "http://127.0.0.1:$port/v1/health"
    else
      "$pf" client --data "$data" >"$log" 2>&1 & pid=$!
      wait_for grep -q "ready in" "$log"
    fi
    ready=$(( $(now_ms) - start ))
    sleep "$idle_seconds"   # idle: let start-up garbage and JIT settle before reading RSS
    echo "$ready $(rss_kb $pid)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
}

measure_bare_jvm() { # the client's JVM flags running nothing: the floor any Java client pays
  local i
  mkdir -p "$work/bare" && cat >"$work/bare/Idle.java" <<'JAVA'
public class Idle { public static void main(String[] a) throws Exception { System.out.println("ready"); Thread.sleep(600_000); } }
JAVA
  javac -d "$work/bare" "$work/bare/Idle.java"
  local opts
  opts=$(sed -n '/^  client)/,/;;/p' "$pf" | tr -d '()' | grep -oE -- '-X[^ ]+' | tr '\n' ' ')
  for ((i = 1; i <= runs; i++)); do
    local log="$work/bare-$i.log" start pid ready
    start=$(now_ms)
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX=1 java $opts -cp "$work/bare" Idle >"$log" 2>&1 & pid=$!
    wait_for grep -q ready "$log"
    ready=$(( $(now_ms) - start ))
    sleep "$idle_seconds"
    echo "$ready $(rss_kb $pid)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
}

summarize() { # name file
  local t r
  t=$(cut -d' ' -f1 "$2" | median)
  r=$(cut -d' ' -f2 "$2" | median)
  printf '%s %s %s\n' "$1" "$t" "$r"
}

measure_bare_jvm >"$work/bare.txt"
measure_profile client >"$work/client.txt"
measure_profile server >"$work/server.txt"

read -r _ bare_t bare_r < <(summarize bare "$work/bare.txt")
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1), $(date -u +%Y-%m-%d)"
echo "Runs per row: $runs (median); RSS read after ${idle_seconds} s idle"
echo
echo "| what | start to ready (ms) | idle RSS (MB) | RSS / bare JVM |"
echo "|---|---:|---:|---:|"
printf '| bare JVM, client flags (baseline) | %s | %.1f | 1.00 |\n' "$bare_t" "$(echo "$bare_r / 1024" | bc -l)"
for p in client server; do
  read -r _ t r < <(summarize "$p" "$work/$p.txt")
  printf '| %s profile | %s | %.1f | %.2f |\n' "$p" "$t" "$(echo "$r / 1024" | bc -l)" "$(echo "$r / $bare_r" | bc -l)"
done
