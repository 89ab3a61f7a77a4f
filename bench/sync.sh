#!/usr/bin/env bash
# Sync benchmark (issue 6, item 9): the real server ('patchfleet server') as upstream on loopback
# and a fresh on-prem server syncing from it, each its own process.
#
#   (a) full sync of PATCHES modules of SIZE bytes (default 1,000 x 1 MiB = 1.05 GB), twice on one
#       fresh on-prem server: first its first sync right after start-up (cold: the sync's code runs
#       for the first time, the JIT compiles it meanwhile), then, of as many other modules, a
#       routine sync of a server that has synced before (warm: what every later interval sync of a
#       running server is). Each run's own duration (sync status durationMs: listing, TUF refresh,
#       every module downloaded, verified and stored durably, catalog rows). In the same run, the
#       baseline: a plain HTTP copy of the same blobs from the same upstream's blob route
#       (GET /v1/sync/blobs/SHA256 with the same sync token) by one curl process with the same
#       number of parallel connections as the sync uses, into files on the same file system; once
#       as it is (no fsync) and once followed by 'sync -f' (durable, as the sync is). Ratio = copy
#       time / sync time (throughput ratio; goal >= 0.8), for both syncs.
#   (b) no-change sync against NOCHANGE_PATCHES modules (default 10,000: 1,000 kernels x 10
#       versions) already synced: TRIGGERS triggers one after another, each run's durationMs
#       from sync status; median and p95 (goal <= 100 ms).
#
# usage: bench/sync.sh            (settings through the environment)
#   PATCHES=1000 SIZE=1048576 KERNELS=100     phase (a): PATCHES modules over KERNELS kernel series
#   NOCHANGE_KERNELS=1000 NOCHANGE_VERSIONS=10 TRIGGERS=15   phase (b)
#   PARALLEL=4      downloads at once (the on-prem's download.parallelism; curl --parallel-max)
#   WARMUP_KERNELS=KERNELS   (a) only: kernel series (aarch64, VERSIONS modules of SIZE each,
#                   published with the others) of the first, cold sync; the warm one then syncs the
#                   PATCHES x86_64 modules. 0: one sync only, the server's first, of the PATCHES
#                   modules (reported as syncMs; cold is null)
#   SETTLE=0        seconds the fresh on-prem server runs before the sync is configured (its
#                   start-up JIT compilation finishes first); 0 = the sync starts right at start-up
#   PHASES="a b"    which phases to run
#   BENCH_DIR=/tmp/patchfleet-bench    seeded publisher folders (kept between runs) and run data
#   ONPREM_JAVA_OPTS=...  extra JVM options of the on-prem servers only, e.g. a JFR recording:
#                   -XX:StartFlightRecording=filename=/tmp/onprem.jfr,settings=profile
#   DIST=DIR        the assembled distribution to run (default launcher/target/patchfleet, built if missing)
#   MVN_REPO=...    -Dmaven.repo.local for the build, if the launcher is not built yet
# needs: Java 17, curl (7.66+ for --parallel), python3 (free ports), sha256sum.
# Output: a Markdown summary on stdout, JSON in $BENCH_DIR/sync/results.json; with (a), the CPU
# seconds of the on-prem server and the upstream during the sync and of curl and the upstream
# during the copy (load-independent, unlike the times on a shared machine), and the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
patches=${PATCHES:-1000}
size=${SIZE:-1048576}
kernels=${KERNELS:-100}
nc_kernels=${NOCHANGE_KERNELS:-1000}
nc_versions=${NOCHANGE_VERSIONS:-10}
triggers=${TRIGGERS:-15}
parallel=${PARALLEL:-4}
phases=${PHASES:-a b}
warm=${WARMUP_KERNELS:-$kernels}
bench=${BENCH_DIR:-/tmp/patchfleet-bench}
work=$bench/sync
(( patches % kernels == 0 )) || { echo "PATCHES must be a multiple of KERNELS" >&2; exit 2; }

dist=${DIST:-launcher/target/patchfleet}
if [[ -z ${DIST:-} && ! -f $dist/lib/patchfleet-launcher.jar ]]; then
  mvn -B -q ${MVN_REPO:+-Dmaven.repo.local=$MVN_REPO} install -DskipTests
fi
# A private copy of the distribution: other builds in this checkout must not swap jars mid-run.
mkdir -p "$bench" && rm -rf "$work" && mkdir -p "$work"
cp -a "$dist" "$work/dist"
export PATCHFLEET_HOME=$work/dist
pf=$root/bin/patchfleet
jars=$(ls "$work"/dist/profiles/server/bundles/{io.patchfleet.model,io.patchfleet.trust.api,io.patchfleet.trust.tuf,bcprov,jackson}*.jar | tr '\n' :)

