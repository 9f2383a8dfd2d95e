/**
 * Chapter 2 — namespaces. Reference solution. Lesson: chapters/02-namespaces/README.md
 *
 * Each step is called by the runner at its moment (toolkit/runtime/sequence.ts),
 * in this chapter and in every later one: chapter 6's container makes its
 * mounts private and pivots with these same functions.
 */
import {
  CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS,
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
  chdir, mount, pivotRoot, sethostname, umount2,
} from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** Host side: the namespaces the first process is born in; the runtime unshare(2)s them on its main thread. */
export function namespaces(_c: Container): number {
  // CLONE_NEWPID makes the child — not the caller — PID 1 of the new namespace.
  return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
}

/** The host's "/" is usually a shared mount (systemd): without this, our mounts and unmounts would propagate back to it. mount_namespaces(7). */
export function makeMountsPrivate(_c: Container): void {
  mount(null, '/', null, MS_REC | MS_PRIVATE);
}

/** pivot_root(2) wants new_root to be a mount point: bind the rootfs onto itself. */
export function bindRootfs(c: Container): void {
  mount(c.rootfs, c.rootfs, null, MS_BIND | MS_REC);
}

/**
 * A /proc for our PID namespace, so ps and /proc/self see the container's
 * processes. Mounted before pivot_root, while the host's /proc is still in
 * view: in a user namespace the kernel only allows a new proc where one is
 * already visible (see mount_namespaces(7), and chapter 6).
 */
export function mountProc(c: Container): void {
  mount('proc', `${c.rootfs}/proc`, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/**
 * pivot_root(".", ".") — from pivot_root(2) NOTES: the old root is stacked on
 * top of the new one, so no put_old directory is needed in a rootfs that
 * other containers share; unmounting "." then peels the old root off.
 */
export function pivotIntoRootfs(c: Container): void {
  chdir(c.rootfs);
  pivotRoot('.', '.');
  umount2('.', MNT_DETACH);
  chdir('/');
}

/** In the container's own UTS namespace: the host keeps its name. sethostname(2). */
export function setHostname(c: Container): void {
  sethostname(c.hostname);
}
