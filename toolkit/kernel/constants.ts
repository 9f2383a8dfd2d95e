/**
 * Named kernel constants. koffi gives us functions but no headers, so every
 * number the toolkit passes to the kernel is written here once, with the
 * header it comes from (crun keeps the same kind of table for the same reason).
 */

/** Namespace flags for clone(2), unshare(2) and setns(2) — <linux/sched.h>. */
export const CLONE_NEWTIME = 0x00000080;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** mount(2) flags — <linux/mount.h>. */
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;

/** umount2(2) flags — <sys/mount.h>. */
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

/** prctl(2) options — <linux/prctl.h>. */
export const PR_SET_PDEATHSIG = 1;

/** fcntl(2) commands and flags — <asm-generic/fcntl.h>. */
export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;

/** Signals used by name — <asm-generic/signal.h> (same numbers on x86_64 and arm64). */
export const SIGKILL = 9;

/** A table of flag names, used to print flags the way strace does: MS_BIND|MS_REC. */
export type FlagTable = Readonly<Record<string, number>>;

export const CLONE_FLAGS: FlagTable = {
  CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS,
  CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

export const MOUNT_FLAGS: FlagTable = {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC,
  MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_RELATIME, MS_STRICTATIME,
};

export const UMOUNT_FLAGS: FlagTable = { MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW };

/**
 * Spell a flag word as names joined by "|". Bits without a name are kept as
 * hex so nothing is hidden; zero prints as "0".
 */
export function flagNames(value: number, table: FlagTable): string {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length > 0 ? names.join('|') : '0';
}
