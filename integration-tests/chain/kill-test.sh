#!/usr/bin/env bash
# kill -9 in the middle of a sync, with the assembled launcher as separate processes on 127.0.0.1:
#   publisher folder (MODULES modules of SIZE random bytes) -> server 1 (upstream) -> server 2
# Server 2 is killed with kill -9 while it downloads modules (some done, others not), then restarted. Asserted:
#   - while the sync runs, before and after the kill, server 2's catalog (admin API) and its sync
#     API never list a patch whose module is not complete in its blob store (polled all along);
#   - after the restart the sync resumes by itself and completes, fetching less than everything
#     (modules stored or received whole before the kill are not fetched again, partial ones resume);
#   - 'patchfleet admin verify-store' passes before the resumed sync ends and after it: every
#     catalog blob present with the signed SHA-256, no stray files.
# Then: expired upstream metadata (server 1 serving a timestamp that expired) is refused by
# server 2, reported in 'sync status', and server 2 still serves its catalog.
# Usage: integration-tests/chain/kill-test.sh [WORKDIR]   (needs: mvn install first)
# Exit 0 and a last line "N passed, 0 failed" on success.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
pf="$here/../../bin/patchfleet"
work=${1:-$(mktemp -d /tmp/patchfleet-kill.XXXXXX)}
rm -rf "$work" && mkdir -p "$work"; work=$(cd "$work" && pwd)
timeout_s=${CHAIN_TIMEOUT:-120}
modules=${KILL_MODULES:-40}; size=${KILL_SIZE:-2097152}; kernels=4
passed=0; failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
die() { failed=$((failed + 1)); echo "FAIL: $*" >&2; echo "(logs in $work)" >&2; echo "$passed passed, $failed failed"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2; local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do (( SECONDS < deadline )) || die "$what (not within ${limit}s)"; sleep 0.2; done
}
admin() { local n=$1; shift; XDG_CONFIG_HOME="$work/cli$n" "$pf" admin "$@" --server "http://127.0.0.1:${port[$n]}"; }
secret_of() { tr -d '\n' | sed -n 's/.*"secret"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'; }
declare -A port

# The publisher folder: the sync benchmark's seeder (random modules, one signing).
dist=$(cd "$here/../../launcher/target/patchfleet" && pwd)
jars=$(ls "$dist"/profiles/server/bundles/{io.patchfleet.model,io.patchfleet.trust.api,io.patchfleet.trust.tuf,bcprov,jackson}*.jar | tr '\n' :)
"$pf" publisher init --repo "$work/repo" --insecure-plain-keys > "$work/publisher.log" 2>&1
java -cp "$jars" "$here/../../bench/src/SyncSeed.java" "$work/repo" "$kernels" $((modules / kernels)) "$size" >> "$work/publisher.log" 2>&1
root_sha=$(sha256sum "$work/repo/metadata/1.root.json" | cut -d' ' -f1)

start_server() { # N [LOGSUFFIX]
  local n=$1; [[ -n ${port[$n]:-} ]] || port[$n]=$(free_port); mkdir -p "$work/s$n/etc"
  "$pf" server --data "$work/s$n" --port "${port[$n]}" --host 127.0.0.1 > "$work/s$n${2:-}.log" 2>&1 &
  pids+=($!); eval "pid$n=$!"
  wait_for "$timeout_s" "server $n ready" curl -sf "http://127.0.0.1:${port[$n]}/v1/ready"
  wait_for "$timeout_s" "server $n admin password" test -s "$work/s$n/initial-admin-password"
  XDG_CONFIG_HOME="$work/cli$n" "$pf" admin login --server "http://127.0.0.1:${port[$n]}" --user admin \
    --password-file "$work/s$n/initial-admin-password" > /dev/null
}
count_patches() { # N: releases in the catalog of every tier
  admin "$1" patch list --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("total", len(d.get("patches", []))))'
}

start_server 1
cat > "$work/s1/etc/io.patchfleet.server.mirror.cfg" <<CFG
repository = $work/repo
root.sha256 = $root_sha
interval.seconds = 3600
CFG
wait_for "$timeout_s" "server 1 mirrored the publisher folder" grep -q "Mirror refreshed from publisher folder" "$work/s1.log"
token=$(admin 1 sync-token create s2 --tier edge --format json | secret_of)
[[ -n $token ]] || die "no sync token from server 1"
ok "server 1 serves $modules modules of $size bytes"

