/**
 * Volumes: host directories bound into the container, for data that must
 * outlive it. The container's root is an overlay whose upper layer is
 * deleted with the container (chapter 4); a volume is not part of the
 * overlay at all — its files are the host directory's own, written straight
 * through, and still there when the container and its upper layer are gone.
 *
 *   mount(HOST_DIR, ROOT/PATH, NULL, MS_BIND|MS_REC)    the directory and every mount below it
 *   mount_setattr(ROOT/PATH, AT_RECURSIVE, RDONLY)      ":ro" — for the whole tree (Linux 5.12+)
 *   mount(NULL, ROOT/PATH, NULL, MS_BIND|MS_REMOUNT|MS_RDONLY|locked flags)
 *                                                       ":ro" where mount_setattr is missing
 *
 * A bind mount's read-only flag belongs to the mount, not to the
 * filesystem: the host keeps writing the same directory, the container gets
 * EROFS. All of it happens in the container's own mount namespace, before
 * pivot_root (while the host path is still in view), so the host's mount
 * table never sees it and the mounts go when the namespace goes.
 *
 * In a user namespace (chapter 6) the files keep their host owners: host
 * root's files show as the overflow uid 65534 ("nobody") and container root
 * may read, not write, them. An idmapped mount (mount_setattr with
 * MOUNT_ATTR_IDMAP) would shift them; the workbook leaves owners as they are.
 * https://man7.org/linux/man-pages/man2/mount.2.html ("Creating a bind mount", "Remounting an existing mount")
 * https://man7.org/linux/man-pages/man7/mount_namespaces.7.html
 */
import fs from 'node:fs';
import path from 'node:path';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT, isSyscallError, mount } from '../kernel/index.ts';
import { MOUNT_ATTR_RDONLY, mountFlagsOf, mountSetattr } from '../kernel/mount-setattr.ts';
import type { Container } from '../runtime/container.ts';

/** The flags a user namespace locks on a mount it did not make (mount_namespaces(7)); MS_NOATIME 1024, MS_NODIRATIME 2048. */
const LOCKED = MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048 | MS_RELATIME;

/**
 * Binds each of c.volumes into the new root `c.rootfs` (the overlay's merged
 * directory), before pivot_root. The mount points are made in the root if
 * the image lacks them — in the overlay's upper layer, never in an image layer.
 */
export function mountVolumes(c: Pick<Container, 'rootfs' | 'volumes'>): void {
  for (const v of c.volumes ?? []) {
    const target = mountPointIn(c.rootfs, v.target);
    mount(v.source, target, null, MS_BIND | MS_REC);
    if (v.readOnly) makeReadOnly(target);
  }
}

/** ":ro" for the bind at `target` and everything mounted below it. */
export function makeReadOnly(target: string): void {
  try {
    mountSetattr(target, MOUNT_ATTR_RDONLY, 0, true);
  } catch (error) {
    if (!isSyscallError(error, 'ENOSYS')) throw error;
    // Before Linux 5.12: a read-only remount of the bind itself (submounts stay as they were).
    mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | (mountFlagsOf(target) & LOCKED));
  }
}

/**
 * ROOT/PATH, resolved the way the container will see it: a symlink in the
 * image is followed *inside* the root (an absolute link target starts at the
 * root, ".." stops there), so a link such as /data -> /etc in an image cannot
 * make the runtime mount over the host's /etc. Missing directories are made.
 */
export function mountPointIn(root: string, inside: string): string {
  const todo = inside.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = path.join(root, ...done, part);
    const st = fs.lstatSync(here, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      if (++links > 40) throw new Error(`volume ${inside}: too many symlinks in the image (ELOOP)`);
      const link = fs.readlinkSync(here);
      if (link.startsWith('/')) done.length = 0;
      todo.unshift(...link.split('/').filter(Boolean));
      continue;
    }
    if (!st) fs.mkdirSync(here, { mode: 0o755 });
    else if (!st.isDirectory()) throw new Error(`volume ${inside}: ${path.posix.join('/', ...done, part)} is not a directory in the image`);
    done.push(part);
  }
  return path.join(root, ...done);
}