now_ms() { date +%s%3N; }
# CPU seconds (user + system) a process used so far: on a shared machine the time a run takes
# depends on what else runs, its CPU seconds much less, so both are reported.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"; }
declare -A pid_of
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # SECONDS COMMAND...
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < deadline )) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_all EXIT
declare -A port

declare -A datadir
data_of() { echo "${datadir[$1]:-$work/$1}"; }
start_server() { # NAME
  local n=$1 d; d=$(data_of "$1"); port[$n]=$(free_port); mkdir -p "$d/etc"
  local opts=${PATCHFLEET_JAVA_OPTS:-}
  [[ $n == down-* ]] && opts="$opts ${ONPREM_JAVA_OPTS:-}"
  PATCHFLEET_JAVA_OPTS="$opts" "$pf" server --data "$d" --port "${port[$n]}" --host 127.0.0.1 >>"$work/$n.log" 2>&1 &
  pids+=($!); pid_of[$n]=$!
  wait_for 300 curl -sf "http://127.0.0.1:${port[$n]}/v1/ready"
  wait_for 60 test -s "$d/initial-admin-password"
  XDG_CONFIG_HOME="$work/cli-$n" "$pf" admin login --server "http://127.0.0.1:${port[$n]}" --user admin \
    --password-file "$d/initial-admin-password" >/dev/null
}
admin() { local n=$1; shift; XDG_CONFIG_HOME="$work/cli-$n" "$pf" admin "$@" --server "http://127.0.0.1:${port[$n]}"; }
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1]))' "$1"; }

seed() { # NAME KERNELS VERSIONS SIZE -> $bench/NAME (kept between runs)
  local dir=$bench/$1
  if [[ ! -f $dir/seeded ]]; then
    rm -rf "$dir"
    "$pf" publisher init --repo "$dir" --insecure-plain-keys >/dev/null
    java -cp "$jars" bench/src/SyncSeed.java "$dir" "$2" "$3" "$4" ${5:-}
    touch "$dir/seeded"
  else
    # Same modules, fresh timestamp: a kept folder must not serve expired metadata.
    "$pf" publisher sign --repo "$dir" >/dev/null
  fi
}

# An upstream that mirrors the publisher folder, and a sync token for its first tier.
upstream() { # NAME REPO_DIR COUNT
  local n=$1 repo=$2 count=$3
  start_server "$n"
  printf 'repository = %s\nroot.sha256 = %s\ninterval.seconds = 86400\n' "$repo" \
    "$(sha256sum "$repo/metadata/1.root.json" | cut -d' ' -f1)" >"$(data_of "$n")/etc/io.patchfleet.server.mirror.cfg"
  wait_for 1800 grep -q "Mirror refreshed from publisher folder" "$work/$n.log"
  grep -o "Mirror refreshed from publisher folder.*" "$work/$n.log" | tail -1 >&2
  # New patches land in the first tier (edge); a token of that tier may sync all of them.
  if [[ -s $(data_of "$n")/bench-token ]]; then token=$(cat "$(data_of "$n")/bench-token"); return; fi
  token=$(admin "$n" sync-token create bench --tier edge --format json | json_field secret)
  echo "$token" >"$(data_of "$n")/bench-token"
}

# An on-prem server that syncs from upstream NAME; waits until its first run is done.
onprem() { # NAME UPSTREAM REPO_DIR [ARCHITECTURES]
  start_server "$1"
  # SETTLE=N: let the freshly started on-prem server finish its start-up compilation for N seconds
  # before the sync is configured (a server that has been running, not one that just started).
  (( ${SETTLE:-0} > 0 )) && sleep "$SETTLE"
  sync_run "$@"
}
# (Re)writes on-prem NAME's sync configuration, which starts a run, and waits for that run.
sync_run() { # NAME UPSTREAM REPO_DIR [ARCHITECTURES]
  local n=$1 up=$2 repo=$3 arch=${4:-}
  local before; before=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("finishedRun") or 0)
except OSError: print(0)' "$(data_of "$n")/sync/status.json")
  local cpu0 up0; cpu0=$(cpu_s "${pid_of[$n]}"); up0=$(cpu_s "${pid_of[$up]}")
  cat >"$(data_of "$n")/etc/io.patchfleet.sync.http.cfg" <<CFG
