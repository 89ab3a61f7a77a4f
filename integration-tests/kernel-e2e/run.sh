#!/usr/bin/env bash
# integration-tests/kernel-e2e/run.sh — Patchfleet on a REAL Linux kernel, under QEMU.
#
# Installs what it needs from Debian (root: apt-get), resolves the current Debian kernel ABI,
# builds two cumulative livepatch modules for it (klp/pf_klp.c.in: they replace the function
# behind /proc/cmdline) and one that names another kernel release, publishes them with
# 'patchfleet publisher', runs a Patchfleet server on 127.0.0.1 and boots that kernel with the
# real client (the host's JDK and launcher over a read-only 9p share of /). Then, asserting
# each time from the guest's serial console AND from the server's report:
#   1. the client enrolls, checks in, downloads, verifies and applies v1 through the Linux
#      applier: /proc/cmdline shows v1's text, enabled=1, transition=0, report 'applied' v1;
#   2. v2 is published but the server's blob is tampered with: the client refuses it before any
#      finit_module (not in /proc/modules, not in the kernel log), v1 keeps running, report
#      'apply-failed';
#   3. the blob is repaired: v2 replaces v1 atomically, v1's module is unloaded, report v2;
#   4. (in the guest, at boot) the product's LinuxApplier refuses a module whose vermagic names
#      another kernel release, with no finit_module call; the kernel itself refuses it too;
#   5. the patches are revoked on the server: the client disables v2, the transition reverses,
#      the module unloads, /proc/cmdline is the boot command line again, the report says so.
# The guest's network reaches only the server: QEMU user networking with restrict=on and one
# guestfwd to 127.0.0.1:PORT. Hard timeout; on failure the guest's serial log is printed.
#
# Usage: run.sh [--keep]   (--keep: leave the work folder; it is printed)
# Environment: PF_KERNEL_OUT (a folder that receives serial.log and result.txt), PF_KERNEL_CACHE (default /var/cache/patchfleet-kernel-e2e: the kernel package,
#   the unpacked kernel, the KVM probe's answer), PF_KERNEL_TIMEOUT (seconds for the whole
#   guest run, default 900), PF_KERNEL_ACCEL (kvm|tcg: skip the probe).
# Exit codes: 0 passed, 1 an assertion failed, 4 setup failed (packages, build, server),
#   77 cannot run here (not Linux x86_64, or not root and packages missing).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
pf=$repo/bin/patchfleet
cache=${PF_KERNEL_CACHE:-/var/cache/patchfleet-kernel-e2e}
guest_timeout=${PF_KERNEL_TIMEOUT:-900}
keep=false
[[ ${1:-} == --keep ]] && keep=true

t0=$SECONDS
step() { printf '\n==> [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'kernel-e2e: SETUP FAILED: %s\n' "$*" >&2; exit 4; }

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] || { echo "kernel-e2e: needs Linux x86_64" >&2; exit 77; }
[[ -f $repo/launcher/target/patchfleet/lib/patchfleet-launcher.jar ]] \
  || die "the launcher is not built; run 'mvn -B -q install -DskipTests' in $repo first"

