/**
 * mount_setattr(2) (Linux 5.12) changes the properties of a mount — and,
 * with AT_RECURSIVE, of every mount below it, in one call. The older way,
 * mount(2) with MS_BIND|MS_REMOUNT, changes one mount only: a read-only bind
 * of a directory with mounts inside it would leave those writable.
 *
 *   struct mount_attr { u64 attr_set; u64 attr_clr; u64 propagation; u64 userns_fd; }
 *
 * glibc has no wrapper: a raw syscall(2), like pivot_root.
 * https://man7.org/linux/man-pages/man2/mount_setattr.2.html
 */
import { quote } from './error.ts';
import { refuseInHostNamespace } from './guard.ts';
import { check, libc } from './libc.ts';
import { syscallNumber } from './syscall-numbers.ts';

const syscall = libc.func('long syscall(long number, ...)');
const statvfs_ = libc.func('int statvfs(const char *path, void *buf)');

/** <fcntl.h>: the current directory, for the dirfd of *at() calls. */
export const AT_FDCWD = -100;
/** <fcntl.h>: apply to the whole mount tree. */
export const AT_RECURSIVE = 0x8000;
/** <linux/mount.h> mount attributes. */
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;

const ATTR_NAMES: Record<string, number> = { MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC };
const names = (bits: number) => Object.entries(ATTR_NAMES).filter(([, b]) => (bits & b) !== 0).map(([n]) => n).join('|') || '0';

/** Sets (and clears) attributes on the mount at `path`, and with `recursive` on every mount below it. */
export function mountSetattr(path: string, attrSet: number, attrClr = 0, recursive = true): void {
  const flags = recursive ? AT_RECURSIVE : 0;
  const args = ['AT_FDCWD', quote(path), recursive ? 'AT_RECURSIVE' : '0', `{attr_set=${names(attrSet)}, attr_clr=${names(attrClr)}}`, '32'];
  refuseInHostNamespace('mnt', `mount_setattr(${args.join(', ')})`);
  const attr = Buffer.alloc(32);
  attr.writeBigUInt64LE(BigInt(attrSet), 0);
  attr.writeBigUInt64LE(BigInt(attrClr), 8);
  const result = syscall(syscallNumber('mount_setattr'), 'int', AT_FDCWD, 'const char *', path, 'unsigned int', flags, 'void *', attr, 'size_t', attr.length);
  check(Number(result), 'mount_setattr', args);
}

/**
 * The ST_* flags of the filesystem mounted at `path` (statvfs(3) f_flag):
 * they have the values of the matching MS_* mount flags. A remount in a user
 * namespace must repeat the "locked" ones (nosuid, nodev, noexec, atime).
 */
export function mountFlagsOf(path: string): number {
  const buf = Buffer.alloc(256); // struct statvfs is 112 bytes on 64-bit glibc
  check(statvfs_(path, buf), 'statvfs', [quote(path)]);
  return Number(buf.readBigUInt64LE(72)); // after f_bsize, f_frsize, 3 blkcnt, 3 filcnt, f_fsid: 9 × 8 bytes
}
