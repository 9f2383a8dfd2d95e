#!/usr/bin/env bash
# npm run test:vm — the learners' VM, proven here (see README.md): a Debian 12 system like the
# Vagrant box, built from Debian's packages (tests/vm/image.sh, cached by its inputs), booted under
# QEMU with software emulation (no KVM here), provisioned by vagrant/provision.sh inside, then
# chapters graded as the vagrant user with sudo (tests/vm/guest.sh).
#
# Settings (environment):
#   VM_CACHE       the image cache                        (default /var/cache/workbook-vm)
#   VM_CHAPTERS    chapter numbers to grade               (default: every chapter, "1 2 3 4 5 6 7 8 9")
#   VM_SOLUTIONS   1: grade the reference solutions, 0: not (default 1)
#   VM_UNTOUCHED   1: also prove the untouched learner files fail, 0: not (default 1)
#   VM_TIME_SCALE  the grader's time limits × N in the guest (default 6: TCG runs JS ~15× slower)
#   VM_TIMEOUT     hard limit for the VM, seconds        (default 3600: every chapter and the untouched proof; CI sets its own)
#   VM_MEMORY      guest RAM, MiB                         (default 4096)
#   VM_CONSOLE_LOG a file to keep the guest's whole console output in (default: none kept)
# Needs root, amd64, and `npm ci` done in this checkout (the guest gets its node_modules).
# Exit status: 0 when the guest reported VM-EXIT=0; 1 otherwise (a failure it reported, a crash,
# or the time limit).
set -euo pipefail

started=$(date +%s)
say() { echo "test:vm: [$(( $(date +%s) - started )) s] $*"; }
die() { echo "test:vm: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${VM_CACHE:-/var/cache/workbook-vm}
LIMIT=${VM_TIMEOUT:-3600}
MEMORY=${VM_MEMORY:-4096}
CHAPTERS=${VM_CHAPTERS:-1 2 3 4 5 6 7 8 9}
SOLUTIONS=${VM_SOLUTIONS:-1}
UNTOUCHED=${VM_UNTOUCHED:-1}

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap builds a system image)"
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || die "amd64 only (qemu-system-x86_64, this machine's Node and node_modules in the guest)"
[ -f "$PROJECT/node_modules/.package-lock.json" ] || die "run npm ci first: the guest gets this checkout's node_modules"

missing=()
for p in mmdebstrap qemu-system-x86 qemu-utils e2fsprogs xz-utils; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the system image, rebuilt only when its inputs change ---------------------------------------
# Its inputs: image.sh, this machine's Node and npm (preinstalled there), and the package list
# image.sh reads from vagrant/provision.sh.
key=$({ cat "$HERE/image.sh"; node --version; npm --version; bash -c '. "$1"; printf "%s\n" "${APT_PACKAGES[@]}"' _ "$PROJECT/vagrant/provision.sh"; } | sha256sum | cut -c1-16)
BASE=$CACHE/base-$key
if [ ! -s "$BASE/root.img" ]; then
  say "building the Debian 12 image (mmdebstrap, once per change of tests/vm/image.sh)"
  rm -rf "$CACHE"/base-*
  rm -rf "$BASE.tmp"
  nice -n 5 bash "$HERE/image.sh" "$BASE.tmp" || { rm -rf "$BASE.tmp"; die "building the image failed"; }
  mv "$BASE.tmp" "$BASE"
  say "image built"
fi
say "image: $BASE ($(grep -E '^(linux-image-[0-9][^ ]*|systemd) ' "$BASE/packages.txt" | tr '\n' ' '))"

