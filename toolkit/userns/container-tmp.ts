/**
 * The rootfs is shared by every container and owned by the host's root,
 * which is not mapped in the container: root inside may read it but not write
 * it (its files show up as 65534, nobody). So each chapter-6 container gets a
 * /tmp of its own — a host directory, owned by the host uid that is root
 * inside, bind-mounted over the rootfs's /tmp — and what the container writes
 * there appears on the host under that uid. docker's userns-remap does the
 * same on a larger scale: /var/lib/docker/100000.100000/ holds images and
 * containers chowned to the remapped root.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '../runtime/container.ts';

const PREFIX = 'workbook-userns-';

/**
 * /tmp/workbook-userns-RUNNER-ID: named after the runner that made it, like
 * every temporary path of the workbook, so `npm run clean` leaves it alone
 * while that runner lives. The child stage and a later cleanup do not know
 * the runner's PID: they find the directory by the container's ID.
 *
 * In /tmp, not os.tmpdir(): the child stage runs without the runner's TMPDIR.
 * And /tmp is searchable by anyone, as it must be: the child stage, already
 * container root (host uid 100000), resolves this path to bind-mount it.
 */
export function containerTmpDir(c: Container): string {
  const made = list('/tmp').find((name) => name.startsWith(PREFIX) && name.endsWith(`-${c.id}`));
  return path.join('/tmp', made ?? `${PREFIX}${process.pid}-${c.id}`);
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
