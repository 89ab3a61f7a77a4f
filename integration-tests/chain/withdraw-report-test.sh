#!/usr/bin/env bash
# Upstream withdrawals ("Enabled (!)") and opt-in upstream reports, with the assembled launcher as
# separate processes on 127.0.0.1: publisher folder -> server 1 (upstream) -> server 2 (on-prem,
# syncs from 1) -> a client on the simulated kernel on 2.
#  - Server 1's admin revokes two patches. On server 2, patch A (default) is revoked in one sync and
#    the client is told to disable it; patch B, which an admin of server 2 keeps ('patch keep'),
#    stays offered and is flagged as withdrawn upstream in patch list/show, patch-health and sync status.
#  - upstream.reports: off (default) sends nothing; summary and machines reach server 1's
#    'admin downstream list/show'; hashed machine ids never equal the raw id; a wrong token is refused.
# Usage: integration-tests/chain/withdraw-report-test.sh [WORKDIR]   (needs: mvn install first)
# Exit 0 and a last line "N passed, 0 failed" on success.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
pf="$here/../../bin/patchfleet"
work=${1:-$(mktemp -d /tmp/patchfleet-withdraw.XXXXXX)}
mkdir -p "$work"; work=$(cd "$work" && pwd)
timeout_s=${CHAIN_TIMEOUT:-120}
ra=6.1.0-56-amd64; rb=6.1.0-57-amd64; arch=x86_64; ma=lkp_wd_a; mb=lkp_wd_b
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
flat() { tr -d ' \n'; }
declare -A port

"$pf" publisher init --repo "$work/repo" --insecure-plain-keys > "$work/publisher.log" 2>&1
"$pf" publisher sample-module --out "$work/$ma.ko" --kernel "$ra" --arch "$arch" --name "$ma" >> "$work/publisher.log" 2>&1
"$pf" publisher sample-module --out "$work/$mb.ko" --kernel "$rb" --arch "$arch" --name "$mb" >> "$work/publisher.log" 2>&1
"$pf" publisher add --repo "$work/repo" --description 'withdraw test a' "$work/$ma.ko" >> "$work/publisher.log" 2>&1
"$pf" publisher add --repo "$work/repo" --description 'withdraw test b' "$work/$mb.ko" >> "$work/publisher.log" 2>&1
root_sha=$(sha256sum "$work/repo/metadata/1.root.json" | cut -d' ' -f1)

start_server() { # N
  local n=$1; port[$n]=$(free_port); mkdir -p "$work/s$n/etc"
  "$pf" server --data "$work/s$n" --port "${port[$n]}" --host 127.0.0.1 > "$work/s$n.log" 2>&1 &
  pids+=($!)
  wait_for "$timeout_s" "server $n ready" curl -sf "http://127.0.0.1:${port[$n]}/v1/ready"
  wait_for "$timeout_s" "server $n admin password" test -s "$work/s$n/initial-admin-password"
  XDG_CONFIG_HOME="$work/cli$n" "$pf" admin login --server "http://127.0.0.1:${port[$n]}" --user admin \
    --password-file "$work/s$n/initial-admin-password" > /dev/null
}
sync_cfg() { # N UPSTREAM_N TOKEN [REPORTS]
  { cat <<CFG
upstream.url = http://127.0.0.1:${port[$2]}
token = $3
root.sha256 = $root_sha
interval.seconds = 0
read.timeout.seconds = 10
CFG
    if [[ -n ${4:-} ]]; then echo "upstream.reports = $4"; fi; } > "$work/s$1/etc/io.patchfleet.sync.http.cfg"
}
has_patch() { admin "$1" patch list --kernel "$2" --format json | grep -q "\"$3\""; }

start_server 1
cat > "$work/s1/etc/io.patchfleet.server.mirror.cfg" <<CFG
repository = $work/repo
root.sha256 = $root_sha
interval.seconds = 2
CFG
has_both() { has_patch "$1" "$ra" "$ma" && has_patch "$1" "$rb" "$mb"; }
wait_for "$timeout_s" "server 1 catalog has both patches" has_both 1
t12=$(admin 1 sync-token create s2 --tier edge --format json | secret_of)
[[ -n $t12 ]] || die "no sync token secret from server 1"
start_server 2; sync_cfg 2 1 "$t12"
wait_for "$timeout_s" "server 2 synced both patches" has_both 2
ok "server 2 synced both patches from server 1"

