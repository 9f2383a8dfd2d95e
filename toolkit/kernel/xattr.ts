/**
 * Extended attributes: name=value pairs attached to an inode, beside its
 * contents (xattr(7)). overlayfs keeps its own notes in the "trusted."
 * namespace, which only CAP_SYS_ADMIN may read or write. The one the workbook
 * needs: trusted.overlay.opaque = "y" on a directory of a layer hides
 * everything below it in lower layers (an *opaque directory*).
 * https://man7.org/linux/man-pages/man2/setxattr.2.html
 * https://man7.org/linux/man-pages/man2/getxattr.2.html
 * https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
 *
 * The l- variants act on a symbolic link itself, never on what it points to:
 * code that unpacks untrusted layers must not follow links.
 */
import { errnoNumber } from './errno.ts';
import { quote } from './error.ts';
import { check, libc } from './libc.ts';
import koffi from './koffi.ts';

const lsetxattr_ = libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)');
const lgetxattr_ = libc.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)');

/** setxattr(2) flags — <sys/xattr.h>: fail if it exists / fail unless it exists (0: either). */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** The attribute overlayfs reads to treat a directory as opaque. */
export const OVERLAY_OPAQUE = 'trusted.overlay.opaque';

export function lsetxattr(path: string, name: string, value: string | Buffer, flags = 0): void {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  check(lsetxattr_(path, name, bytes, bytes.length, flags), 'lsetxattr', [quote(path), quote(name), quote(bytes.toString()), String(flags)]);
}

/** The attribute's value, or null if the inode has no such attribute (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | null {
  const buffer = Buffer.alloc(4096);
  const size = Number(lgetxattr_(path, name, buffer, buffer.length));
  if (size === -1 && koffi.errno() === errnoNumber('ENODATA')) return null;
  check(size, 'lgetxattr', [quote(path), quote(name)]);
  return buffer.subarray(0, size);
}
