#!/usr/bin/env bash
# Chapter 3's grading suite against the reference solutions, inside a real
# cgroup v2 kernel: Debian's cloud kernel under QEMU software emulation (no
# KVM needed), booted straight into an initramfs that holds busybox, node,
# the project and the workbook's rootfs. See README.md.
#
#   npm run test:v2-guest                       (or: bash tests/v2-guest/run.sh)
#
# Settings (environment):
#   V2_GUEST_CACHE     kernel and rootfs cache   (default /var/cache/workbook-v2-guest)
#   V2_GUEST_KERNEL    Debian kernel package     (default: what linux-image-cloud-amd64 depends on)
#   V2_GUEST_FILES     test files, comma-separated (default tests/chapters/03-cgroups.test.ts;
#                      "none": boot and the cgroup probes only)
#   V2_GUEST_SCALE     WORKBOOK_TIME_SCALE in the guest: the grader's time limits x N (default 5)
#   V2_GUEST_TIMEOUT   hard limit for the VM, seconds (default 600: about 70 s on a quiet machine, 470 s at load 11)
#   V2_GUEST_MEMORY    guest RAM, MiB (default 2048)
#   V2_GUEST_CPU       qemu -cpu model (default max)
#   V2_GUEST_VITEST_ARGS  more vitest arguments, as shell words, e.g. "-t '^(?!.*busy loop)'"
#   V2_GUEST_DIAG=1    also time node and a bare container start in the guest (~20 s more)
# Exit status: the guest's vitest exit status (0 = every check passed);
# 1 if there was no marker line (the guest crashed or hung), or a setup step failed.
set -euo pipefail

