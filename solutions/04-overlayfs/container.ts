/**
 * Chapter 4 — overlayfs. Reference solution. Lesson: chapters/04-overlayfs/README.md
 */
import fs from 'node:fs';
import { mount } from '../../toolkit/kernel/index.ts';
import { containerDirs, imageLayers } from '../../toolkit/image/containers.ts';
import { prepareImage as pullAndCreate } from '../../toolkit/image/prepare.ts';
import { overlayExtraOptions } from '../../toolkit/image/userxattr.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
import { mountVolumes } from '../../toolkit/volumes/bind.ts';

/**
 * Given: `docker pull` + `docker create` — the image's layers unpacked once
 * into the layer store, and this container's own empty upper, work and merged.
 */
export function prepareImage(c: Container): void {
  pullAndCreate(c);
}

/** Host side, before the spawn: the container's root is the overlay's merged view, not the plain rootfs. */
export function useMergedAsRootfs(c: Container): Container {
  return { ...c, rootfs: containerDirs(c).merged };
}

/**
 * overlayfs looks a name up in lowerdir from left to right and takes the
 * first hit: the top layer goes first. The manifest lists the base first.
 */
export function lowerdir(layers: readonly string[]): string {
  return [...layers].reverse().join(':');
}

/**
 * Inside, after chapter 2 made the mounts private (so the overlay dies with
 * this mount namespace, even after a SIGKILL). Documentation/filesystems/
 * overlayfs.rst, "Multiple lower layers": upper and work on one filesystem,
 * work empty.
 */
export function mountOverlay(c: Container): void {
  const { upper, work, merged } = containerDirs(c);
  mount('overlay', merged, 'overlay', 0, `lowerdir=${lowerdir(imageLayers(c))},upperdir=${upper},workdir=${work}${overlayExtraOptions()}`);
}

/** Given: --volume — host directories bound into the new root before pivot_root, while they are still in view (toolkit/volumes/bind.ts). */
export function bindVolumes(c: Container): void {
  mountVolumes(c);
}

/** Host side, after the container has ended (also after a crash, from `npm run clean`). */
export function removeWritableLayer(c: Container): void {
  const { dir } = containerDirs(c);
  if (c.keep) {
    if (fs.existsSync(dir)) process.stderr.write(`workbook: kept the container's writable layer: ${dir}/upper (npm run clean removes it)\n`);
    return;
  }
  // Dropping the container = dropping its upper layer. The image's layers stay:
  // other containers use them. force: setup may have failed before the directories existed.
  fs.rmSync(dir, { recursive: true, force: true });
}