upstream.url = http://127.0.0.1:${port[$up]}
token = $token
root.sha256 = $(sha256sum "$repo/metadata/1.root.json" | cut -d' ' -f1)
interval.seconds = 0
download.parallelism = $parallel
${arch:+architectures = $arch}
CFG
  # Wait by reading the status file the server writes at the end of each run, not with the CLI: each
  # 'admin sync status' is a JVM start (~1.8 s of CPU), and polling with it took about a core from
  # the sync it measured on this 2-core machine (the copy baseline had no such neighbour).
  wait_for 1800 finished_run "$(data_of "$n")/sync/status.json" $((before + 1))
  wait_for 60 sync_done "$n" $((before + 1))
  onprem_cpu=$(python3 -c 'import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))' "$(cpu_s "${pid_of[$n]}")" "$cpu0")
  upstream_cpu=$(python3 -c 'import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))' "$(cpu_s "${pid_of[$up]}")" "$up0")
}
finished_run() { # STATUS_FILE RUN: the server finished run RUN (or a later one); cheap enough to poll
  [[ -f $1 ]] || return 1
  local f; f=$(cat "$1" 2>/dev/null) || return 1
  [[ $f =~ \"finishedRun\":([0-9]+) ]] && (( BASH_REMATCH[1] >= $2 ))
}
sync_done() { # NAME RUN: the run finished successfully
  local s; s=$(admin "$1" sync status --format json) || return 1
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if (d.get("finishedRun") or 0) >= int(sys.argv[2]) and d.get("state") == "idle" and d.get("lastSuccess") else 1)' "$s" "$2"
}

results="{}"
add_result() { results=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d[sys.argv[2]]=json.loads(sys.argv[3]); print(json.dumps(d))' "$results" "$1" "$2"); }
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(java -version 2>&1 | head -1 | tr -d '"'), $(df -T "$work" | awk 'NR==2 {print $2}') at $work"

if [[ " $phases " == *" a "* ]]; then
  name=sync-repo-$kernels-$((patches / kernels))-$size
  (( warm > 0 )) && name=$name-w$warm
  seed "$name" "$kernels" $((patches / kernels)) "$size" "$warm"
  repo=$bench/$name
  upstream up-a "$repo" "$patches"
  # Baseline: the same blobs over the same route, one curl, PARALLEL connections, same file system.
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:${port[up-a]}/v1/sync/releases" >"$work/releases.json"
  mkdir -p "$work/copy"
  python3 - "$work/releases.json" "http://127.0.0.1:${port[up-a]}" "$work/copy" "$token" >"$work/curl.cfg" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print('header = "Authorization: Bearer %s"' % sys.argv[4])
for r in d["releases"]:
    if "lkp_benchw_" in r["target"]:
        continue  # the warm-up's modules: not part of the measured sync
    print('url = "%s/v1/sync/blobs/%s"' % (sys.argv[2], r["sha256"]))
    print('output = "%s/%s"' % (sys.argv[3], r["sha256"]))
PY
  copy() {
    rm -rf "$work/copy" && mkdir -p "$work/copy" && sync
    local t0 up0; t0=$(now_ms); up0=$(cpu_s "${pid_of[up-a]}")
    local TIMEFORMAT='%U %S'
    { time curl -sf --parallel --parallel-max "$parallel" -K "$work/curl.cfg" 2>>"$work/curl.err" ; } 2>"$work/curl.time"
    copy_ms=$(( $(now_ms) - t0 ))
    copy_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/curl.time")
    copy_up_cpu=$(python3 -c 'import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))' "$(cpu_s "${pid_of[up-a]}")" "$up0")
    sync -f "$work/copy"
    copy_sync_ms=$(( $(now_ms) - t0 ))
    copy_bytes=$(du -sb "$work/copy" | cut -f1)
  }
  copy; copy1_ms=$copy_ms; copy1_sync_ms=$copy_sync_ms; copy1_cpu=$copy_cpu; copy1_up_cpu=$copy_up_cpu  # warms the upstream's page cache like the sync will find it
  sync
  if (( warm > 0 )); then
    onprem down-a up-a "$repo" aarch64   # the cold sync: the aarch64 series only
    admin down-a sync status --format json >"$work/sync-a-cold.json"
    cold_ms=$(json_field durationMs <"$work/sync-a-cold.json")
    cold_blobs=$(json_field blobs <"$work/sync-a-cold.json")
    cold_cpu=$onprem_cpu; cold_up_cpu=$upstream_cpu
    sync_run down-a up-a "$repo"         # then everything: the PATCHES x86_64 modules are what is new
  else
    onprem down-a up-a "$repo"
    cold_ms=0; cold_blobs=0; cold_cpu=0; cold_up_cpu=0
  fi
  admin down-a sync status --format json >"$work/sync-a.json"
  sync_ms=$(json_field durationMs <"$work/sync-a.json")
  sync_bytes=$(json_field bytes <"$work/sync-a.json")
  sync_blobs=$(json_field blobs <"$work/sync-a.json")
  copy   # the baseline again after the sync: the better of both runs counts
  (( copy1_ms < copy_ms )) && { copy_ms=$copy1_ms; copy_cpu=$copy1_cpu; copy_up_cpu=$copy1_up_cpu; }
  (( copy1_sync_ms < copy_sync_ms )) && copy_sync_ms=$copy1_sync_ms
  [[ $sync_blobs == "$patches" ]] || { echo "the sync stored $sync_blobs modules, expected $patches" >&2; exit 1; }
  stop_all
  add_result full "$(python3 -c 'import json,sys; s,b,c,cs,cb,p,n=map(int,sys.argv[1:8]); sc,uc,cc,cuc=map(float,sys.argv[8:12]); print(json.dumps({"modules":n,"bytes":b,"parallel":p,
    "syncMs":s,"syncMBps":round(b/s/1000,1),"copyMs":c,"copyMBps":round(cb/c/1000,1),"copyFsyncMs":cs,
    "ratio":round(c/s,2),"ratioFsync":round(cs/s,2),
    "syncCpuS":sc,"syncUpstreamCpuS":uc,"copyCpuS":cc,"copyUpstreamCpuS":cuc,
    "cold":({"modules":int(sys.argv[12]),"syncMs":int(sys.argv[13]),"ratio":round(c/int(sys.argv[13]),2),"ratioFsync":round(cs/int(sys.argv[13]),2),
             "syncCpuS":float(sys.argv[14]),"syncUpstreamCpuS":float(sys.argv[15])} if int(sys.argv[13]) > 0 else None),
    "loadavg":open("/proc/loadavg").read().split()[:3]}))' \
    "$sync_ms" "$sync_bytes" "$copy_ms" "$copy_sync_ms" "$copy_bytes" "$parallel" "$sync_blobs" "$onprem_cpu" "$upstream_cpu" "$copy_cpu" "$copy_up_cpu" "$cold_blobs" "$cold_ms" "$cold_cpu" "$cold_up_cpu")"
  echo "(a) full sync: $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["full"])' "$results")" >&2
