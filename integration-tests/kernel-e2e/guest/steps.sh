#!/bin/bash
# Runs inside the test guest (chroot of the host's / over read-only 9p; /run is the guest's
# tmpfs), started by guest/init. Argument: the env file run.sh wrote (SERVER, PF, READY_FILE,
# STOP_FILE, DEADLINE_S); READY_FILE appears later with TOKEN, ROOT_SHA, PROBE_CP, PROBE_DIR,
# WRONG_KO.
#
# It starts the REAL Patchfleet client (the host's JDK and launcher, kernel applier
# kernel=linux), enables it with the server, and then only watches: the client checks in on its
# own every few seconds (the server asks for it) and applies, replaces or reverts what the server
# directs. Every change of what the kernel and the client show is printed as one 'PF-E2E state'
# line on the serial console, where run.sh waits for it; the client's log follows as 'client|'.
set -uo pipefail
# shellcheck disable=SC1090
source "$1"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/run
# JNA unpacks its native library into java.io.tmpdir: the host's /tmp is read-only here.
export PATCHFLEET_JAVA_OPTS="-Djava.io.tmpdir=/run -Djna.tmpdir=/run"
say() { echo "PF-E2E $*"; }
start=$SECONDS

# 1. The client daemon, on the real kernel, started at once: its JVM start is the slowest step
#    here, and it needs nothing from the host but the launcher.
data=/run/pf-client
mkdir -p "$data/etc"
cat > "$data/etc/io.patchfleet.client.cfg" <<CFG
# Written by the kernel e2e guest: the server through QEMU's forward to the host's loopback.
remote.server = $SERVER
# Minutes; the server's check-in hint (10 s in this test) asks for sooner.
check.interval = 1
# The real kernel applier (JNA finit_module/delete_module, sysfs livepatch).
kernel.target = (kernel=linux)
transition.timeout.seconds = 120
CFG
"$PF" client --data "$data" > /run/client.log 2>&1 &
client_pid=$!
tail -n +1 -F /run/client.log 2>/dev/null | sed -u 's/^/client| /' &

# 2. What the host prepares meanwhile: the token, the publisher root, the modules.
until [[ -f $READY_FILE ]]; do
  (( SECONDS - start < DEADLINE_S )) || { say "FAIL the host never wrote $READY_FILE"; exit 1; }
  sleep 1
done
# shellcheck disable=SC1090
source "$READY_FILE"
say "host ready after $((SECONDS - start)) s"

# 3. The product's Linux applier refuses a module built for another kernel release, before any
#    finit_module (WrongReleaseProbe.java); runs while the daemon starts.
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.io.tmpdir=/run -Djna.tmpdir=/run \
  -cp "$PROBE_DIR:$PROBE_CP" WrongReleaseProbe "$WRONG_KO" pf_klp_wrong 2>&1 | grep --line-buffered '^PF-E2E'
say "probe done after $((SECONDS - start)) s"

# 4. Enable: enroll with the server, the publisher root pinned.
until [[ -S $data/run/control.sock ]]; do
  kill -0 "$client_pid" 2>/dev/null || { say "FAIL the client exited"; exit 1; }
  (( SECONDS - start < DEADLINE_S )) || { say "FAIL the client's socket did not appear"; exit 1; }
  sleep 1
done
say "client up after $((SECONDS - start)) s"
if ! "$PF" enable --data "$data" --server "$SERVER" --root-sha256 "$ROOT_SHA" -- "$TOKEN"; then
  say "FAIL enable"
  exit 1
fi
say "enabled after $((SECONDS - start)) s"

# 5. Watch and report.
state() {
  local lp="" d mods
  for d in /sys/kernel/livepatch/*/; do
    [[ -d $d ]] || continue
    lp+="$(basename "$d"):enabled=$(cat "$d/enabled" 2>/dev/null),transition=$(cat "$d/transition" 2>/dev/null) "
  done
  mods=$(awk '$1 ~ /^pf_klp/ {printf "%s ", $1}' /proc/modules)
  # Every livepatch the kernel ever enabled (its log: "livepatch: enabling patch 'NAME'").
  ever=$(dmesg | sed -n "s/.*livepatch: enabling patch '\([^']*\)'.*/\1/p" | sort -u | tr '\n' ' ')
  printf 'cmdline="%s" livepatch="%s" modules="%s" kernel_enabled="%s" tainted=%s client=%s\n' \
    "$(cat /proc/cmdline)" "${lp% }" "${mods% }" "${ever% }" "$(cat /proc/sys/kernel/tainted)" \
    "$(tr -d '\n' < "$data/client/state.json" 2>/dev/null | sed 's/  */ /g')"
}
last=""
while (( SECONDS - start < DEADLINE_S )); do
  now=$(state)
  if [[ $now != "$last" ]]; then
    say "state $now"
    last=$now
  fi
  [[ -e $STOP_FILE ]] && break
  sleep 0.5
done
say "kernel log:"
dmesg | grep -E 'livepatch|pf_klp|taint' | sed 's/^/kmsg| /'
say "steps end after $((SECONDS - start)) s"
