/**
 * Chapter 2 — namespaces.  Lesson: chapters/02-namespaces/README.md
 *
 * Give the container its own process tree, mount table, hostname and IPC
 * objects, and a root the host's cannot be reached from.
 *
 *   npm run chapter 2 -- /bin/sh -c 'echo $$; hostname; ps'
 *   npm test
 */
import {
  CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS,
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
  chdir, mount, pivotRoot, sethostname, umount2, unshare,
} from '../../toolkit/kernel/index.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/**
 * Host side, on the runner's main thread, just before the container's first
 * process is spawned: that process is born in whatever namespaces this thread
 * is in. (The runner moves its own thread back to the host's afterwards.)
 */
export function createNamespaces(_c: Container): void {
  // TODO(2.1): unshare(2) new mount, UTS, IPC and PID namespaces in one call
  // (CLONE_NEWNS | CLONE_NEWUTS | …). Then delete the line below.
  todo('2.1 unshare the mount, UTS, IPC and PID namespaces');
}

/** Runs in the container's first process — PID 1 — just before the command is exec'd. */
export function setupContainer(c: Container): void {
  // TODO(2.2): make every mount in this namespace private, recursively, so
  //            nothing you mount or unmount propagates to the host:
  //            mount(null, '/', null, MS_REC | MS_PRIVATE).
  // TODO(2.3): pivot_root(2) needs new_root to be a mount point: bind-mount
  //            c.rootfs onto itself (MS_BIND | MS_REC).
  // TODO(2.4): mount a fresh proc at `${c.rootfs}/proc` for the new PID
  //            namespace (flags MS_NOSUID | MS_NODEV | MS_NOEXEC) — before
  //            pivot_root, while the host's /proc is still in view.
  // TODO(2.5): make the rootfs "/": chdir into it, pivotRoot('.', '.'), then
  //            detach the old root that now sits on top with umount2('.', MNT_DETACH),
  //            and chdir('/').
  // TODO(2.6): set the container's hostname to c.hostname — sethostname(2).
  // Then delete the line below.
  todo('2.2–2.6 mounts, /proc, pivot_root and hostname');
}