# The work folder must be visible to the guest through the 9p share of /: any host folder is.
work=$(mktemp -d /tmp/pf-kernel-e2e.XXXXXX)
server_pid=
qemu_pid=
cleanup() {
  local rc=$?
  set +e
  if [[ -n $qemu_pid ]]; then kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null; fi
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  if $keep || [[ $rc -ne 0 ]]; then
    echo "kernel-e2e: work folder kept: $work" >&2
  else
    rm -rf -- "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Debian packages and the kernel ------------------------------------------------------
step "Debian packages"
apt_install() {
  [[ $(id -u) == 0 ]] || { echo "kernel-e2e: not root and missing: $* (install them, or run as root)" >&2; exit 77; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > "$work/apt.log" 2>&1 \
    || { apt-get update -qq >> "$work/apt.log" 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >> "$work/apt.log" 2>&1; } \
    || { cat "$work/apt.log" >&2; die "apt-get install $* failed"; }
}
# The current Debian kernel ABI, never hard-coded: Debian drops old ABIs from the mirror.
resolve_kver() { apt-cache depends linux-headers-amd64 2>/dev/null | sed -n 's/.*Depends: linux-headers-//p' | head -1; }
kver=$(resolve_kver)
if [[ -z $kver ]]; then
  [[ $(id -u) == 0 ]] || { echo "kernel-e2e: cannot resolve the kernel ABI (apt lists missing) and not root" >&2; exit 77; }
  apt-get update -qq > "$work/apt.log" 2>&1 || die "apt-get update failed"
  kver=$(resolve_kver)
fi
[[ $kver =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$ ]] || die "unexpected kernel ABI from apt-cache: '$kver'"
info "Debian kernel ABI: $kver"
need=()
command -v qemu-system-x86_64 > /dev/null || need+=(qemu-system-x86)
[[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -qx insmod && ! ldd /bin/busybox > /dev/null 2>&1 \
  || need+=(busybox-static)
command -v cpio > /dev/null || need+=(cpio)
command -v make > /dev/null || need+=(make)
command -v gcc > /dev/null || need+=(gcc)
[[ -d /lib/modules/$kver/build ]] || need+=("linux-headers-$kver")
if ((${#need[@]})); then
  info "installing ${need[*]}"
  apt_install "${need[@]}"
fi

kdir=$cache/$kver
mkdir -p "$cache" 2>/dev/null || { echo "kernel-e2e: cannot write $cache (set PF_KERNEL_CACHE)" >&2; exit 77; }
# One run at a time fills the cache; a second waits for it.
exec 8> "$cache/.lock"
flock -w 600 8 || die "the cache $cache stayed locked by another run"
if [[ ! -f $kdir/vmlinuz || ! -f $kdir/modules/.complete ]]; then
  mkdir -p "$kdir"
  info "downloading linux-image-$kver-unsigned into $cache"
  (cd "$cache" && apt-get download "linux-image-$kver-unsigned" > "$work/download.log" 2>&1) \
    || { apt-get update -qq > /dev/null 2>&1; (cd "$cache" && apt-get download "linux-image-$kver-unsigned" >> "$work/download.log" 2>&1); } \
    || { cat "$work/download.log" >&2; die "apt-get download linux-image-$kver-unsigned failed"; }
  deb=$(ls -t "$cache"/linux-image-"$kver"-unsigned_*.deb | head -1)
  # Unpacked, not installed: installing would run the host's boot hooks.
  rm -rf "$kdir/x" && mkdir -p "$kdir/x" "$kdir/modules"
  mods=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
        drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio
        fs/netfs/netfs fs/fscache/fscache fs/9p/9p net/core/failover drivers/net/net_failover
        drivers/net/virtio_net drivers/char/hw_random/virtio-rng)
  members=("./boot/vmlinuz-$kver")
  for m in "${mods[@]}"; do members+=("./lib/modules/$kver/kernel/$m.ko"); done
  set -o pipefail
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir/x" "${members[@]}" || die "unpacking $deb failed"
  mv "$kdir/x/boot/vmlinuz-$kver" "$kdir/vmlinuz"
  for m in "${mods[@]}"; do mv "$kdir/x/lib/modules/$kver/kernel/$m.ko" "$kdir/modules/"; done
  rm -rf "$kdir/x"
  rm -f "$deb"  # 70 MB; the two files kept are what the test needs
  touch "$kdir/modules/.complete"
fi
flock -u 8
info "kernel: $kdir/vmlinuz"

# --- 2. The guest, booted first ----------------------------------------------------------
host=127.0.0.1
port=0
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then port=$p; break; fi
done
((port)) || die "no free port"
step "Booting $kver (the guest starts the client while the host prepares the server)"
rootfs=$work/initramfs
mkdir -p "$rootfs"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$rootfs/bin/busybox"
cp "$kdir"/modules/*.ko "$rootfs/lib/modules/"
cp "$here/guest/init" "$rootfs/init"
chmod 755 "$rootfs/init"
mknod "$rootfs/dev/console" c 5 1
(set -o pipefail; cd "$rootfs" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz") || die "packing the initramfs"
(( $(stat -c %s "$work/initrd.gz") > 100000 )) || die "the initramfs is too small (cpio failed?)"
stop_file=$work/guest-stop
# What the guest needs at once; the rest (token, root, modules) follows in READY_FILE when the
# host has it, so the guest's slow JVM start overlaps the host's build and server start.
ready_file=$work/guest-ready.env
cat > "$work/guest.env" <<ENV
SERVER='http://10.0.2.100:80'
PF='$pf'
READY_FILE='$ready_file'
STOP_FILE='$stop_file'
DEADLINE_S=$guest_timeout
ENV

serial=$work/serial.log
qemu_base=(qemu-system-x86_64 -smp 2 -m 1024 -display none -monitor none -no-reboot
  -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz")
# KVM when it works; the answer is cached per kernel, QEMU and host kernel. On these build
# machines /dev/kvm exists but a guest never gets past the firmware (nested virtualisation):
# the probe gives up after 20 s once, and every later run goes straight to TCG.
accel=${PF_KERNEL_ACCEL:-}
if [[ -z $accel ]]; then
  probe_key="$cache/accel-$kver-$(uname -r)-$(qemu-system-x86_64 --version | head -1 | tr -dc '0-9.')"
  if [[ -f $probe_key ]]; then
    accel=$(cat "$probe_key")
  elif [[ -w /dev/kvm ]] && timeout 20 "${qemu_base[@]}" -accel kvm -serial "file:$work/probe.log" \
      -append 'console=ttyS0 panic=-1 quiet pf.probe=1' > /dev/null 2>&1 && grep -q accel-probe-ok "$work/probe.log"; then
    accel=kvm
  else
    accel=tcg
  fi
  echo "$accel" > "$probe_key" 2>/dev/null || true
fi
info "accelerator: $accel"
# In its own session, as the server: Ctrl-C reaches this script only, whose cleanup stops both.
# The waits below end at guest_deadline (the hard timeout), and cleanup stops QEMU.
setsid "${qemu_base[@]}" -accel "$accel" -serial "file:$serial" \
  -append "console=ttyS0 panic=-1 quiet pf.steps=$here/guest/steps.sh pf.env=$work/guest.env" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:/bin/busybox nc $host $port" \
  -device virtio-net-pci,netdev=n0 -device virtio-rng-pci > "$work/qemu.log" 2>&1 &
qemu_pid=$!
guest_deadline=$((SECONDS + guest_timeout))

# --- 3. Publisher, server, modules, admin, token -----------------------------------------------------
step "Publisher repository and the server (started while the modules build)"
export XDG_CONFIG_HOME=$work/cli-config
unset PATCHFLEET_ADMIN_TOKEN PATCHFLEET_SERVER PATCHFLEET_DATA PATCHFLEET_JAVA_OPTS
prepo=$work/repo
"$pf" publisher init --repo "$prepo" --insecure-plain-keys > "$work/publisher.log" 2>&1 || { cat "$work/publisher.log"; die "publisher init"; }
root_sha=$(sha256sum "$prepo/metadata/1.root.json" | cut -d' ' -f1)

url="http://$host:$port"
sdata=$work/server
mkdir -p "$sdata/etc"
cat > "$sdata/etc/io.patchfleet.server.mirror.cfg" <<CFG
repository = $prepo
root.sha256 = $root_sha
trust.on.first.use = false
interval.seconds = 2
CFG
cat > "$sdata/etc/io.patchfleet.server.machines.cfg" <<CFG
# The test guest checks in every 10 s (the least the server asks for), without jitter.
check.in.interval.seconds = 10
jitter.percent = 0
directive.ttl.seconds = 10800
machine.count.interval.seconds = 0
CFG
# Own session: see QEMU's.
setsid "$pf" server --data "$sdata" --port "$port" --host "$host" > "$work/server.log" 2>&1 &
server_pid=$!

# --- the livepatch modules ---------------------------------------------------------------
step "Building the livepatch modules for $kver"
mkdir -p "$work/klp"
text_v1="patchfleet-e2e livepatch v1 in effect"
text_v2="patchfleet-e2e livepatch v2 in effect"
sed "s/@TEXT@/$text_v1/" "$here/klp/pf_klp.c.in" > "$work/klp/pf_klp_v1.c"
sed "s/@TEXT@/$text_v2/" "$here/klp/pf_klp.c.in" > "$work/klp/pf_klp_v2.c"
sed "s/@TEXT@/patchfleet-e2e wrong release/" "$here/klp/pf_klp.c.in" > "$work/klp/pf_klp_wrong.c"
echo 'obj-m += pf_klp_v1.o pf_klp_v2.o pf_klp_wrong.o' > "$work/klp/Makefile"
make -s -j2 -C "/lib/modules/$kver/build" M="$work/klp" modules > "$work/klp/build.log" 2>&1 \
  || { cat "$work/klp/build.log" >&2; die "building the modules failed"; }
# A module for another kernel release: the same bytes with vermagic naming another ABI (same
# length, so the ELF stays valid); the kernel would refuse it, and so must the client.
other=${kver%-amd64}; other="${other%-*}-$(( (${other##*-} + 1) % 100 ))-amd64"
while ((${#other} < ${#kver})); do other="${other%%-*}-0${other#*-}"; done
[[ ${#other} == "${#kver}" && $other != "$kver" ]] || die "cannot make another release name like $kver"
perl -0777 -pi -e "s/vermagic=\Q$kver\E /vermagic=$other /" "$work/klp/pf_klp_wrong.ko"
grep -aq "vermagic=$other " "$work/klp/pf_klp_wrong.ko" || die "could not rewrite the vermagic of pf_klp_wrong.ko"
info "pf_klp_v1.ko, pf_klp_v2.ko (atomic replace) for $kver; pf_klp_wrong.ko names $other"

# The probe of the wrong-release case runs in the guest with the client profile's own jars.
bundles=$repo/launcher/target/patchfleet/profiles/client/bundles
probe_cp=$(printf '%s:' "$bundles"/io.patchfleet.kernel.linux-*.jar "$bundles"/io.patchfleet.kernel.api-*.jar \
  "$bundles"/io.patchfleet.kernel.module-*.jar "$bundles"/io.patchfleet.model-*.jar "$bundles"/jna-*.jar \
  "$bundles"/slf4j-api-*.jar "$bundles"/slf4j-simple-*.jar)
probe_cp=${probe_cp%:}
mkdir -p "$work/probe"
javac -nowarn -d "$work/probe" -cp "$probe_cp" "$here/guest/WrongReleaseProbe.java" 2> "$work/probe/javac.log" \
  || { cat "$work/probe/javac.log" >&2; die "compiling WrongReleaseProbe failed"; }


step "Publishing v1; admin login and an enrollment token"
"$pf" publisher add --repo "$prepo" --cve CVE-2099-0001:high --description "kernel e2e: $text_v1" "$work/klp/pf_klp_v1.ko" \
  >> "$work/publisher.log" 2>&1 || { cat "$work/publisher.log"; die "publisher add v1"; }
info "$(tail -1 "$work/publisher.log")"
http_ok() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET /v1/ready HTTP/1.0\r\nHost: %s\r\n\r\n" "$0" >&3; head -n 1 <&3' "$host" "$port" 2>/dev/null | grep -q ' 200 '
}
until http_ok; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; die "the server exited"; }
  ((SECONDS - t0 < 300)) || die "the server was not ready"
  sleep 0.5
done
until [[ -s $sdata/initial-admin-password ]]; do sleep 0.2; done
"$pf" admin login --server "$url" --user admin --password-file "$sdata/initial-admin-password" > "$work/admin.log" 2>&1 \
  || { cat "$work/admin.log"; die "admin login"; }
token=$("$pf" admin token create edge --server "$url" --expires-in 1h --max-uses 1 --description kernel-e2e --format json \
  | tr -d '\n' | sed -n 's/.*"secret"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "no enrollment token"
admin() { "$pf" admin "$@" --server "$url"; }
until admin patch list --kernel "$kver" --format json 2>/dev/null | grep -q '"pf_klp_v1"\|"version" *: *1'; do
  ((SECONDS - t0 < 300)) || die "the server did not mirror v1"
  sleep 0.5
done
info "server $url (PID $server_pid), catalog has v1, token for tier edge"
cat > "$ready_file.tmp" <<ENV
TOKEN='$token'
ROOT_SHA='$root_sha'
PROBE_CP='$probe_cp'
PROBE_DIR='$work/probe'
WRONG_KO='$work/klp/pf_klp_wrong.ko'
ENV
mv "$ready_file.tmp" "$ready_file"

# --- 5. Assertions ----------------------------------------------------------------------------
fail() {
  printf '\nkernel-e2e: FAILED: %s\n' "$*" >&2
  if [[ -n ${PF_KERNEL_OUT:-} ]]; then mkdir -p "$PF_KERNEL_OUT" && cp "$serial" "$PF_KERNEL_OUT/" 2>/dev/null; fi
  echo "----- guest serial log ($serial) -----" >&2
  cat "$serial" >&2 2>/dev/null || true
  echo "----- qemu ($work/qemu.log) -----" >&2
  cat "$work/qemu.log" >&2 2>/dev/null || true
  echo "----- server log (last 60 lines) -----" >&2
  tail -n 60 "$work/server.log" >&2 || true
  exit 1
}
pass() { info "PASS: $*"; echo "PASS $*" >> "$work/result.txt"; }
# The last 'PF-E2E state' line of the guest.
# The serial console ends lines with CR LF.
slog() { tr -d '\r' < "$serial" 2>/dev/null || true; }
guest_state() { slog | grep -a '^PF-E2E state ' | tail -1 || true; }
# Waits until the guest's state line matches every regex given; echoes it.
wait_guest() {
  local what=$1; shift
  local s ok re
  while :; do
    s=$(guest_state)
    ok=true
    for re in "$@"; do [[ $s =~ $re ]] || { ok=false; break; }; done
    $ok && { printf '%s' "$s"; return 0; }
    slog | grep -aq '^PF-E2E FAIL' && fail "the guest failed while waiting for: $what"
    kill -0 "$qemu_pid" 2>/dev/null || fail "the guest stopped while waiting for: $what"
    ((SECONDS < guest_deadline)) || fail "timed out waiting for: $what"
    sleep 1
  done
}
# Waits until the server's machine report (admin machine list, JSON) matches every regex.
report() { admin machine list --format json 2>/dev/null | tr -d '\n' | sed 's/  */ /g'; }
wait_report() {
  local what=$1; shift
  local r ok re
  while :; do
    r=$(report)
    ok=true
    for re in "$@"; do [[ $r =~ $re ]] || { ok=false; break; }; done
    $ok && { printf '%s' "$r"; return 0; }
    kill -0 "$qemu_pid" 2>/dev/null || fail "the guest stopped while waiting for the server's report: $what"
    ((SECONDS < guest_deadline)) || fail "timed out waiting for the server's report: $what (last: $r)"
    sleep 1
  done
}
wait_line() {
  local what=$1 re=$2
  until slog | grep -aEq "$re"; do
    slog | grep -aq '^PF-E2E FAIL' && fail "the guest failed while waiting for: $what"
    kill -0 "$qemu_pid" 2>/dev/null || fail "the guest stopped while waiting for: $what"
    ((SECONDS < guest_deadline)) || fail "timed out waiting for: $what"
    sleep 1
  done
}

boot_cmdline_re='cmdline="[^"]*pf\.steps=[^"]*"'
wait_line "the guest to boot" '^PF-E2E guest up'
info "$(slog | grep -a '^PF-E2E guest up')"

step "Wrong kernel release: the Linux applier on the real kernel"
wait_line "the wrong-release probe" '^PF-E2E probe done|^PF-E2E probe wrong-release APPLIED|^PF-E2E probe done after'
slog | grep -a '^PF-E2E probe' | sed 's/^/    guest: /'
slog | grep -aEq "^PF-E2E probe wrong-release refused finit_module-calls=0 reason=LOAD_REFUSED message=.*built for kernel \"$other\".*refused before loading" \
  || fail "the module for $other was not refused before finit_module"
# The kernel's own answer: ENOEXEC, or (CONFIG_MODVERSIONS compares vermagic past the release)
# it loads it, and the probe unloaded it again.
if slog | grep -aEq '^PF-E2E probe wrong-release kernel-errno=0$'; then
  slog | grep -aEq '^PF-E2E probe wrong-release kernel-loaded-it; disabled and unloaded' \
    || fail "the probe could not unload the module the kernel loaded: $(slog | grep -a '^PF-E2E probe wrong-release kernel-loaded-it' | tail -1)"
  kernel_says="the kernel itself would have loaded it (CONFIG_MODVERSIONS ignores the release in vermagic)"
else
  slog | grep -aEq '^PF-E2E probe wrong-release kernel-errno=8$' || fail "unexpected kernel answer to the module for $other"
  kernel_says="the kernel says ENOEXEC too"
fi
pass "a module built for $other is refused by the Linux applier before any finit_module; $kernel_says"

step "Enroll, check in, download, verify, apply v1"
s=$(wait_guest "v1 applied" "cmdline=\"$text_v1\"" 'livepatch="pf_klp_v1:enabled=1,transition=0"' \
  'modules="pf_klp_v1"' '"patchState" ?: ?"applied"')
info "guest: ${s:0:400}"
pass "guest: /proc/cmdline shows '$text_v1', pf_klp_v1 enabled=1 transition=0, client state applied"
tainted=$(sed -n 's/.* tainted=\([0-9]*\) .*/\1/p' <<<"$s")
(( (tainted & 32768) != 0 )) || fail "the kernel is not tainted K (livepatch) after v1: tainted=$tainted"
pass "guest: the kernel carries taint K (livepatch) ($tainted)"
r=$(wait_report "v1 applied" '"patchState" ?: ?"applied"' '"patchVersion" ?: ?1[,}]')
info "server: ${r:0:300}"
pass "server report: patchState applied, patchVersion 1"

step "Tampered module: v2 published, the server's blob altered"
sha_v2=$(sha256sum "$work/klp/pf_klp_v2.ko" | cut -d' ' -f1)
blob=$sdata/blobs/${sha_v2:0:2}/${sha_v2:2:2}/$sha_v2
# Planted before the server mirrors v2: the mirror keeps a blob that exists, so the server hands
# out these bytes (same length, one byte flipped in the middle) under v2's signed name.
mkdir -p "$(dirname "$blob")"
cp "$work/klp/pf_klp_v2.ko" "$work/pf_klp_v2.tampered"
size=$(stat -c %s "$work/pf_klp_v2.tampered")
printf '\xA5' | dd of="$work/pf_klp_v2.tampered" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$work/pf_klp_v2.tampered" "$work/klp/pf_klp_v2.ko" && die "tampering changed nothing"
cp "$work/pf_klp_v2.tampered" "$blob"
"$pf" publisher add --repo "$prepo" --cve CVE-2099-0002:high --description "kernel e2e: $text_v2" "$work/klp/pf_klp_v2.ko" \
  >> "$work/publisher.log" 2>&1 || { cat "$work/publisher.log"; die "publisher add v2"; }
info "$(tail -1 "$work/publisher.log")"
s=$(wait_guest "v2 refused" '"patchState" ?: ?"apply-failed"' 'patch 2: [^"]*(sha|hash|SHA|length)' \
  "cmdline=\"$text_v1\"" 'modules="pf_klp_v1"')
info "guest: ${s:0:600}"
[[ $s =~ kernel_enabled=\"[^\"]*pf_klp_v2 ]] && fail "the kernel log shows pf_klp_v2 being enabled"
pass "guest: tampered v2 refused (apply-failed, hash mismatch), never loaded (not in /proc/modules), v1 still in effect"
r=$(wait_report "v2 apply-failed" '"patchState" ?: ?"apply-failed"')
info "server: ${r:0:300}"
pass "server report: patchState apply-failed"

step "The blob repaired: v2 replaces v1 atomically"
cp "$work/klp/pf_klp_v2.ko" "$blob.tmp" && mv "$blob.tmp" "$blob"
s=$(wait_guest "v2 applied, v1 unloaded" "cmdline=\"$text_v2\"" 'livepatch="pf_klp_v2:enabled=1,transition=0"' \
  'modules="pf_klp_v2"' '"patchState" ?: ?"applied"')
info "guest: ${s:0:400}"
pass "guest: /proc/cmdline shows '$text_v2', only pf_klp_v2 in sysfs and /proc/modules (v1 replaced and unloaded)"
r=$(wait_report "v2 applied" '"patchState" ?: ?"applied"' '"patchVersion" ?: ?2[,}]')
info "server: ${r:0:300}"
pass "server report: patchState applied, patchVersion 2"

step "Revoked on the server: the client reverts"
admin patch revoke "$kver" 1 > "$work/revoke.log" 2>&1 || { cat "$work/revoke.log"; fail "admin patch revoke 1"; }
admin patch revoke "$kver" 2 >> "$work/revoke.log" 2>&1 || { cat "$work/revoke.log"; fail "admin patch revoke 2"; }
s=$(wait_guest "v2 reverted" "$boot_cmdline_re" 'livepatch=""' 'modules=""')
info "guest: ${s:0:400}"
pass "guest: after the revocation no livepatch is loaded, pf_klp_v2 is unloaded, /proc/cmdline is the boot command line"
r=$(wait_report "reverted" '"patchState" ?: ?"nothing-to-apply"' '"patchVersion" ?: ?(0|null)[,}]')
info "server: ${r:0:300}"
pass "server report: patchState nothing-to-apply, no patch version"

touch "$stop_file"
wait_line "the guest to finish" '^PF-E2E steps end'
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
step "Passed in $((SECONDS - t0)) s (accelerator $accel; serial log $serial)"
cat "$work/result.txt"
if [[ -n ${PF_KERNEL_OUT:-} ]]; then
  mkdir -p "$PF_KERNEL_OUT" && cp "$serial" "$work/result.txt" "$PF_KERNEL_OUT/"
fi
