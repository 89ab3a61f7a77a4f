#!/usr/bin/env bash
# Chaining end to end, with the assembled launcher as separate processes on 127.0.0.1:
#   publisher folder -> server 1 (upstream) -> server 2 (on-prem, syncs from 1)
#                    -> server 3 (on-prem, syncs from 2) -> client (simulated kernel) on 3
# The client applies the patch published at the start. Then the faults: a revoked sync token
# is refused and reported; a tampered upstream file is refused and reported; a patch revoked on
# server 1 is revoked on 3 within one sync each and the client is told to disable it.
# Usage: integration-tests/chain/chain-test.sh [WORKDIR]   (needs: mvn install first)
# Exit 0 and a last line "N passed, 0 failed" on success.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
pf="$here/../../bin/patchfleet"
work=${1:-$(mktemp -d /tmp/patchfleet-chain.XXXXXX)}
mkdir -p "$work"; work=$(cd "$work" && pwd)
timeout_s=${CHAIN_TIMEOUT:-120}
release=6.1.0-56-amd64; arch=x86_64; module=lkp_chain_1
passed=0; failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
die() { failed=$((failed + 1)); echo "FAIL: $*" >&2; echo "(logs in $work)" >&2; echo "$passed passed, $failed failed"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2; local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do (( SECONDS < deadline )) || die "$what (not within ${limit}s)"; sleep 0.5; done
}
admin() { local n=$1; shift; XDG_CONFIG_HOME="$work/cli$n" "$pf" admin "$@" --server "http://127.0.0.1:${port[$n]}"; }
secret_of() { tr -d '\n' | sed -n 's/.*"secret"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'; }
declare -A port

"$pf" publisher init --repo "$work/repo" --insecure-plain-keys > "$work/publisher.log" 2>&1
"$pf" publisher sample-module --out "$work/$module.ko" --kernel "$release" --arch "$arch" --name "$module" >> "$work/publisher.log" 2>&1
"$pf" publisher add --repo "$work/repo" --description 'chain test' "$work/$module.ko" >> "$work/publisher.log" 2>&1
root_sha=$(sha256sum "$work/repo/metadata/1.root.json" | cut -d' ' -f1)

start_server() { # N
  local n=$1; port[$n]=$(free_port); mkdir -p "$work/s$n/etc"
  "$pf" server --data "$work/s$n" --port "${port[$n]}" --host 127.0.0.1 > "$work/s$n.log" 2>&1 &
  pids+=($!); eval "pid$n=$!"
  wait_for "$timeout_s" "server $n ready" curl -sf "http://127.0.0.1:${port[$n]}/v1/ready"
  wait_for "$timeout_s" "server $n admin password" test -s "$work/s$n/initial-admin-password"
  XDG_CONFIG_HOME="$work/cli$n" "$pf" admin login --server "http://127.0.0.1:${port[$n]}" --user admin \
    --password-file "$work/s$n/initial-admin-password" > /dev/null
}
sync_cfg() { # N UPSTREAM_N TOKEN
  cat > "$work/s$1/etc/io.patchfleet.sync.http.cfg" <<CFG
upstream.url = http://127.0.0.1:${port[$2]}
token = $3
root.sha256 = $root_sha
interval.seconds = 0
read.timeout.seconds = 10
CFG
}
has_patch() { admin "$1" patch list --kernel "$release" --format json | grep -q "\"$module\""; }

# 1: the upstream mirrors the publisher folder
start_server 1
cat > "$work/s1/etc/io.patchfleet.server.mirror.cfg" <<CFG
repository = $work/repo
root.sha256 = $root_sha
interval.seconds = 2
CFG
wait_for "$timeout_s" "server 1 catalog has the patch" has_patch 1
ok "server 1 mirrors the publisher folder"

# 2 syncs from 1, 3 syncs from 2
t12=$(admin 1 sync-token create s2 --tier edge --format json | secret_of)
[[ -n $t12 ]] || die "no sync token secret from server 1"
start_server 2; sync_cfg 2 1 "$t12"
wait_for "$timeout_s" "server 2 synced the patch from 1" has_patch 2
ok "server 2 synced from server 1"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $t12" "http://127.0.0.1:${port[1]}/v1/admin/tiers")
[[ $code == 401 ]] || die "a sync token was accepted on an admin route ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $t12" -H 'Content-Type: application/json' \
  -d '{}' "http://127.0.0.1:${port[1]}/v1/check-in")