TMP=$(mktemp -d /var/tmp/workbook-vm-run.XXXXXX)
qemu_pid=
cleanup() {
  # qemu_pid is timeout(1)'s, which passes TERM on to qemu and then ends.
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -TERM "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the project, on a disk of its own mounted at /workbook (the Vagrantfile's synced folder) ----
# What a checkout has (tracked and new files, not build products), and this checkout's
# node_modules: the same OS and CPU as the guest, so the native packages (esbuild, koffi) are the
# right builds, and provision.sh's step 3 must recognise it as matching package-lock.json and skip
# npm ci (which under software emulation would take longer than the whole test may).
P=$TMP/project
mkdir -p "$P"
if git -C "$PROJECT" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$PROJECT" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -C "$P" -xf -
else
  tar -C "$PROJECT" --exclude=node_modules --exclude=.git --exclude=build --exclude=.mutants -cf - . | tar -C "$P" -xf -
fi
tar -C "$PROJECT" --exclude=node_modules/.cache --exclude=node_modules/.vite --exclude=node_modules/.vitest -cf - node_modules | tar -C "$P" -xf -
{
  printf 'VM_TIME_SCALE=%q\n' "${VM_TIME_SCALE:-6}"
  printf 'VM_CHAPTERS=%q\n' "$CHAPTERS"
  printf 'VM_SOLUTIONS=%q\n' "$SOLUTIONS"
  printf 'VM_UNTOUCHED=%q\n' "$UNTOUCHED"
} > "$P/.vm-settings"
truncate -s 3G "$TMP/project.img"
mke2fs -q -F -t ext4 -L workbook -d "$P" "$TMP/project.img"
rm -rf "$P"
qemu-img create -q -f qcow2 -F raw -b "$BASE/root.img" "$TMP/root.qcow2"

# --- boot ----------------------------------------------------------------------------------------
# The reaped children's CPU seconds (user + system): bash's `times`, second line. `times` must run
# in this shell itself (a subshell's children are not this shell's), so it goes through a file.
cpu_mark() { times > "$TMP/times"; }
cpu_read() { tail -n 1 "$TMP/times" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.1f", s }'; }
cpu_mark; cpu0=$(cpu_read); booted=$(date +%s)
say "booting (qemu -accel tcg, 2 CPUs, $MEMORY MiB, hard limit $LIMIT s)"
log=$TMP/console.log
set +e
timeout -k 10 "$LIMIT" nice -n 5 qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp 2 -m "$MEMORY" \
  -nodefaults -nographic -serial stdio -monitor none -no-reboot \
  -kernel "$BASE/vmlinuz" -initrd "$BASE/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0 panic=1" \
  -drive file="$TMP/root.qcow2",if=virtio,format=qcow2 \
  -drive file="$TMP/project.img",if=virtio,format=raw \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile= \
  </dev/null > >(sed -u -E -e 's/\r$//' -e 's/^.*\[ *[0-9]+\.[0-9]+\] [^ []*\[[0-9]+\]: (VM-)/\1/' | tee "$log" | grep --line-buffered -E '^(VM-(INFO|FACT|FAIL|CHAPTER|EXIT)|VM-LOG provision)') 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
qemu_status=$?
qemu_pid=
vm_wall=$(( $(date +%s) - booted ))
# CPU time of the reaped children (bash's `times`, second line), before and after: QEMU's own.
cpu_mark; vm_cpu=$(awk -v a="$cpu0" -v b="$(cpu_read)" 'BEGIN { printf "%.0f", b - a }')
set -e
sleep 0.3
if [ -n "${VM_CONSOLE_LOG:-}" ]; then cp "$log" "$VM_CONSOLE_LOG"; fi

verdict=$(sed -n 's/^VM-EXIT=\([0-9]\{1,3\}\)$/\1/p' "$log" | tail -n 1)
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
  tail -n 40 "$log"
  die "FAILED: the VM did not finish within $LIMIT s"
fi
if [ -z "$verdict" ]; then
  tail -n 60 "$log"
  die "FAILED: no VM-EXIT line (qemu exit $qemu_status): the guest crashed or never ran the test"
fi
if [ "$verdict" != 0 ]; then
  grep -E '^VM-LOG ' "$log" | tail -n 150
  die "FAILED: the guest reported failures (VM-FAIL lines above)"
fi
# Plain ifs: an assignment's status is its last $(…)'s, and a false `[ ] && echo` there ended the
# script under set -e, silently, after the guest had passed (VM_UNTOUCHED=0).
parts=()
if [ "$SOLUTIONS" = 1 ]; then parts+=('the reference solutions pass'); fi
if [ "$UNTOUCHED" = 1 ]; then parts+=('the untouched learner files fail'); fi
what="chapters $CHAPTERS: $(IFS=,; echo "${parts[*]:-nothing graded}" | sed 's/,/, /g')"
say "passed: provisioned twice, $what in the VM ($vm_wall s of it in the VM, which used $vm_cpu s of CPU; total $(( $(date +%s) - started )) s)"
