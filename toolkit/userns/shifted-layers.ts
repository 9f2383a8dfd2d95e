/**
 * An image's files belong to root (uid 0) on disk; in a user namespace that
 * maps container root to host uid 100000, host uid 0 is not mapped, and every
 * file would show up as nobody (65534), read-only even to root inside. Two
 * ways to make them look owned by container root:
 *
 *   idmapped mounts   mount_setattr(2) with MOUNT_ATTR_IDMAP on a detached
 *                     open_tree(2) copy of each layer, moved in with
 *                     move_mount(2) (Linux 5.12+; overlayfs over idmapped
 *                     layers 5.19+): no copy, the kernel shifts IDs on access.
 *   chowned copies    what podman does where idmaps are missing: a copy of
 *                     each layer with every owner shifted into the mapped
 *                     range, made once per mapping and cached.
 *
 * The workbook makes chowned copies (the lesson explains both): they work on
 * every kernel the workbook runs on, and what they do is visible with ls -ln.
 *
 *   LIB_DIR/layers-shifted/<uid map>_<gid map>/sha256/<hex>/
 *
 * Search permission (--x) for others on the way down: container root, host
 * uid 100000, must reach its layers and its upper/ to mount the overlay.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lgetxattr, lsetxattr, OVERLAY_OPAQUE } from '../kernel/index.ts';
import { CONTAINERS_DIR, tempPath } from '../image/store.ts';
import { containerDirs, readContainerRecord } from '../image/containers.ts';
import { LIB_DIR } from '../paths.ts';
import type { Container, IdMapping } from '../runtime/container.ts';

export const SHIFTED_DIR = path.join(LIB_DIR, 'layers-shifted');

/** The ID that `id` (an owner on disk, as container root sees it) is on the host; unmapped IDs stay as they are (they show as nobody). */
export function shiftId(maps: readonly IdMapping[], id: number): number {
  const m = maps.find((x) => id >= x.inside && id < x.inside + x.count);
  return m === undefined ? id : m.outside + (id - m.inside);
}

/** The cache's name for a pair of maps: 0-100000-65536_0-100000-65536. */
export function mappingKey(uids: readonly IdMapping[], gids: readonly IdMapping[]): string {
  const spell = (maps: readonly IdMapping[]) => maps.map((m) => `${m.inside}-${m.outside}-${m.count}`).join(',');
  return `${spell(uids)}_${spell(gids)}`;
}

/** Every layer of the container, replaced in its container.json by a shifted copy (made if not cached). */
export function shiftContainerLayers(c: Container, uids: readonly IdMapping[], gids: readonly IdMapping[]): void {
  const { dir } = containerDirs(c);
  const record = readContainerRecord(dir);
  const layers = record.layers.map((layer) => shiftedLayer(layer, uids, gids));
  fs.writeFileSync(path.join(dir, 'container.json'), `${JSON.stringify({ ...record, layers, shiftedFrom: record.layers }, null, 2)}\n`);
  for (const d of [LIB_DIR, CONTAINERS_DIR, dir]) searchable(d);
}

function shiftedLayer(layer: string, uids: readonly IdMapping[], gids: readonly IdMapping[]): string {
  const parent = path.join(SHIFTED_DIR, mappingKey(uids, gids), path.basename(path.dirname(layer)));
  const target = path.join(parent, path.basename(layer));
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(parent, { recursive: true, mode: 0o711 });
  for (let d = parent; d.startsWith(SHIFTED_DIR); d = path.dirname(d)) searchable(d);
  // Made beside the cache and renamed into place: a crash leaves a temporary path, never a half-shifted layer.
  const tmp = tempPath('layer-shift');
  try {
    execFileSync('cp', ['-a', '--', layer, tmp]); // -a: devices (whiteouts), xattrs (opaque), modes, times
    shiftTree(tmp, uids, gids);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(target)) throw error; // another runner made the same copy meanwhile: use that
  }
  return target;
}

/** lchown(2) every entry into the mapped range; copy the opaque mark to user.overlay.opaque for the overlay a user namespace mounts. */
function shiftTree(root: string, uids: readonly IdMapping[], gids: readonly IdMapping[]): void {
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    fs.lchownSync(p, shiftId(uids, st.uid), shiftId(gids, st.gid));
    // chown(2) clears set-user-ID and set-group-ID: put the mode back (symlinks have none).
    if (!st.isSymbolicLink()) fs.chmodSync(p, st.mode & 0o7777);
    if (st.isDirectory()) {
      if (lgetxattr(p, OVERLAY_OPAQUE)?.toString() === 'y') lsetxattr(p, 'user.overlay.opaque', 'y');
      for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    }
  };
  walk(root);
}

/** o+x, keeping the rest of the mode: others may pass through, not list. */
function searchable(dir: string): void {
  const mode = fs.statSync(dir).mode & 0o7777;
  if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
}
