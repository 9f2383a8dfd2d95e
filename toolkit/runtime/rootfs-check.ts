/**
 * Which directories may serve as a container's root filesystem. The runner
 * mounts under the rootfs, and after the run detaches what leaked there
 * (leaks.ts): pointed at "/" or /dev, that would be the host's own tree. So a
 * rootfs that is the host's root, a parent of the project or of the
 * workbook's own folders, or a system directory is refused before anything
 * starts, with one line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LIB_DIR, PROJECT, RUN_DIR } from '../paths.ts';
import { UsageError } from './errors.ts';

/** The host's own directories: never a rootfs themselves. */
const SYSTEM = ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib', '/var/tmp'];
/** Kernel filesystems: nothing at or below them is a rootfs. */
const PSEUDO = ['/proc', '/sys', '/dev', '/run'];

function within(dir: string, parent: string): boolean {
  return dir === parent || parent === '/' || dir.startsWith(`${parent}/`);
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Throws a UsageError (one line) if `rootfs` is not a directory a container may have as its root. */
export function refuseHostRootfs(rootfs: string): void {
  const dir = real(rootfs);
  const no = (why: string) => new UsageError(`--rootfs ${rootfs}: refused, ${why}; give a directory of its own (such as one made by npm run rootfs)`);
  if (dir === '/' || dir === real('/proc/self/root')) throw no('it is the host\'s root directory');
  const pseudo = PSEUDO.find((p) => within(dir, p));
  if (pseudo !== undefined) throw no(`it is in ${pseudo}, a filesystem of the host's kernel and services`);
  if (SYSTEM.includes(dir)) throw no(`${dir} is a system directory of the host`);
  for (const [what, ours] of [['the project', PROJECT], ['the workbook\'s folder', LIB_DIR], ['the workbook\'s run folder', RUN_DIR]] as const) {
    const o = real(ours);
    if (o !== dir && within(o, dir)) throw no(`it holds ${what} (${o})`);
  }
}
