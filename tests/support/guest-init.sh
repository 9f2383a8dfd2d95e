# Sourced by the busybox guests' /init (tests/v2-guest, tests/arm64) in their second stage: the
# filesystems a Linux system has before anything runs — no systemd there to mount them — and only
# cgroup v2 (nsdelegate: a cgroup namespace's root is a delegation boundary, cgroups(7)).
guest_mounts() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm /run /tmp
  mount -t devpts devpts /dev/pts
  mount -t tmpfs -o mode=1777 tmpfs /dev/shm
  mount -t tmpfs -o mode=0755 tmpfs /run
  chmod 1777 /tmp
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
}

# pack_initramfs DIR INIT OUT — DIR with INIT as its /init (and this file beside it, for INIT to
# source) as a newc cpio archive, every file owned by root, as the kernel unpacks it (initramfs).
pack_initramfs() {
  cp "$2" "$1/init"
  chmod 755 "$1/init"
  cp "${BASH_SOURCE[0]}" "$1/guest-init.sh"
  (cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) > "$3"
}
