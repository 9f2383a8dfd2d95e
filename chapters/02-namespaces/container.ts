/**
 * Chapter 2 — namespaces.  Lesson: chapters/02-namespaces/README.md
 *
 * Give the container its own process tree, mount table, hostname and IPC
 * objects, and a root the host's cannot be reached from.
 *
 *   npm run chapter 2 -- /bin/sh -c 'echo $$; hostname; ps'
 *   npm run chapter 2 -- --explain          the order in which the runner calls these steps
 *   npm test -- 2
 *   npm run hint 2.3                        a hint for TODO 2.3 (again: the next one)
 *
 * Each function is one step; the runner calls them in order (toolkit/runtime/sequence.ts),
 * and every later chapter's container calls them too.
 */
import {
  CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS,
  MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
  chdir, mount, pivotRoot, sethostname, umount2,
} from '../../toolkit/kernel/index.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/**
 * Host side, before the first process is spawned: the namespaces it is born
 * in. The runner unshare(2)s what you return on its main thread, spawns, and
 * moves its own thread back to the host's.
 */
export function namespaces(_c: Container): number {
  // TODO(2.1): the container gets its own mount table, hostname, IPC objects and process
  //            tree. Return the clone flags for those four namespaces.
  //            namespaces(7), unshare(2); lesson: "Four namespaces".
  return todo('2.1 the clone flags of the mount, UTS, IPC and PID namespaces');
}

/** Inside, in the container's first process (PID 1), from here on. */
export function makeMountsPrivate(_c: Container): void {
  // TODO(2.2): nothing mounted or unmounted in this namespace may reach the host's mount
  //            table, whatever propagation the host's "/" has (shared, on systemd).
  //            mount_namespaces(7) "Shared subtrees"; lesson: "Mount propagation".
  todo('2.2 make every mount in this namespace private');
}

export function bindRootfs(c: Container): void {
  // TODO(2.3): pivot_root(2) needs new_root to be a mount point; c.rootfs is just a directory.
  //            mount(2) "Creating a bind mount"; lesson: "pivot_root".
  todo('2.3 make c.rootfs a mount point');
}

export function mountProc(c: Container): void {
  // TODO(2.4): ps and /proc/self must show the new PID namespace: a fresh proc filesystem
  //            inside the rootfs, mounted while the host's /proc is still in view.
  //            proc(5), pid_namespaces(7) "/proc and PID namespaces"; lesson: "/proc".
  todo('2.4 mount a proc filesystem for the new PID namespace');
}

export function pivotIntoRootfs(c: Container): void {
  // TODO(2.5): make c.rootfs the root of this mount namespace and take the host's old root
  //            away entirely, so no path leads back to it.
  //            pivot_root(2) NOTES ("pivot_root(".", ".")"), umount2(2); lesson: "pivot_root".
  todo('2.5 pivot into c.rootfs and detach the old root');
}

export function setHostname(c: Container): void {
  // TODO(2.6): the container has its own UTS namespace: give it the name c.hostname.
  //            sethostname(2), uts_namespaces(7); lesson: "UTS".
  todo('2.6 set the hostname');
}
