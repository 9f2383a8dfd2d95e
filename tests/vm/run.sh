#!/usr/bin/env bash
# npm run test:vm — the learners' VM, proven here (see README.md): a Debian 12 system like the
# Vagrant box, built from Debian's packages (tests/vm/image.sh, cached by its inputs), booted under
# QEMU with software emulation (no KVM here), provisioned by vagrant/provision.sh inside, then every
# chapter graded as the vagrant user with sudo (tests/vm/guest.sh).
#
# Settings (environment):
#   VM_CACHE       image and Node tarball cache         (default /var/cache/workbook-vm)
#   VM_CHAPTERS    chapter numbers to grade, e.g. "2 3"  (default: all)
#   VM_UNTOUCHED   1: also prove the untouched learner files fail (default 1)
#   VM_TIME_SCALE  the grader's time limits × N in the guest (default 6: TCG runs JS ~15× slower)
#   VM_TIMEOUT     hard limit for the VM, seconds        (default 1800)
#   VM_MEMORY      guest RAM, MiB                         (default 4096)
# Exit status: 0 when the guest reported VM-EXIT=0; 1 otherwise (a failure it reported, a crash,
# or the time limit).
set -euo pipefail

started=$(date +%s)
say() { echo "test:vm: [$(( $(date +%s) - started )) s] $*"; }
die() { echo "test:vm: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${VM_CACHE:-/var/cache/workbook-vm}
LIMIT=${VM_TIMEOUT:-1800}
MEMORY=${VM_MEMORY:-4096}

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap builds a system image)"
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || die "amd64 only (qemu-system-x86_64, this machine's Node in the guest)"

missing=()
for p in mmdebstrap qemu-system-x86 qemu-utils e2fsprogs xz-utils; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the system image, rebuilt only when image.sh changes --------------------------------------
key=$(sha256sum "$HERE/image.sh" | cut -c1-16)
BASE=$CACHE/base-$key
if [ ! -s "$BASE/root.img" ]; then
  say "building the Debian 12 image (mmdebstrap, once per change of tests/vm/image.sh)"
  rm -rf "$CACHE"/base-*
  bash "$HERE/image.sh" "$BASE.tmp" || { rm -rf "$BASE.tmp"; die "building the image failed"; }
  mv "$BASE.tmp" "$BASE"
fi
say "image: $BASE ($(grep -E '^(linux-image-[0-9][^ ]*|systemd) ' "$BASE/packages.txt" | tr '\n' ' '))"

# --- Node for the guest: provision.sh's own download path, from a loopback mirror ---------------
# Debian 12's nodejs is 18, too old, so provision.sh fetches the official tarball from
# WORKBOOK_NODE_MIRROR and checks it against SHASUMS256.txt. The guest cannot reach nodejs.org from
# here; this machine's own Node, packed the way nodejs.org packs it, is served on 127.0.0.1 instead
# (QEMU's user network shows it to the guest as 10.0.2.2).
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node --version)
NODE_MAJOR=${NODE_VERSION#v}; NODE_MAJOR=${NODE_MAJOR%%.*}
NPM_DIR=$(dirname "$(readlink -f "$(command -v npm)")")/..
MIRROR=$CACHE/node-mirror
TARBALL=node-$NODE_VERSION-linux-x64.tar.xz
if [ ! -s "$MIRROR/latest-v$NODE_MAJOR.x/$TARBALL" ]; then
  say "packing this machine's Node $NODE_VERSION as $TARBALL"
  stage=$(mktemp -d)
  top=$stage/node-$NODE_VERSION-linux-x64
  mkdir -p "$top/bin" "$top/lib/node_modules"
  cp "$NODE_BIN" "$top/bin/node"
  cp -a "$(readlink -f "$NPM_DIR")" "$top/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$top/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$top/bin/npx"
  rm -rf "$MIRROR"; mkdir -p "$MIRROR/latest-v$NODE_MAJOR.x"
  XZ_OPT="-1 -T0" tar -C "$stage" -cJf "$MIRROR/latest-v$NODE_MAJOR.x/$TARBALL" "node-$NODE_VERSION-linux-x64"  # fast: it only crosses a loopback
  (cd "$MIRROR/latest-v$NODE_MAJOR.x" && sha256sum "$TARBALL" > SHASUMS256.txt)
  rm -rf "$stage"
fi

TMP=$(mktemp -d /var/tmp/workbook-vm-run.XXXXXX)
qemu_pid= server_pid=
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -TERM "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A static file server on loopback, for as long as the VM runs; it prints its port.
node -e '
  const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
  const root = process.argv[1];
  const server = http.createServer((req, res) => {
    const file = path.join(root, path.normalize(decodeURIComponent(req.url.split("?")[0])).replace(/^(\.\.[/\\])+/, ""));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-length": fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  server.listen(0, "127.0.0.1", () => console.log(server.address().port));
' "$MIRROR" > "$TMP/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port"); [ -n "$PORT" ] || die "the Node mirror did not start"

# --- the project, on a disk of its own mounted at /workbook (the Vagrantfile's synced folder) ----
# What a checkout has (tracked and new files), not node_modules or build products: provision.sh
# runs npm ci in the guest as it does in the box.
P=$TMP/project
mkdir -p "$P"
if git -C "$PROJECT" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$PROJECT" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -C "$P" -xf -
else
  tar -C "$PROJECT" --exclude=node_modules --exclude=.git --exclude=build --exclude=.mutants -cf - . | tar -C "$P" -xf -
fi
{
  printf 'VM_NODE_MIRROR=%q\n' "http://10.0.2.2:$PORT"
  printf 'VM_NODE_MAJOR=%q\n' "$NODE_MAJOR"
  printf 'VM_TIME_SCALE=%q\n' "${VM_TIME_SCALE:-6}"
  printf 'VM_CHAPTERS=%q\n' "${VM_CHAPTERS:-}"
  printf 'VM_UNTOUCHED=%q\n' "${VM_UNTOUCHED:-1}"
} > "$P/.vm-settings"
truncate -s 3G "$TMP/project.img"
mke2fs -q -F -t ext4 -L workbook -d "$P" "$TMP/project.img"
rm -rf "$P"
qemu-img create -q -f qcow2 -F raw -b "$BASE/root.img" "$TMP/root.qcow2"

# --- boot ----------------------------------------------------------------------------------------
say "booting (qemu -accel tcg, 2 CPUs, $MEMORY MiB, hard limit $LIMIT s)"
log=$TMP/console.log
set +e
timeout -k 10 "$LIMIT" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp 2 -m "$MEMORY" \
  -nodefaults -nographic -serial stdio -monitor none -no-reboot \
  -kernel "$BASE/vmlinuz" -initrd "$BASE/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0 panic=1" \
  -drive file="$TMP/root.qcow2",if=virtio,format=qcow2 \
  -drive file="$TMP/project.img",if=virtio,format=raw \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0 \
  </dev/null > >(sed -u -e 's/\r$//' -e 's/^\[ *[0-9.]*\] [^ []*\[[0-9]*\]: //' | tee "$log" | grep --line-buffered -E '^(VM-(INFO|FACT|FAIL|CHAPTER|EXIT)|VM-LOG provision)') 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
qemu_status=$?
qemu_pid=
set -e
sleep 0.3

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
say "passed: provisioned twice, every chapter graded in the VM (total $(( $(date +%s) - started )) s)"
