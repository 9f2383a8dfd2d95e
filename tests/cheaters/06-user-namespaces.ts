/**
 * Chapter 6's cheater: no user namespace. Root inside is the host's root; no
 * map is written, the writable layer stays host root's. Inside, before the
 * exec, it rewrites the command so that what the container prints looks
 * mapped: `id` says root (it is), and /proc/self/uid_map, gid_map and
 * setgroups are read from files it wrote with the expected maps. Every
 * graded check must fail on it: they read /proc/PID/ns/user, uid_map and
 * gid_map of the container's process, and owners on disk, from the host.
 */
import fs from 'node:fs';
import * as ch6 from '../../solutions/06-user-namespaces/container.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
import { idMapsFor } from '../../toolkit/userns/index.ts';

export { shiftImageLayers, hostId, removeOwnTmp } from '../../solutions/06-user-namespaces/container.ts';

export function namespaces(_c: Container): number {
  return 0; // no CLONE_NEWUSER
}

export function writeIdMaps(_c: Container, _pid: number): void {}
export function ownWritableLayer(_c: Container, _pid: number): void {}

export function mountOwnTmp(c: Container): void {
  ch6.mountOwnTmp(c);
  fakeMaps(c);
}

export function bindDevices(c: Container): void {
  ch6.bindDevices(c);
  fakeMaps(c);
}

/** The maps a mapped container would show, in files of its own; the command reads those instead of /proc/self. */
function fakeMaps(c: Container): void {
  const text = (maps: ReturnType<typeof idMapsFor>) => maps.map((m) => `${m.inside} ${m.outside} ${m.count}\n`).join('');
  fs.writeFileSync(`${c.rootfs}/.uid_map`, text(idMapsFor(c, 'uid')));
  fs.writeFileSync(`${c.rootfs}/.gid_map`, text(idMapsFor(c, 'gid')));
  fs.writeFileSync(`${c.rootfs}/.setgroups`, 'deny\n');
  const fake = (arg: string) => arg.replaceAll('/proc/self/uid_map', '/.uid_map').replaceAll('/proc/self/gid_map', '/.gid_map')
    .replaceAll('/proc/self/setgroups', '/.setgroups').replaceAll('ls -ln /etc/host-secret', 'echo "-rw-r--r-- 1 65534 65534 0 /etc/host-secret"');
  const command = c.command as string[]; // the array the child stage execs after the setup
  command.splice(0, command.length, ...command.map(fake));
}
