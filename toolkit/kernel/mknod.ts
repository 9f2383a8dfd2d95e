/**
 * mknod(2) creates a filesystem node that is not an ordinary file: a device
 * file, a FIFO, a socket. overlayfs writes down a deleted file as a
 * *whiteout*: a character device with device number 0/0 in the upper layer.
 * An image's layers carry deletes as `.wh.NAME` files instead (OCI), so
 * unpacking a layer for overlayfs turns each into such a node.
 * https://man7.org/linux/man-pages/man2/mknod.2.html
 * https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
 */
import { quote } from './error.ts';
import { check, libc } from './libc.ts';

const mknod_ = libc.func('int mknod(const char *pathname, uint32_t mode, uint64_t dev)');

/** File type bits of st_mode — <sys/stat.h> (inode(7)). */
export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/**
 * A device number from its major and minor halves, as glibc's makedev(3)
 * packs them (major 12 bits + minor 20 bits, spread over a 64-bit dev_t).
 */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

/** `mode` is the file type (S_IFCHR …) or'ed with the permission bits; the device number is major/minor. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const type = { [S_IFCHR]: 'S_IFCHR', [S_IFBLK]: 'S_IFBLK', [S_IFIFO]: 'S_IFIFO' }[mode & S_IFMT] ?? `0${(mode & S_IFMT).toString(8)}`;
  const args = [quote(path), `${type}|0${(mode & 0o7777).toString(8)}`, `makedev(${major}, ${minor})`];
  check(mknod_(path, mode, makedev(major, minor)), 'mknod', args);
}

/** An overlayfs whiteout: a character device 0/0 (mode 0, as overlayfs makes its own). */
export function mknodWhiteout(path: string): void {
  mknod(path, S_IFCHR, 0, 0);
}