# Server 2 starts without an upstream; the sync starts when its configuration appears.
start_server 2
t2=$(admin 2 sync-token create downstream --tier edge --format json | secret_of)
# The watcher: polls server 2's admin catalog and its own sync API every 50 ms, and checks that each
# listed patch's module is complete in server 2's blob store. It runs across the kill and restart.
cat > "$work/watch.py" <<'PY'
import hashlib, json, os, sys, time, urllib.request
port, session, sync, blobs, stop = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def admin():  # the admin session of the last 'admin login' (sessions end when the server restarts)
    return json.load(open(session))["token"]
seen, polls, errors = set(), 0, 0
def get(path, token):
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)
def check(sha, length, where):
    p = os.path.join(blobs, sha[:2], sha[2:4], sha)
    if sha in seen:
        return
    if not os.path.isfile(p) or os.path.getsize(p) != length:
        print("INCOMPLETE: %s lists %s but the blob store has %s" % (where, sha,
              os.path.getsize(p) if os.path.isfile(p) else "nothing")); sys.exit(1)
    with open(p, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != sha:
            print("INCOMPLETE: %s lists %s whose stored content differs" % (where, sha)); sys.exit(1)
    seen.add(sha)
while not os.path.exists(stop):
    try:
        for r in get("/v1/admin/patches?limit=1000", admin()).get("patches", []):
            check(r["sha256"], r["length"], "the admin catalog")
        for r in get("/v1/sync/releases", sync).get("releases", []):
            p = os.path.join(blobs, r["sha256"][:2], r["sha256"][2:4], r["sha256"])
            check(r["sha256"], os.path.getsize(p) if os.path.isfile(p) else -1, "the sync API")
        polls += 1
    except Exception as e:  # server down (killed, restarting)
        errors += 1
    time.sleep(0.05)
print("polls=%d down=%d verified=%d" % (polls, errors, len(seen)))
PY
python3 "$work/watch.py" "${port[2]}" "$work/cli2/patchfleet/admin.json" "$t2" "$work/s2/blobs" "$work/watch.stop" > "$work/watch.out" 2>&1 &
watcher=$!
cat > "$work/s2/etc/io.patchfleet.sync.http.cfg" <<CFG
upstream.url = http://127.0.0.1:${port[1]}
token = $token
root.sha256 = $root_sha
interval.seconds = 0
download.parallelism = 2
CFG
# kill -9 once some modules are downloaded and others are still downloading. A downloaded module
# is either named in the blob store already, or checked and waiting for its batch's commit: received
# from the upstream (blobs/.receiving/SHA256.complete) or adopted (sync/partial, other sources).
stored() { find "$work/s2/blobs" \( -path '*/.tmp' -o -path '*/.receiving' \) -prune -o -type f -print 2>/dev/null | wc -l; }
complete_parts() {
  echo $(( $(find "$work/s2/sync/partial" -name '*.part' -size "${size}c" 2>/dev/null | wc -l)
    + $(find "$work/s2/blobs/.receiving" -name '*.complete' 2>/dev/null | wc -l) ))
}
mid_sync() { local s p; s=$(stored); p=$(complete_parts); (( s + p >= 3 && s + p < modules )); }
wait_for "$timeout_s" "server 2 downloaded some modules" mid_sync
kill -9 "$pid2"; wait "$pid2" 2>/dev/null || true
before=$(stored)
(( before < modules )) || die "the sync had finished before the kill; raise KILL_MODULES or KILL_SIZE"
parts=$(( $(ls "$work/s2/sync/partial" 2>/dev/null | wc -l) + $(ls "$work/s2/blobs/.receiving" 2>/dev/null | wc -l) ))
ok "server 2 killed with kill -9 in the middle of the sync ($before of $modules modules stored, $parts partial downloads, $(complete_parts) of them complete)"

# Restart with the sync held (interval 0 and no upstream), check the store, then let it resume.
mv "$work/s2/etc/io.patchfleet.sync.http.cfg" "$work/sync.cfg"
start_server 2 b
# At start the server re-verifies its mirrored metadata and offers the releases whose modules are
# complete in the blob store (the watcher checks each); never more than were stored before the kill.
n=$(count_patches 2)
(( n <= before )) || die "server 2 lists $n patches after the restart, but only $before modules were stored"
admin 2 verify-store --format json > "$work/verify1.json" || die "verify-store after kill -9: $(cat "$work/verify1.json")"
ok "after the restart: $n patches listed (complete ones only), verify-store passes ($(tr -d ' \n' < "$work/verify1.json" | grep -o '"unreferencedBlobs":[0-9]*'))"

mv "$work/sync.cfg" "$work/s2/etc/io.patchfleet.sync.http.cfg"
done_ok() { admin 2 sync status --format json | tr -d ' \n' | grep -q '"state":"idle".*"lastSuccess":"\|"lastSuccess":"[^"]*".*"state":"idle"'; }
wait_for "$timeout_s" "the resumed sync completed" done_ok
admin 2 sync status --format json > "$work/status.json"
bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$work/status.json")
(( bytes < modules * size )) || die "the resumed sync fetched $bytes bytes, not less than all $((modules * size))"
n=$(count_patches 2)
(( n == modules )) || die "server 2 lists $n patches after the resumed sync, expected $modules"
ok "the sync resumed after the restart and completed: $n patches, $bytes of $((modules * size)) bytes fetched again"
admin 2 verify-store --format json > "$work/verify2.json" || die "verify-store after the sync: $(cat "$work/verify2.json")"
grep -q '"partialDownloads" : 0' "$work/verify2.json" || die "partial downloads left: $(cat "$work/verify2.json")"
grep -q '"temporaryFiles" : 0' "$work/verify2.json" || die "modules being received left: $(cat "$work/verify2.json")"
ok "verify-store passes after the resumed sync: every module present with its signed SHA-256, nothing stray"

touch "$work/watch.stop"; wait "$watcher" || die "a patch was listed before its module was complete: $(cat "$work/watch.out")"
grep -q "verified=$modules" "$work/watch.out" || die "the watcher did not see every patch: $(cat "$work/watch.out")"
ok "no patch was ever listed (catalog or sync API) before its module was complete ($(cat "$work/watch.out"))"

# A damaged blob is found by verify-store (the check can fail).
victim=$(find "$work/s2/blobs" -path '*/.tmp' -prune -o -type f -print -quit)  # -quit: no SIGPIPE under pipefail
printf 'x' | dd of="$victim" bs=1 seek=10 conv=notrunc status=none
if admin 2 verify-store > "$work/verify3.out" 2>&1; then die "verify-store missed a damaged module"; fi
grep -q "corrupt-blob" "$work/verify3.out" || die "damage not named: $(cat "$work/verify3.out")"
ok "verify-store reports a damaged module (exit 4, corrupt-blob)"

# Expired upstream metadata: the publisher re-signs as of eight days ago (the new timestamp expired a
# day ago) and server 1 serves those files: server 2 refuses them, reports it, keeps its catalog.
java -cp "$jars" "$here/../../bench/src/SyncSeed.java" "$work/repo" --expired >> "$work/publisher.log" 2>&1 \
  || die "re-signing with an expired timestamp failed: $(tail -3 "$work/publisher.log")"
kill "$pid1"; wait "$pid1" 2>/dev/null || true
cp "$work/repo/metadata/"*.json "$work/s1/mirror/metadata/"
start_server 1 b
if admin 2 sync trigger --wait --timeout "$timeout_s" > "$work/expired-sync.out" 2>&1; then
  die "a sync of expired upstream metadata succeeded"
fi
admin 2 sync status --format json > "$work/expired-status.json"
grep -q '"lastErrorReason" : "verification-failed"' "$work/expired-status.json" || die "expiry not reported: $(cat "$work/expired-status.json")"
grep -qi 'expired' "$work/expired-status.json" || die "the error does not say expired: $(cat "$work/expired-status.json")"
n=$(count_patches 2)
(( n == modules )) || die "server 2 lists $n patches after refusing expired metadata, expected $modules"
n=$(curl -sf -H "Authorization: Bearer $t2" "http://127.0.0.1:${port[2]}/v1/sync/releases" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["releases"]))')
(( n == modules )) || die "server 2's sync API lists $n releases after refusing expired metadata, expected $modules"
ok "expired upstream metadata is refused and reported in sync status; server 2 still serves its $modules patches"

echo "$passed passed, $failed failed"
