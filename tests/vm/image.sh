#!/usr/bin/env bash
# The learners' VM, rebuilt here from Debian's packages: a Debian 12 (bookworm) system like the
# bento/debian-12 box the Vagrantfile uses — systemd as PID 1, the 6.1 kernel (linux-image-amd64),
# sudo, a `vagrant` user with the box's sudo rule — as an ext4 disk image QEMU boots.
#
#   bash tests/vm/image.sh OUT_DIR      writes OUT_DIR/{root.img,vmlinuz,initrd.img,packages.txt}
#
# What differs from the box: the Debian packages vagrant/provision.sh would apt-get are already
# installed (its own list, read from the script: apt and dpkg under software emulation would take
# most of the test's time, and CI runs provision.sh's apt path on the host anyway), so provisioning
# in the guest finds them in place; no openssh (the test drives the VM through its serial
# console); DHCP by systemd-networkd; and one unit, workbook-vm.service, which runs the test
# (tests/vm/guest.sh from the project disk) and powers off. Node is this machine's own, laid out as
# provision.sh installs the nodejs.org tarball (/usr/local/lib/nodejs/node-vX-linux-x64, linked
# from /usr/local/bin), so that its step 2 finds it in place; xz and tar under emulation cost
# minutes. node_modules comes with the project disk (run.sh).
set -euo pipefail
OUT=${1:?usage: image.sh OUT_DIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=bookworm
mkdir -p "$OUT"
TREE=$(mktemp -d /var/tmp/workbook-vm-tree.XXXXXX)
trap 'rm -rf "$TREE"' EXIT

# What the box has that the workbook relies on (systemd, logind sessions for `vagrant ssh`, sudo,
# apt to provision with), and what a console-driven test needs. Kept short: mmdebstrap's minbase
# plus these, resolved from Debian's own packages.
PACKAGES=(
  systemd-sysv dbus libpam-systemd udev kmod linux-image-amd64 initramfs-tools
  sudo passwd procps iproute2 ca-certificates apt-utils e2fsprogs
)
# provision.sh's APT_PACKAGES (sourcing it defines them and runs nothing); "a|b": the first, as it picks.
mapfile -t PROVISIONED < <(bash -c '. "$1"; printf "%s\n" "${APT_PACKAGES[@]%%|*}"' _ "$HERE/../../vagrant/provision.sh")
[ "${#PROVISIONED[@]}" -gt 0 ] || { echo "image.sh: no APT_PACKAGES in vagrant/provision.sh" >&2; exit 1; }
PACKAGES+=("${PROVISIONED[@]}")

# This machine's Node and npm, as the nodejs.org tarball lays them out.
NODE_VERSION=$(node --version)
NODE_HOME=node-$NODE_VERSION-linux-x64
mkdir -p "$TREE/node/$NODE_HOME/bin" "$TREE/node/$NODE_HOME/lib/node_modules"
cp "$(readlink -f "$(command -v node)")" "$TREE/node/$NODE_HOME/bin/node"
cp -a "$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")" "$TREE/node/$NODE_HOME/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$TREE/node/$NODE_HOME/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$TREE/node/$NODE_HOME/bin/npx"
export TREE NODE_HOME

# The initramfs holds only what QEMU's disks need (virtio, ext4) rather than most of the kernel's
# modules (MODULES=most): a fraction of the size, made faster here and loaded faster under emulation.
# In a mount namespace of its own: mmdebstrap's root mode mounts /proc, /sys and /dev in the tree,
# and those mounts must never show in (or outlive the build in) the host's mount table.
# Point releases and security updates as the box's `apt-get upgrade` would have them.
unshare --mount --propagation private \
mmdebstrap --quiet --mode=root --variant=minbase --dpkgopt=force-unsafe-io --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"' \
  --setup-hook='echo MODULES=list > "$1/etc/initramfs-tools/conf.d/workbook-vm.conf"' \
  --setup-hook='printf "#!/bin/sh\n[ \"\$1\" = prereqs ] && exit 0\n. /usr/share/initramfs-tools/hook-functions\nmanual_add_modules virtio_pci virtio_blk ext4 crc32c_generic\n" > "$1/etc/initramfs-tools/hooks/workbook-vm" && chmod 755 "$1/etc/initramfs-tools/hooks/workbook-vm"' \
  --customize-hook='echo workbook-vm > "$1/etc/hostname"' \
  --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tworkbook-vm\n" > "$1/etc/hosts"' \
  --customize-hook='printf "/dev/vda / ext4 defaults 0 1\n/dev/vdb /workbook ext4 defaults,nofail 0 2\n" > "$1/etc/fstab"' \
  --customize-hook='mkdir -p "$1/workbook"' \
  --customize-hook='chroot "$1" useradd --create-home --shell /bin/bash --uid 1000 --user-group vagrant' \
  --customize-hook='echo "vagrant ALL=(ALL) NOPASSWD: ALL" > "$1/etc/sudoers.d/vagrant" && chmod 0440 "$1/etc/sudoers.d/vagrant"' \
  --customize-hook='printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n" > "$1/etc/systemd/network/20-wired.network"' \
  --customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
  --customize-hook='printf "nameserver 10.0.2.3\n" > "$1/etc/resolv.conf"' \
  --customize-hook='chroot "$1" passwd --lock root' \
  --customize-hook='mkdir -p "$1/usr/local/lib/nodejs" && cp -a "$TREE/node/$NODE_HOME" "$1/usr/local/lib/nodejs/"' \
  --customize-hook='for t in node npm npx; do ln -sfn "/usr/local/lib/nodejs/$NODE_HOME/bin/$t" "$1/usr/local/bin/$t"; done' \
  --customize-hook='cat > "$1/etc/systemd/system/workbook-vm.service" <<UNIT
[Unit]
Description=The workbook VM test (tests/vm/guest.sh), then power off
After=network-online.target systemd-logind.service workbook.mount
Wants=network-online.target
RequiresMountsFor=/workbook

[Service]
Type=oneshot
ExecStart=/bin/bash /workbook/tests/vm/guest.sh
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT' \
  --customize-hook='chroot "$1" systemctl enable workbook-vm.service systemd-networkd-wait-online.service' \
  "$SUITE" "$TREE/root" \
  "deb http://deb.debian.org/debian $SUITE main" \
  "deb http://deb.debian.org/debian $SUITE-updates main" \
  "deb http://deb.debian.org/debian-security $SUITE-security main"

cp "$(ls -1 "$TREE"/root/boot/vmlinuz-* | sort -V | tail -n 1)" "$OUT/vmlinuz"
cp "$(ls -1 "$TREE"/root/boot/initrd.img-* | sort -V | tail -n 1)" "$OUT/initrd.img"
chroot "$TREE/root" dpkg-query -W -f '${Package} ${Version}\n' > "$OUT/packages.txt"
# An ext4 image made from the tree without mounting anything (mke2fs -d); 6 GiB sparse, room to provision.
rm -f "$OUT/root.img.tmp"
truncate -s 6G "$OUT/root.img.tmp"
mke2fs -q -F -t ext4 -L workbook-root -d "$TREE/root" "$OUT/root.img.tmp"
mv "$OUT/root.img.tmp" "$OUT/root.img"
