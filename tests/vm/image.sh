#!/usr/bin/env bash
# The learners' VM, rebuilt here from Debian's packages: a Debian 12 (bookworm) system like the
# bento/debian-12 box the Vagrantfile uses — systemd as PID 1, the 6.1 kernel (linux-image-amd64),
# sudo, a `vagrant` user with the box's sudo rule — as an ext4 disk image QEMU boots.
#
#   bash tests/vm/image.sh OUT_DIR      writes OUT_DIR/{root.img,vmlinuz,initrd.img,packages.txt}
#
# Nothing of the workbook's own is preinstalled: vagrant/provision.sh installs that inside,
# as `vagrant up` does. What differs from the box: no openssh (the test drives the VM through its
# serial console), DHCP by systemd-networkd, and one unit, workbook-vm.service, which runs the
# test (tests/vm/guest.sh from the project disk) and powers off.
set -euo pipefail
OUT=${1:?usage: image.sh OUT_DIR}
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

mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
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
  "$SUITE" "$TREE/root" http://deb.debian.org/debian

cp "$(ls -1 "$TREE"/root/boot/vmlinuz-* | sort -V | tail -n 1)" "$OUT/vmlinuz"
cp "$(ls -1 "$TREE"/root/boot/initrd.img-* | sort -V | tail -n 1)" "$OUT/initrd.img"
chroot "$TREE/root" dpkg-query -W -f '${Package} ${Version}\n' > "$OUT/packages.txt"
# An ext4 image made from the tree without mounting anything (mke2fs -d); 6 GiB sparse, room to provision.
rm -f "$OUT/root.img.tmp"
truncate -s 6G "$OUT/root.img.tmp"
mke2fs -q -F -t ext4 -L workbook-root -d "$TREE/root" "$OUT/root.img.tmp"
mv "$OUT/root.img.tmp" "$OUT/root.img"
