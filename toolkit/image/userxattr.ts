/**
 * overlayfs keeps its own marks (opaque directories, redirects) in extended
 * attributes: trusted.overlay.* normally, which only root of the initial user
 * namespace may read or write. Mounted inside a user namespace (chapter 6),
 * overlayfs can use neither, and a lower layer's opaque directory would let
 * the layers below show through; the `userxattr` mount option (Linux 5.11+)
 * switches it to user.overlay.*, which the layer copies chapter 6 makes carry
 * (toolkit/userns/shifted-layers.ts). https://docs.kernel.org/filesystems/overlayfs.html
 */
import fs from 'node:fs';

/** Whether this process is in a user namespace other than the initial one (whose uid_map maps all 2^32 IDs to themselves). */
export function inUserNamespace(): boolean {
  return fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
}

/** The overlay mount options this process needs beyond lowerdir, upperdir and workdir: "" or ",userxattr". */
export function overlayExtraOptions(): string {
  return inUserNamespace() ? ',userxattr' : '';
}
