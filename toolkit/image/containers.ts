/**
 * A container's own directories, next to the shared layers: overlayfs needs
 * three per container (Docker's overlay2 keeps the same three, as diff/,
 * work/ and merged/ under /var/lib/docker/overlay2/<id>/):
 *
 *   upper/    the container's writable layer: every file it creates, changes
 *             (a copy-up of the lower file) or deletes (a whiteout)
 *   work/     overlayfs's scratch space, on the same filesystem as upper/, so
 *             a copy-up can be prepared there and renamed into upper/ at once
 *   merged/   the mount point: lower layers + upper, as one tree — the root
 *
 * container.json notes which image and layers the container was made from,
 * so the container's first process mounts exactly the layers the host
 * prepared (and you can look them up after a --keep).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '../runtime/container.ts';
import { CONTAINERS_DIR } from './store.ts';

export interface ContainerDirs {
  /** containers/<id>: holds the three below and container.json. */
  dir: string;
  upper: string;
  work: string;
  merged: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  manifest: string;
  /** Layer directories in the manifest's order: base first, top last. */
  layers: string[];
}

/** Where container `c`'s directories are (whether or not they exist). */
export function containerDirs(c: Pick<Container, 'id'>): ContainerDirs {
  const dir = path.join(CONTAINERS_DIR, c.id);
  return { dir, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), merged: path.join(dir, 'merged') };
}

/** The image's layer directories for container `c`, base first — as the manifest lists them. */
export function imageLayers(c: Pick<Container, 'id'>): string[] {
  return readContainerRecord(containerDirs(c).dir).layers;
}

export function readContainerRecord(dir: string): ContainerRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, 'container.json'), 'utf8')) as ContainerRecord;
}

/** Creates the empty upper, work and merged directories and container.json. */
export function createContainerDirs(record: ContainerRecord): ContainerDirs {
  const dirs = containerDirs(record);
  fs.mkdirSync(CONTAINERS_DIR, { recursive: true, mode: 0o700 });
  fs.mkdirSync(dirs.dir, { mode: 0o700 });
  // upper/ becomes the container's "/" on top of the layers, so it has the mode of a root directory.
  for (const d of [dirs.upper, dirs.work, dirs.merged]) {
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o755); // not left to the umask
  }
  fs.writeFileSync(path.join(dirs.dir, 'container.json'), `${JSON.stringify(record, null, 2)}\n`);
  return dirs;
}
