/**
 * Chapter 2 — namespaces. Reference solution. Lesson: chapters/02-namespaces/README.md
 */
import {
  CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS,
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
  chdir, mount, pivotRoot, sethostname, umount2, unshare,
} from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** Host side, on the runner's main thread, just before the container's first process is spawned. */
export function createNamespaces(_c: Container): void {
  // The child will be born in all four; CLONE_NEWPID makes it PID 1 of the new one.
  unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);
}

/** Runs in the container's first process (PID 1), just before the command is exec'd. */
export function setupContainer(c: Container): void {
  // The host's "/" is usually a shared mount (systemd): without this, our
  // mounts and unmounts would propagate back to it. See mount_namespaces(7).
  mount(null, '/', null, MS_REC | MS_PRIVATE);

  // pivot_root(2) wants new_root to be a mount point: bind the rootfs onto itself.
  mount(c.rootfs, c.rootfs, null, MS_BIND | MS_REC);

  // A /proc for our PID namespace, so ps and /proc/self see the container's
  // processes. Mounted before pivot_root, while the host's /proc is still in
  // view: in a user namespace the kernel only allows a new proc where one is
  // already visible (see mount_namespaces(7), and chapter 6).
  mount('proc', `${c.rootfs}/proc`, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);

  // pivot_root(".", ".") — from pivot_root(2) NOTES: the old root is stacked on
  // top of the new one, so no put_old directory is needed in a rootfs that
  // other containers share; unmounting "." then peels the old root off.
  chdir(c.rootfs);
  pivotRoot('.', '.');
  umount2('.', MNT_DETACH);
  chdir('/');

  sethostname(c.hostname);
}
