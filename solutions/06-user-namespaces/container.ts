/**
 * Chapter 6 — user namespaces. Reference solution. Lesson: chapters/06-user-namespaces/README.md
 */
import fs from 'node:fs';
import { CLONE_NEWUSER, MS_BIND, mount } from '../../toolkit/kernel/index.ts';
import { containerDirs } from '../../toolkit/image/containers.ts';
import type { Container, IdMapping } from '../../toolkit/runtime/container.ts';
import { canWriteIdMap, containerTmpDir, idMapsFor, newIdMap, rootless, writeProcFile } from '../../toolkit/userns/index.ts';
import { shiftContainerLayers } from '../../toolkit/userns/shifted-layers.ts';

/**
 * Host side: one more namespace. With CLONE_NEWUSER among the flags the
 * runtime hands them all to nsexec, which unshares the user namespace alone
 * first and the others after, as root of it — so it owns them all.
 */
export function namespaces(_c: Container): number {
  return CLONE_NEWUSER;
}

/** Host side, while nsexec waits in its new user namespace, as nobody, for "mapped". */
export function writeIdMaps(c: Container, pid: number): void {
  writeUidMap(c, pid);
  writeGidMap(c, pid);
}

export function writeUidMap(c: Container, pid: number): void {
  const uids = idMapsFor(c, 'uid');
  if (canWriteIdMap('uid', uids)) writeProcFile(`/proc/${pid}/uid_map`, mapText(uids));
  else newIdMap('uid', pid, uids);
}

export function writeGidMap(c: Container, pid: number): void {
  const gids = idMapsFor(c, 'gid');
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

/** Given: the image's layers as chowned copies in the mapped range (toolkit/userns/shifted-layers.ts). */
export function shiftImageLayers(c: Container): void {
  shiftContainerLayers(c, idMapsFor(c, 'uid'), idMapsFor(c, 'gid'));
}

/** Host side, once the maps are written (so a map the runner may not use is refused first), before "go": what the container writes to, owned by the host IDs that are root inside. */
export function ownWritableLayer(c: Container, _pid: number): void {
  const uid = hostId(idMapsFor(c, 'uid'), 0);
  const gid = hostId(idMapsFor(c, 'gid'), 0);
  for (const dir of writableDirs(c)) fs.chownSync(dir, uid, gid);
}

/** Given: the overlay's upper/ and work/; on a plain rootfs (rootless, or --rootfs), a /tmp of the container's own, made here. */
function writableDirs(c: Container): string[] {
  if (!c.plainRootfs) return [containerDirs(c).upper, containerDirs(c).work];
  const tmp = containerTmpDir(c);
  fs.mkdirSync(tmp, { mode: 0o755 });
  return [tmp];
}

/** The host ID that `id` inside is: the kernel does this sum on every system call (make_kuid). */
export function hostId(maps: readonly IdMapping[], id: number): number {
  const m = maps.find((x) => id >= x.inside && id < x.inside + x.count);
  if (m === undefined) throw new Error(`ID ${id} is not mapped`);
  return m.outside + (id - m.inside);
}

/**
 * Given, on a plain rootfs only: the rootfs is shared and owned by host root,
 * whom the container's root is not — its own /tmp over the rootfs's, before
 * chapter 2's bindRootfs (MS_REC) brings this mount along into the new "/".
 */
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
