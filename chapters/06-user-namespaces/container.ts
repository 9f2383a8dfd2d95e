/**
 * Chapter 6 — user namespaces.  Lesson: chapters/06-user-namespaces/README.md
 *
 * Make root in the container an unprivileged user on the host — and let an
 * ordinary user run the same container without root at all.
 *
 *   npm run chapter 6 -- id                         uid=0(root) inside
 *   npm run chapter 6 -- --memory 64m --image web --publish 18080:80 -- httpd -f -p 80
 *   npm run chapter 6 -- --explain                  every step of the whole stack, in order
 *   npm test -- 6
 *   npm run hint 6.2                                a hint for TODO 6.2 (again: the next one)
 *
 * Chapter 6's container is chapter 5's — namespaces, cgroup, image, network —
 * inside a user namespace. Node cannot create a user namespace (it has many
 * threads), so the runner starts toolkit/runtime/nsexec.c, a small
 * single-threaded C stage:
 *
 *   runner (host)                                   nsexec
 *   namespaces() of chapters 2, 5, 6 → spawn nsexec FLAGS ─▶ unshare(CLONE_NEWUSER); "userns"
 *   writeUidMap, writeGidMap(c, pid) ◀──────────────  waits, as nobody, without a uid
 *   "mapped" ──────────────────────────────────────▶ becomes 0 inside, unshares the rest, forks PID 1
 *   cgroup, network (chapters 3, 5)                   PID 1: the setup steps, execve(command)
 */
import fs from 'node:fs';
import { CLONE_NEWUSER, MS_BIND, mount } from '../../toolkit/kernel/index.ts';
import { containerDirs } from '../../toolkit/image/containers.ts';
import { todo, type Container, type IdMapping } from '../../toolkit/runtime/container.ts';
import { canWriteIdMap, containerTmpDir, idMapsFor, newIdMap, rootless, writeProcFile } from '../../toolkit/userns/index.ts';
import { shiftContainerLayers } from '../../toolkit/userns/shifted-layers.ts';

/** Host side: the clone flag this chapter adds to those of chapters 2 and 5. */
export function namespaces(_c: Container): number {
  // TODO(6.1): the container needs a user namespace of its own. (The runner sees it among
  //            the flags and hands them all to nsexec, which makes it first.)
  //            user_namespaces(7); lesson: "Who owns a namespace".
  return todo('6.1 the clone flag of a user namespace');
}

/** Host side, while nsexec waits in its new user namespace (as nobody) for "mapped". Given: the order. */
export function writeIdMaps(c: Container, pid: number): void {
  writeUidMap(c, pid);
  writeGidMap(c, pid);
}

export function writeUidMap(c: Container, pid: number): void {
  const uids = idMapsFor(c, 'uid'); // --uidmap, or the default (as root: 0-65535 → a host range; rootless: your uid → 0)
  // TODO(6.2): process pid's uid map, one write of mapText(uids) — when canWriteIdMap() says
  //            you may; otherwise the setuid helper does it for you (newIdMap(), newuidmap(1)).
  //            user_namespaces(7) "User and group ID mappings"; lesson: "Writing the maps".
  todo('6.2 write the uid map');
}

export function writeGidMap(c: Container, pid: number): void {
  const gids = idMapsFor(c, 'gid');
  // TODO(6.3): the gid map, the same way. Without root (rootless()), the kernel refuses it
  //            until setgroups(2) is off for good in that namespace: why?
  //            user_namespaces(7) "/proc/[pid]/setgroups"; lesson: "setgroups".
  todo('6.3 write setgroups and the gid map');
}

/** The text of a uid_map or gid_map. */
function mapText(maps: readonly IdMapping[]): string {
  // TODO(6.2): one "INSIDE OUTSIDE COUNT" line per mapping, each ending in "\n".
  return todo(`6.2 the text of a map (${maps.length} mapping(s))`);
}

/** Given: the image's layers as chowned copies in the mapped range (toolkit/userns/shifted-layers.ts). */
export function shiftImageLayers(c: Container): void {
  shiftContainerLayers(c, idMapsFor(c, 'uid'), idMapsFor(c, 'gid'));
}

/** Host side, once the maps are written (so a map the runner may not use is refused first), before "go": what the container writes to. */
export function ownWritableLayer(c: Container, _pid: number): void {
  const dirs = writableDirs(c);
  // TODO(6.4): these directories belong to host root, whom the container's root is not: give
  //            each to the host uid and gid that are 0 inside (hostId() below).
  //            chown(2), user_namespaces(7); lesson: "Files and owners".
  todo('6.4 give the writable layer to the host IDs of container root');
}

/** Given: the overlay's upper/ and work/; on a plain rootfs (rootless, or --rootfs), a /tmp of the container's own, made here. */
function writableDirs(c: Container): string[] {
  if (!c.plainRootfs) return [containerDirs(c).upper, containerDirs(c).work];
  const tmp = containerTmpDir(c);
  fs.mkdirSync(tmp, { mode: 0o755 });
  return [tmp];
}

/** The host ID that `id` is inside: the sum the kernel does on every system call (make_kuid). */
export function hostId(maps: readonly IdMapping[], id: number): number {
  // TODO(6.4): the mapping whose range [inside, inside + count) holds id decides; throw if none does.
  return todo(`6.4 translate ID ${id} through ${maps.length} mapping(s)`);
}

/** Given, on a plain rootfs only: its own /tmp over the shared rootfs's, before chapter 2's bindRootfs. */
export function mountOwnTmp(c: Container): void {
  mount(containerTmpDir(c), `${c.rootfs}/tmp`, null, MS_BIND);
}

/** The few device files a program expects (what runc and podman bind in, rootless). */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/**
 * Given, on an image's overlay: the kernel never opens device files on a
 * filesystem mounted inside a user namespace (it is implicitly nodev), so
 * the image's /dev/null would refuse every open. Bind mounts of the host's
 * own device files are the host's mounts, and open as on the host — what
 * rootless podman does. Before chapter 2's bindRootfs (MS_REC brings them).
 */
export function bindDevices(c: Container): void {
  for (const name of DEVICES) {
    const target = `${c.rootfs}/dev/${name}`;
    if (!fs.existsSync(`/dev/${name}`)) continue;
    if (!fs.existsSync(target)) fs.writeFileSync(target, '', { mode: 0o666 }); // a mount point: an empty file in upper/
    mount(`/dev/${name}`, target, null, MS_BIND);
  }
}

/** Host side, after the end (also after a crash: `npm run clean` and the next run call it). */
export function removeOwnTmp(c: Container): void {
  fs.rmSync(containerTmpDir(c), { recursive: true, force: true });
}