[[ $code == 401 ]] || die "a sync token was accepted on a machine route ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port[1]}/v1/sync/metadata/timestamp.json")
[[ $code == 401 ]] || die "the sync API answered without a token ($code)"
ok "sync token: refused on admin and machine routes; sync API closed without it"

t23=$(admin 2 sync-token create s3 --tier edge --format json | secret_of)
start_server 3; sync_cfg 3 2 "$t23"
wait_for "$timeout_s" "server 3 synced the patch from 2" has_patch 3
admin 3 sync status --format json > "$work/s3-status.json"
grep -q '"lastSuccess" : "' "$work/s3-status.json" || die "server 3 sync status has no last success: $(cat "$work/s3-status.json")"
ok "server 3 synced from server 2 (chain of three)"

# client on 3
mkdir -p "$work/client/etc"
cat > "$work/client/etc/io.patchfleet.client.cfg" <<CFG
remote.server = http://127.0.0.1:${port[3]}
check.interval = 0
kernel.target = (kernel=simulated)
CFG
cat > "$work/client/etc/io.patchfleet.kernel.simulated.cfg" <<CFG
release = $release
machine = $arch
transition.ms = 200
CFG
"$pf" client --data "$work/client" > "$work/client.log" 2>&1 &
pids+=($!)
client_up() { local out; out=$("$pf" status --data "$work/client" --format json 2>/dev/null) || true; grep -q "$release" <<<"$out"; }
wait_for "$timeout_s" "client up" client_up
etoken=$(admin 3 token create edge --expires-in 1h --format json | secret_of)
"$pf" enable --data "$work/client" --server "http://127.0.0.1:${port[3]}" --root-sha256 "$root_sha" -- "$etoken" > "$work/enable.log" 2>&1 \
  || die "enable on server 3 failed: $(cat "$work/enable.log")"
timeout "$timeout_s" "$pf" refresh --data "$work/client" --wait > /dev/null 2>&1 || true
client_state() { "$pf" status --data "$work/client" --format json 2>/dev/null | tr -d ' \n' || true; }
applied() { grep -q '"patchState":"applied"' <<<"$(client_state)"; }
wait_for "$timeout_s" "client applied the patch from server 3" applied
ok "client at the end of the chain applied the patch published at the start"

# air gap: export from server 1, import into an isolated server 4 (no upstream)
admin 1 export --out "$work/bundle.zip" --format json > "$work/export.json" || die "export failed: $(cat "$work/export.json")"
python3 - "$work/bundle.zip" "$work/bundle-tampered.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename.startswith("blobs/"):
            data = data[:-1] + bytes([data[-1] ^ 1])   # one bit of the module flipped
        zout.writestr(item, data)
PY
start_server 4
if admin 4 import "$work/bundle-tampered.zip" --root-sha256 "$root_sha" > "$work/import-tampered.out" 2>&1; then
  die "a bundle with an altered module was imported"
fi
grep -q "does not verify" "$work/import-tampered.out" || die "tampered import not explained: $(cat "$work/import-tampered.out")"
if has_patch 4; then die "the altered module reached server 4's catalog"; fi
admin 4 import "$work/bundle.zip" --root-sha256 "$root_sha" --format json > "$work/import1.json" 2>&1 || die "import failed: $(cat "$work/import1.json")"
has_patch 4 || die "the import did not add the patch"
admin 4 import "$work/bundle.zip" --format json > "$work/import2.json" 2>&1 || die "second import failed: $(cat "$work/import2.json")"
grep -q '"added" : 0' "$work/import2.json" && grep -q '"modules" : 0' "$work/import2.json" \
  || die "importing twice changed something: $(cat "$work/import2.json")"
ok "air gap: export, altered bundle refused, import verified and loaded, importing twice changes nothing"

# revocation travels: revoke on 1, sync 2 then 3, the client disables it
admin 1 patch revoke "$release" 1 > /dev/null
admin 2 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || die "sync 2 after revocation failed"
admin 3 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || die "sync 3 after revocation failed"
admin 3 patch list --kernel "$release" --format json | tr -d ' \n' | grep -q '"revoked":true' || die "revocation did not reach server 3"
timeout "$timeout_s" "$pf" refresh --data "$work/client" --wait > /dev/null 2>&1 || true
disabled() { local s; s=$(client_state); [[ -n $s ]] && ! grep -q '"patchState":"applied"' <<<"$s"; }
wait_for "$timeout_s" "client disabled the revoked patch" disabled
ok "a patch revoked on server 1 is revoked on server 3 in one sync each; the client disabled it"