# a client on server 2 runs patch A
mkdir -p "$work/client/etc"
cat > "$work/client/etc/io.patchfleet.client.cfg" <<CFG
remote.server = http://127.0.0.1:${port[2]}
check.interval = 0
kernel.target = (kernel=simulated)
CFG
cat > "$work/client/etc/io.patchfleet.kernel.simulated.cfg" <<CFG
release = $ra
machine = $arch
transition.ms = 200
CFG
"$pf" client --data "$work/client" > "$work/client.log" 2>&1 &
pids+=($!)
client_up() { local out; out=$("$pf" status --data "$work/client" --format json 2>/dev/null) || true; grep -q "$ra" <<<"$out"; }
wait_for "$timeout_s" "client up" client_up
etoken=$(admin 2 token create edge --expires-in 1h --format json | secret_of)
"$pf" enable --data "$work/client" --server "http://127.0.0.1:${port[2]}" --root-sha256 "$root_sha" -- "$etoken" > "$work/enable.log" 2>&1 \
  || die "enable on server 2 failed: $(cat "$work/enable.log")"
timeout "$timeout_s" "$pf" refresh --data "$work/client" --wait > /dev/null 2>&1 || true
client_state() { "$pf" status --data "$work/client" --format json 2>/dev/null | flat || true; }
applied() { grep -q '"patchState":"applied"' <<<"$(client_state)"; }
wait_for "$timeout_s" "client applied patch A from server 2" applied
machine_id=$(client_state | sed -n 's/.*"machineId":"\([^"]*\)".*/\1/p')
[[ -n $machine_id ]] || die "no machine id in the client status: $(client_state)"
ok "the client on server 2 applied patch A (machine $machine_id)"

# upstream.reports is off by default: server 1 heard nothing
admin 1 downstream list --format json | flat > "$work/downstreams-off.json"
grep -q '"downstreams":\[\]' "$work/downstreams-off.json" || die "a report reached server 1 with reports off: $(cat "$work/downstreams-off.json")"
! grep -q "Downstream report" "$work/s1.log" || die "server 1 logged a downstream report with reports off"
[[ ! -e "$work/s2/sync/deployment-id" ]] || die "reports off, yet a deployment id was created"
ok "upstream.reports off (default): nothing sent, server 1 lists no downstream"

# an admin of server 2 keeps patch B; server 1's admin withdraws A and B
admin 2 patch keep "$rb" 1 --reason 'needed by the fleet' --format json | flat > "$work/keep.json"
grep -q '"changed":true' "$work/keep.json" && grep -q '"state":"enabled"' "$work/keep.json" || die "keep failed: $(cat "$work/keep.json")"
admin 1 patch revoke "$ra" 1 > /dev/null
admin 1 patch revoke "$rb" 1 > /dev/null
admin 2 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || die "sync 2 after the withdrawal failed"
admin 2 patch show "$ra" 1 --format json | flat > "$work/show-a.json"
grep -q '"revoked":true' "$work/show-a.json" && grep -q '"state":"blocked"' "$work/show-a.json" \
  && grep -q '"revokedBy":"upstream"' "$work/show-a.json" && grep -q '"upstreamWithdrawn":true' "$work/show-a.json" \
  || die "patch A not revoked as withdrawn upstream: $(cat "$work/show-a.json")"
timeout "$timeout_s" "$pf" refresh --data "$work/client" --wait > /dev/null 2>&1 || true
disabled() { local s; s=$(client_state); [[ -n $s ]] && ! grep -q '"patchState":"applied"' <<<"$s"; }
wait_for "$timeout_s" "client disabled patch A" disabled
ok "default: patch A withdrawn upstream is revoked on server 2 in one sync ('blocked') and the client disabled it"

