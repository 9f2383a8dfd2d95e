/**
 * `--volume HOST_DIR:CONTAINER_PATH[:ro|:rw]`, checked before anything is
 * created. A volume hands a host directory to the container, so some are
 * refused outright: the ones that would hand it the host itself.
 *
 *   /  /proc  /sys  /dev  /boot        the host's root, its kernel interfaces, its boot files
 *   the workbook's state and project   rootfs, layers, other containers' upper dirs, state files,
 *                                      and the code that runs as root — or any folder holding them
 *
 * The host path is resolved (realpath(3)) first, so a symlink to /proc is
 * refused as /proc.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_DIR, LIB_DIR, PROJECT, RUN_DIR } from '../paths.ts';
import type { Volume } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';

/** Host trees a volume may not be, or lie in. */
export const HOST_TREES = ['/proc', '/sys', '/dev', '/boot'];

/** The workbook's own places: a volume may be neither in them nor above them. */
export function workbookPlaces(): string[] {
  return [...new Set([LIB_DIR, RUN_DIR, PROJECT, CACHE_DIR, '/var/lib/workbook', '/run/workbook'].map((p) => path.resolve(p)))];
}

const within = (p: string, tree: string) => p === tree || p.startsWith(`${tree}/`);

/** Why `real` (a resolved host path) may not be a volume, or null if it may. */
export function refusedHostPath(real: string): string | null {
  if (real === '/') return "it is the host's root";
  const tree = HOST_TREES.find((t) => within(real, t));
  if (tree) return `it is in ${tree}, the host's ${{ '/proc': 'processes and kernel settings', '/sys': 'kernel and devices', '/dev': 'devices', '/boot': 'boot files' }[tree]}`;
  for (const place of workbookPlaces()) {
    if (within(real, place)) return `it is in the workbook's own ${place}`;
    if (within(place, real)) return `it holds the workbook's own ${place}`;
  }
  return null;
}

export function parseVolume(text: string): Volume {
  const usage = `Expected --volume to be HOST_DIR:CONTAINER_PATH or HOST_DIR:CONTAINER_PATH:ro, both absolute, such as /srv/data:/data:ro, got ${JSON.stringify(text)}`;
  const [source, target, mode, ...rest] = text.split(':');
  if (rest.length > 0 || !source || !target || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) throw new UsageError(usage);
  if (!path.isAbsolute(source) || !path.posix.isAbsolute(target) || text.includes('\0')) throw new UsageError(usage);
  const inside = path.posix.normalize(target).replace(/(.)\/$/, '$1');
  if (inside === '/') throw new UsageError(`--volume ${text} is refused: a volume cannot be the container's root (the image is)`);

  let real: string;
  try {
    real = fs.realpathSync(source);
  } catch {
    throw new UsageError(`--volume ${text} is refused: ${source} does not exist on the host (create the directory first)`);
  }
  if (!fs.statSync(real).isDirectory()) throw new UsageError(`--volume ${text} is refused: ${source} is not a directory`);
  const why = refusedHostPath(real);
  if (why) throw new UsageError(`--volume ${text} is refused: ${real === source ? source : `${source} (${real})`} would expose the host — ${why}`);
  return { source: real, target: inside, readOnly: mode === 'ro' };
}

/** Each container path once: a second volume there would hide the first. */
export function checkVolumeTargets(volumes: readonly Volume[]): void {
  const seen = new Set<string>();
  for (const v of volumes) {
    if (seen.has(v.target)) throw new UsageError(`--volume: two volumes at ${v.target} in the container`);
    seen.add(v.target);
  }
}