# a revoked sync token is refused and reported
id12=$(admin 1 sync-token list --format json | tr -d '\n' | sed -n 's/.*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
admin 1 sync-token revoke "$id12" > /dev/null
if admin 2 sync trigger --wait --timeout "$timeout_s" > "$work/revoked-sync.out" 2>&1; then die "sync with a revoked token succeeded"; fi
admin 2 sync status --format json | grep -q '"lastErrorReason" : "unauthorized"' || die "revoked token not reported in sync status"
ok "a revoked sync token is refused and reported in sync status"

# tampered metadata on the upstream: server 2's mirror file altered -> server 3 refuses it
new_t23=$t23
ts="$work/s2/mirror/metadata/timestamp.json"
kill "$pid2"; wait "$pid2" 2>/dev/null || true
cp "$ts" "$work/timestamp-genuine.json"
sed -i 's/"version":\([0-9]*\)/"version":9\1/' "$ts"
"$pf" server --data "$work/s2" --port "${port[2]}" --host 127.0.0.1 > "$work/s2b.log" 2>&1 &
pids+=($!); pid2=$!
wait_for "$timeout_s" "server 2 ready again" curl -sf "http://127.0.0.1:${port[2]}/v1/ready"
XDG_CONFIG_HOME="$work/cli2" "$pf" admin login --server "http://127.0.0.1:${port[2]}" --user admin \
  --password-file "$work/s2/initial-admin-password" > /dev/null
if admin 3 sync trigger --wait --timeout "$timeout_s" > "$work/tampered-sync.out" 2>&1; then die "sync from a tampered upstream succeeded"; fi
admin 3 sync status --format json | grep -q '"lastErrorReason" : "verification-failed"' || die "tampering not reported: $(admin 3 sync status --format json)"
admin 3 patch list --kernel "$release" --format json | grep -q "\"$module\"" || die "server 3 lost its verified state"
ok "tampered upstream metadata is refused and reported; server 3 keeps its verified state"

# rolled-back metadata: 3 trusts a newer timestamp, then 2 serves the older genuine one
kill "$pid2"; wait "$pid2" 2>/dev/null || true
cp "$work/timestamp-genuine.json" "$ts"
"$pf" server --data "$work/s2" --port "${port[2]}" --host 127.0.0.1 > "$work/s2c.log" 2>&1 &
pids+=($!); pid2=$!
wait_for "$timeout_s" "server 2 ready (third start)" curl -sf "http://127.0.0.1:${port[2]}/v1/ready"
XDG_CONFIG_HOME="$work/cli2" "$pf" admin login --server "http://127.0.0.1:${port[2]}" --user admin \
  --password-file "$work/s2/initial-admin-password" > /dev/null
t12b=$(admin 1 sync-token create s2-again --tier edge --format json | secret_of)
sync_cfg 2 1 "$t12b"
"$pf" publisher sign --repo "$work/repo" >> "$work/publisher.log" 2>&1
sleep 4   # server 1 mirrors the folder every 2 s; FileInstall applies the new sync.cfg within 2 s
admin 2 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || die "sync 2 of the re-signed metadata failed"
admin 3 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || die "sync 3 of the re-signed metadata failed"
kill "$pid2"; wait "$pid2" 2>/dev/null || true
cp "$work/timestamp-genuine.json" "$ts"
printf 'upstream.url =\n' > "$work/s2/etc/io.patchfleet.sync.http.cfg"
"$pf" server --data "$work/s2" --port "${port[2]}" --host 127.0.0.1 > "$work/s2d.log" 2>&1 &
pids+=($!); pid2=$!
wait_for "$timeout_s" "server 2 ready (fourth start)" curl -sf "http://127.0.0.1:${port[2]}/v1/ready"
if admin 3 sync trigger --wait --timeout "$timeout_s" > "$work/rollback-sync.out" 2>&1; then die "sync of rolled-back metadata succeeded"; fi
admin 3 sync status --format json | grep -q '"lastErrorReason" : "verification-failed"' || die "rollback not reported: $(admin 3 sync status --format json)"
ok "rolled-back upstream metadata (an older genuine timestamp) is refused and reported"

echo "$passed passed, $failed failed"
