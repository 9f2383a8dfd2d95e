/**
 * Chapter 6 — user namespaces. Reference solution. Lesson: chapters/06-user-namespaces/README.md
 */
import fs from 'node:fs';
import { CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, MS_BIND, MS_PRIVATE, MS_REC, mount } from '../../toolkit/kernel/index.ts';
import type { Container, IdMapping } from '../../toolkit/runtime/container.ts';
import { canWriteIdMap, containerTmpDir, idMapsFor, newIdMap, rootless, writeProcFile } from '../../toolkit/userns/index.ts';
// Chapter 2's mounts, /proc, pivot_root and hostname, from the reference solution.
import { setupContainer as setupNamespaces } from '../../solutions/02-namespaces/container.ts';

/** Host side: the flags the single-threaded stage (nsexec) unshares — the user namespace first, alone. */
export function namespacesForNsexec(_c: Container): number {
  // The other four are then created by root of the new user namespace, so it owns them.
  return CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
}

/** Host side, while nsexec waits in its new user namespace, as nobody, for "mapped". */
export function writeIdMaps(c: Container, pid: number): void {
  const uids = idMapsFor(c, 'uid');
  const gids = idMapsFor(c, 'gid');

  if (canWriteIdMap('uid', uids)) writeProcFile(`/proc/${pid}/uid_map`, mapText(uids));
  else newIdMap('uid', pid, uids);

  if (canWriteIdMap('gid', gids)) {
    // Without root, gid_map may be written only once setgroups(2) is off for good in the
    // namespace: otherwise root inside could drop a group the host uses to *deny* access
    // (a file mode like 0705 that excludes one group). user_namespaces(7), /proc/PID/setgroups.
    if (rootless()) writeProcFile(`/proc/${pid}/setgroups`, 'deny');
    writeProcFile(`/proc/${pid}/gid_map`, mapText(gids));
  } else {
    newIdMap('gid', pid, gids);
  }
}

/** The text of a uid_map or gid_map: one "INSIDE OUTSIDE COUNT" line per mapping. */
function mapText(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.inside} ${m.outside} ${m.count}\n`).join('');
}

/** Host side, once the maps are written: a /tmp of the container's own that its root can write. */
export function prepareHost(c: Container, _pid: number): void {
  const dir = containerTmpDir(c);
  fs.mkdirSync(dir, { mode: 0o755 });
  // Root inside is, out here, whatever host ID the maps turn 0 into: give it the directory.
  fs.chownSync(dir, hostId(idMapsFor(c, 'uid'), 0), hostId(idMapsFor(c, 'gid'), 0));
}

/** The host ID that `id` inside is: the kernel does this sum on every system call (make_kuid). */
function hostId(maps: readonly IdMapping[], id: number): number {
  const m = maps.find((x) => id >= x.inside && id < x.inside + x.count);
  if (m === undefined) throw new Error(`ID ${id} is not mapped`);
  return m.outside + (id - m.inside);
}

/** In the container's first process: root of its user namespace, with all capabilities — there. */
export function setupContainer(c: Container): void {
  // The container's own /tmp, over the shared rootfs's, before chapter 2's setup binds the
  // rootfs with MS_REC (which brings this mount along) and pivots into it.
  mount(null, '/', null, MS_REC | MS_PRIVATE);
  mount(containerTmpDir(c), `${c.rootfs}/tmp`, null, MS_BIND);
  setupNamespaces(c);
}

/** Host side, after the end (also after a crash: `npm run clean` and the next run call it). */
export function cleanupHost(c: Container): void {
  fs.rmSync(containerTmpDir(c), { recursive: true, force: true });
}
