/**
 * The same delete, written down two ways. In an OCI layer (a tar, which
 * cannot hold "nothing"), a deleted file is an empty file with a marker name;
 * in an overlayfs layer it is a special inode:
 *
 *   OCI layer (tar)               overlayfs lower/upper directory
 *   ─────────────────────         ──────────────────────────────────────────
 *   etc/.wh.profile               etc/profile: character device 0/0   (whiteout)
 *   var/www/.wh..wh..opq          var/www: xattr trusted.overlay.opaque="y"
 *                                 (opaque: nothing below this layer shows through)
 *
 * Docker's overlay2 driver makes the same conversion when it unpacks a layer.
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 * https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
 */
import fs from 'node:fs';
import path from 'node:path';
import { mknodWhiteout } from '../kernel/mknod.ts';
import { OVERLAY_OPAQUE, lsetxattr } from '../kernel/xattr.ts';
import { WHITEOUT_PREFIX, type Whiteouts } from './confine.ts';

/** Converts, in the freshly extracted layer at `dir`, the whiteouts confine.ts found. */
export function applyWhiteouts(dir: string, whiteouts: Whiteouts): void {
  const parents = [...whiteouts.files, ...whiteouts.opaque, ...whiteouts.ignored].map((name) => path.dirname(path.join(dir, name)));
  const times = new Map(parents.map((p) => [p, fs.lstatSync(p)]));
  for (const name of whiteouts.files) {
    const marker = path.join(dir, name);
    const { atime, mtime } = fs.lstatSync(marker);
    const whiteout = path.join(path.dirname(marker), path.basename(marker).slice(WHITEOUT_PREFIX.length));
    fs.unlinkSync(marker);
    mknodWhiteout(whiteout);
    fs.utimesSync(whiteout, atime, mtime); // the marker's time, as the tar recorded it
  }
  for (const name of whiteouts.opaque) {
    const marker = path.join(dir, name);
    fs.unlinkSync(marker);
    lsetxattr(path.dirname(marker), OVERLAY_OPAQUE, 'y');
  }
  for (const name of whiteouts.ignored) fs.unlinkSync(path.join(dir, name));
  // Keep the directories' timestamps as the tar recorded them, not the time of this conversion.
  for (const [parent, st] of times) fs.utimesSync(parent, st.atime, st.mtime);
}
