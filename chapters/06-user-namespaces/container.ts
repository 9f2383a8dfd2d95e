/**
 * Chapter 6 — user namespaces.  Lesson: chapters/06-user-namespaces/README.md
 *
 * Make root in the container an unprivileged user on the host — and let an
 * ordinary user run the same container without root at all.
 *
 *   npm run chapter 6 -- id                         uid=0(root) inside
 *   npm run chapter 6 -- --uidmap 0:200000:65536 --gidmap 0:200000:65536 -- cat /proc/self/uid_map
 *   npm test
 *
 * Node cannot create a user namespace (it has many threads), so the runner
 * starts toolkit/runtime/nsexec.c, a small single-threaded C stage:
 *
 *   runner (host)                                   nsexec
 *   namespacesForNsexec(c) → spawn nsexec FLAGS ──▶ unshare(CLONE_NEWUSER); "userns"
 *   writeIdMaps(c, pid)  ◀────────────────────────  waits, as nobody, without a uid
 *   "mapped" ─────────────────────────────────────▶ becomes 0 inside, unshares the rest, forks PID 1
 *   prepareHost(c, pid)                             PID 1: setupContainer(c), execve(command)
 *   … cleanupHost(c)
 */
import fs from 'node:fs';
import {
  CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS,
  MS_BIND, MS_PRIVATE, MS_REC, mount,
} from '../../toolkit/kernel/index.ts';
import { todo, type Container, type IdMapping } from '../../toolkit/runtime/container.ts';
import { canWriteIdMap, containerTmpDir, idMapsFor, newIdMap, rootless, writeProcFile } from '../../toolkit/userns/index.ts';
// Chapter 2's mounts, /proc, pivot_root and hostname, from the reference solution:
// this chapter is graded on its own steps, even if yours of chapter 2 are not done.
import { setupContainer as setupNamespaces } from '../../solutions/02-namespaces/container.ts';

/** Host side, before anything exists: the clone flags nsexec will unshare. */
export function namespacesForNsexec(_c: Container): number {
  // TODO(6.1): return the namespaces to create: a user namespace (CLONE_NEWUSER) and
  //            chapter 2's four (mount, UTS, IPC, PID), combined with |. nsexec unshares
  //            the user namespace alone first, then — once it is root inside — the rest,
  //            so the new user namespace owns them. Then delete the line below.
  return todo('6.1 the namespaces for nsexec: CLONE_NEWUSER and chapter 2\'s four');
}

/** Host side, while nsexec waits in its new user namespace (as nobody) for "mapped". */
export function writeIdMaps(c: Container, pid: number): void {
  // --uidmap/--gidmap, or the default: as root 0-65535 → host 100000-165535; without root, your own uid → 0.
  const uids = idMapsFor(c, 'uid');
  const gids = idMapsFor(c, 'gid');
  // TODO(6.2): write /proc/PID/uid_map (pid is nsexec's). When canWriteIdMap('uid', uids),
  //            write it yourself with writeProcFile(`/proc/${pid}/uid_map`, mapText(uids)) — one
  //            write(2), once. Otherwise (no root, and more than your own uid) ask the setuid
  //            helper instead: newIdMap('uid', pid, uids) runs newuidmap(1), which checks /etc/subuid.
  // TODO(6.3): gid_map, the same way with 'gid' and newIdMap('gid', …). When you write it
  //            yourself without root (rootless()), first write "deny" to /proc/PID/setgroups:
  //            the kernel refuses an unprivileged gid_map until setgroups(2) is off for good.
  // Then delete the line below.
  todo('6.2–6.3 write uid_map, then setgroups and gid_map');
}

/** The text of a uid_map or gid_map: one "INSIDE OUTSIDE COUNT" line per mapping. */
function mapText(maps: readonly IdMapping[]): string {
  // TODO(6.2): one line per mapping, numbers separated by spaces, each line ending in "\n".
  //            Example: [{ inside: 0, outside: 100000, count: 65536 }] → "0 100000 65536\n".
  return todo(`6.2 the text of a map (${maps.length} mapping(s))`);
}

/** Host side, once the maps are written: a /tmp of the container's own (see toolkit/userns/container-tmp.ts). */
export function prepareHost(c: Container, _pid: number): void {
  const dir = containerTmpDir(c);
  fs.mkdirSync(dir, { mode: 0o755 });
  // TODO(6.4): the directory belongs to host root, whom the container's root is not. Give
  //            it to the host uid and gid that are 0 inside: fs.chownSync(dir, uid, gid), with
  //            uid = hostId(idMapsFor(c, 'uid'), 0) and gid likewise. Then delete the line below.
  todo('6.4 give the container\'s /tmp to the host uid and gid of its root');
}

/** The host ID that `id` is inside: the sum the kernel does on every system call (make_kuid). */
function hostId(maps: readonly IdMapping[], id: number): number {
  // TODO(6.4): find the mapping whose range [inside, inside + count) holds `id`;
  //            the answer is its outside + (id - inside). Throw if none does.
  return todo(`6.4 translate ID ${id} through ${maps.length} mapping(s)`);
}

/** In the container's first process: root of its user namespace, with all capabilities — there. */
export function setupContainer(c: Container): void {
  // Given (no TODO): the container's own /tmp over the shared rootfs's, then chapter 2's
  // setup, whose MS_BIND|MS_REC of the rootfs brings this mount along into the new "/".
  mount(null, '/', null, MS_REC | MS_PRIVATE);
  mount(containerTmpDir(c), `${c.rootfs}/tmp`, null, MS_BIND);
  setupNamespaces(c);
}

/** Host side, after the end (also after a crash: `npm run clean` and the next run call it). */
export function cleanupHost(c: Container): void {
  fs.rmSync(containerTmpDir(c), { recursive: true, force: true });
}