fi

if [[ " $phases " == *" b "* ]]; then
  seed "sync-repo-$nc_kernels-$nc_versions-1024" "$nc_kernels" "$nc_versions" 1024
  repo=$bench/sync-repo-$nc_kernels-$nc_versions-1024
  # The upstream and the on-prem server holding every release are kept between runs (the first
  # full sync of 10,000 modules takes minutes); each run starts them with this build.
  kept=$bench/sync-nochange-$nc_kernels-$nc_versions
  [[ -f $kept/synced ]] || rm -rf "$kept"
  datadir[up-b]=$kept/up; datadir[down-b]=$kept/down
  upstream up-b "$repo" $((nc_kernels * nc_versions))
  onprem down-b up-b "$repo"
  touch "$kept/synced"
  grep -o "Sync run 1 .* done in .*" "$work/down-b.log" >&2 || true
  durations=()
  for i in $(seq 1 "$triggers"); do
    admin down-b sync trigger --wait --timeout 120 >/dev/null
    d=$(admin down-b sync status --format json)
    durations+=("$(json_field durationMs <<<"$d")")
    [[ $(json_field added <<<"$d") == 0 ]] || { echo "a no-change sync changed something: $d" >&2; exit 1; }
  done
  releases=$(admin down-b sync status --format json | json_field releases)
  stop_all
  add_result nochange "$(python3 -c 'import json,sys,statistics
d=sorted(int(x) for x in sys.argv[2:]); n=len(d)
print(json.dumps({"releases":int(sys.argv[1]),"triggers":n,"medianMs":statistics.median(d),"p95Ms":d[min(n-1,int(round(0.95*(n-1))))],"maxMs":d[-1],"runsMs":d,"loadavg":open("/proc/loadavg").read().split()[:3]}))' "$releases" "${durations[@]}")"
fi

echo "$results" | python3 -m json.tool >"$work/results.json"
echo "--- $machine, $(date -u +%F)"
cat "$work/results.json"