started=$(date +%s%N)
elapsed() { awk -v ns="$(( $(date +%s%N) - started ))" 'BEGIN { printf "%.1f", ns / 1e9 }'; }
say() { echo "v2-guest: [$(elapsed) s] $*"; }
die() { echo "v2-guest: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${V2_GUEST_CACHE:-/var/cache/workbook-v2-guest}
FILES=${V2_GUEST_FILES:-tests/chapters/03-cgroups.test.ts}
SCALE=${V2_GUEST_SCALE:-5}
LIMIT=${V2_GUEST_TIMEOUT:-600}
MEMORY=${V2_GUEST_MEMORY:-2048}

[ "$(id -u)" = 0 ] || die "needs root (apt-get, the rootfs's device nodes)"
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || die "amd64 only: the guest runs this machine's own node binary under qemu-system-x86_64"
NODE=$(command -v node) || die "node is not on PATH"
NODE=$(readlink -f "$NODE")
[ -d "$PROJECT/node_modules/vitest" ] || die "run npm ci first"

# --- host packages ---------------------------------------------------------
missing=()
for p in qemu-system-x86 busybox-static cpio; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- kernel: Debian's cloud kernel has cgroup2, all controllers, tmpfs and the serial console built in ---
mkdir -p "$CACHE"
cached=$(cat "$CACHE/kernel-package" 2>/dev/null || true)
if [ ! -s "$CACHE/vmlinuz" ] || { [ -n "${V2_GUEST_KERNEL:-}" ] && [[ "$cached" != "${V2_GUEST_KERNEL}_"* ]]; }; then
  pkg=${V2_GUEST_KERNEL:-$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')}
  if [ -z "$pkg" ]; then apt-get update -qq; pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }'); fi
  [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64"
  say "downloading $pkg"
  rm -f "$CACHE"/*.deb
  (cd "$CACHE" && { apt-get download -qq -o APT::Sandbox::User=root "$pkg" || { apt-get update -qq && apt-get download -qq -o APT::Sandbox::User=root "$pkg"; }; })
  deb=$(ls "$CACHE"/linux-image-*.deb)
  dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './boot/vmlinuz-*' > "$CACHE/vmlinuz.tmp"
  mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
  basename "$deb" > "$CACHE/kernel-package"
  rm -f "$deb"
fi
say "kernel: $(cat "$CACHE/kernel-package" 2>/dev/null || echo "$CACHE/vmlinuz")"

# --- the workbook's rootfs, built by the workbook itself (no-op when up to date) ---
WORKBOOK_ROOTFS="$CACHE/rootfs" "$NODE" --import tsx "$PROJECT/toolkit/cli/rootfs.ts" >/dev/null
say "rootfs: $CACHE/rootfs ($(cat "$CACHE/rootfs/etc/workbook-release"))"

# --- the initramfs, staged in a temporary directory ---------------------------
TMP=$(mktemp -d /tmp/v2-guest.XXXXXX)
qemu_pid=
cleanup() {
  # qemu_pid is timeout(1)'s, which passes TERM on to qemu and then ends.
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -TERM "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

R=$TMP/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,proc,sys,dev,tmp,run,project,var/lib/workbook}

# busybox (static) is the guest's userland: /init's shell, mount, switch_root, poweroff …
cp /bin/busybox "$R/bin/busybox"
for applet in $(/bin/busybox --list-full); do
  [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
done

# The project: what vitest, tsx, esbuild and koffi need; not the type checker, nor vite's CSS
# compiler (imported only for CSS), nor the host's build cache.
tar -C "$PROJECT" -cf - \
  --exclude=node_modules/typescript --exclude=node_modules/@types --exclude=node_modules/.cache \
  --exclude='node_modules/lightningcss*' --exclude=node_modules/playwright-core \
  --exclude=node_modules/.bin/tsc --exclude=node_modules/.bin/tsserver \
  package.json tsconfig.json toolkit tests solutions chapters node_modules \
  | tar -C "$R/project" -xf -

# node, and the shared libraries of node and of the native addons and binaries it loads.
cp "$NODE" "$R/usr/bin/node"
# util-linux's nsenter before busybox's on PATH: busybox's has no --cgroup, which chapter 3's
# cgroup-namespace check joins to read /proc/PID/cgroup as the container sees it.
NSENTER=$(readlink -f "$(command -v nsenter)")
cp "$NSENTER" "$R/usr/local/bin/nsenter"
mapfile -t natives < <(find "$R/project/node_modules" \( -name '*.node' -o -path '*/@esbuild/*/bin/esbuild' \) -type f)
for lib in $(ldd "$NODE" "$NSENTER" "${natives[@]}" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u); do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done

# The rootfs at its default path. build.ts hashes /bin/busybox (the same binary, copied above) and asks
# dpkg-query whether busybox-static is installed; the guest has no dpkg database, so a shim answers that.
cp -a "$CACHE/rootfs" "$R/var/lib/workbook/rootfs"
bbversion=$(dpkg-query -W -f '${Version}' busybox-static)
cat > "$R/usr/local/bin/dpkg-query" <<EOF
#!/bin/sh
# v2 guest: no dpkg database here; answers the one question toolkit/rootfs/build.ts asks.
for last; do :; done
[ "\$last" = busybox-static ] && printf '%s' 'install ok installed $bbversion' && exit 0
exit 1
EOF
chmod 755 "$R/usr/local/bin/dpkg-query"

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$R/etc/hosts"
{
  printf 'V2_FILES=%q\n' "${FILES//,/ }"
  printf 'V2_SCALE=%q\n' "$SCALE"
  printf 'V2_TEST_TIMEOUT=%q\n' "$(( 60000 * SCALE ))"
  printf 'V2_VITEST_ARGS=%q\n' "${V2_GUEST_VITEST_ARGS:-}"
  printf 'V2_DIAG=%q\n' "${V2_GUEST_DIAG:-0}"
} > "$R/etc/v2-guest.env"
# shellcheck source=../support/guest-init.sh
. "$HERE/../support/guest-init.sh"
pack_initramfs "$R" "$HERE/init.sh" "$TMP/initrd"
rm -rf "$R"
say "initramfs: $(( $(stat -c %s "$TMP/initrd") / 1048576 )) MiB, uncompressed"

# --- boot ----------------------------------------------------------------------
say "booting (qemu -accel tcg, 2 CPUs, ${MEMORY} MiB, hard limit ${LIMIT} s)"
log=$TMP/console.log
set +e
timeout -k 5 "$LIMIT" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu "${V2_GUEST_CPU:-max}" -smp 2 -m "$MEMORY" \
  -nodefaults -nographic -serial stdio -monitor none -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$TMP/initrd" \
  -append "console=ttyS0 loglevel=3 edd=off panic=1 rdinit=/init" \
  </dev/null > >(tee "$log") 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
status=$?
qemu_pid=
set -e
sleep 0.2 # let tee drain

marker=$(tr -d '\r' < "$log" | sed -n 's/^V2-GUEST-EXIT=\([0-9]\{1,3\}\)$/\1/p' | tail -n 1)
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  say "FAILED: the VM did not finish within ${LIMIT} s"
  exit 1
fi
if [ -z "$marker" ]; then
  say "FAILED: no V2-GUEST-EXIT line (qemu exit $status): the guest crashed or never ran the tests"
  exit 1
fi
if [ "$marker" != 0 ]; then
  say "FAILED: the grading suite exited $marker inside the v2 guest"
  exit "$marker"
fi
if [ "$FILES" = none ]; then say "booted and probed, no tests run (total $(elapsed) s)"; exit 0; fi
say "passed: $FILES against the reference solutions on cgroup v2 (total $(elapsed) s)"