admin 2 patch show "$rb" 1 --format json | flat > "$work/show-b.json"
grep -q '"revoked":false' "$work/show-b.json" && grep -q '"state":"enabled(!)"' "$work/show-b.json" \
  && grep -q '"upstreamWithdrawn":true' "$work/show-b.json" && grep -q '"upstreamWithdrawnAt":"20' "$work/show-b.json" \
  && grep -q '"upstreamWithdrawnReason":"withdrawnbytheupstream' "$work/show-b.json" && grep -q '"keptBy":"admin"' "$work/show-b.json" \
  || die "kept patch B not shown as enabled (!): $(cat "$work/show-b.json")"
admin 2 patch list --tier edge > "$work/list-edge.txt"
grep "$rb" "$work/list-edge.txt" | grep -q "enabled (!)" || die "patch list table has no 'enabled (!)' marker: $(cat "$work/list-edge.txt")"
admin 2 patch list --kernel "$rb" --format json | flat | grep -q '"upstreamWithdrawn":true' || die "patch list json lacks upstreamWithdrawn"
admin 2 sync status --format json | flat > "$work/status-2.json"
grep -q '"upstreamWithdrawnEnabled":1' "$work/status-2.json" && grep -q '"upstreamWithdrawnBlocked":1' "$work/status-2.json" \
  || die "sync status does not count the withdrawn patches: $(cat "$work/status-2.json")"
admin 2 report patch-health --format json | flat | grep -q "\"upstreamWithdrawn\":\[{\"kernel\":\"$rb\"" || die "patch-health lacks patch B"
admin 2 audit --format json | flat | grep -q '"action":"patch.keep"' || die "the keep is not in the audit log"
ok "kept patch B withdrawn upstream stays offered and shows 'enabled (!)' in patch list/show, patch-health, sync status; keep audited"

# opt in: summary, then machines
sync_cfg 2 1 "$t12" summary
reported() { # MODE
  admin 2 sync trigger --wait --timeout "$timeout_s" > /dev/null 2>&1 || return 1
  admin 1 downstream list --format json | flat | grep -q "\"mode\":\"$1\""
}
wait_for "$timeout_s" "a summary report reached server 1" reported summary
dep=$(tr -d '\n' < "$work/s2/sync/deployment-id")
admin 1 downstream list --format json | flat > "$work/downstreams-summary.json"
grep -q "\"deploymentId\":\"$dep\",\"syncToken\":\"s2\"" "$work/downstreams-summary.json" && grep -q '"machines":1' "$work/downstreams-summary.json" \
  && grep -q '"machineStates":0' "$work/downstreams-summary.json" || die "summary report not listed right: $(cat "$work/downstreams-summary.json")"
admin 1 downstream list | grep -q "$dep" || die "downstream list table lacks the deployment"
ok "upstream.reports = summary: server 1 lists deployment $dep with its sync token and machine count"

sync_cfg 2 1 "$t12" machines
wait_for "$timeout_s" "a machines report reached server 1" reported machines
admin 1 downstream show "$dep" --format json | flat > "$work/downstream-machines.json"
hash=$(sed -n 's/.*"machineHash":"\([0-9a-f]*\)".*/\1/p' "$work/downstream-machines.json")
[[ ${#hash} == 64 ]] || die "no hashed machine state: $(cat "$work/downstream-machines.json")"
[[ $hash != "$machine_id" ]] || die "the machine id left server 2 unhashed"
! grep -q "$machine_id" "$work/downstream-machines.json" || die "the raw machine id reached server 1"
grep -q '"tier":"edge"' "$work/downstream-machines.json" || die "machine state lacks its tier"
ok "upstream.reports = machines: server 1 holds the machine's state under an HMAC of its id, never the id"

code=$(curl -s -o "$work/bad-token.json" -w '%{http_code}' -X POST -H 'Authorization: Bearer not-a-token' -H 'Content-Type: application/json' \
  -d "{\"deploymentId\":\"$dep\",\"mode\":\"summary\",\"reportId\":\"x\",\"machines\":99}" "http://127.0.0.1:${port[1]}/v1/sync/reports")
[[ $code == 401 ]] && grep -q '"error"' "$work/bad-token.json" || die "a wrong token was not refused with a JSON 401 ($code)"
admin 1 downstream list --format json | flat | grep -q '"machines":99' && die "the refused report was stored"
ok "a report with a wrong sync token is refused (401, JSON) and stores nothing"

echo "$passed passed, $failed failed"
