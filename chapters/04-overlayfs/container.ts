/**
 * Chapter 4 — overlayfs.  Lesson: chapters/04-overlayfs/README.md
 *
 * Run a container from an image: the image's read-only layers stacked by
 * overlayfs, with an empty writable layer of the container's own on top.
 *
 *   npm run chapter 4 -- /bin/sh -c 'cat /etc/motd; ls /etc'
 *   npm run chapter 4 -- --image web --memory 64m -- cat /var/www/index.html
 *   npm test -- 4
 *   npm run hint 4.2                        a hint for TODO 4.2 (again: the next one)
 *
 * Chapter 4's container is chapter 3's (namespaces, cgroup) with an image as
 * its root: chapters 2 and 3 come from solutions/ (--mine: yours). See the
 * order with `npm run chapter 4 -- --explain`.
 */
import fs from 'node:fs';
import { mount } from '../../toolkit/kernel/index.ts';
import { containerDirs, imageLayers } from '../../toolkit/image/containers.ts';
import { prepareImage as pullAndCreate } from '../../toolkit/image/prepare.ts';
import { overlayExtraOptions } from '../../toolkit/image/userxattr.ts';
import { mountVolumes } from '../../toolkit/volumes/bind.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/**
 * Given: `docker pull` + `docker create` — the image's layers unpacked once
 * into the layer store, and this container's own empty upper, work and merged.
 */
export function prepareImage(c: Container): void {
  pullAndCreate(c);
}

/** Host side, before the spawn: which directory the container's root will be. */
export function useMergedAsRootfs(c: Container): Container {
  // TODO(4.3): the container's root filesystem is the overlay's merged view, not the plain
  //            rootfs: return a Container whose rootfs is containerDirs(c).merged (the
  //            Container is a value: make a new one). Lesson: "The merged view is the root".
  return todo('4.3 make the merged view the container\'s root');
}

/** The lowerdir= option from the image's layer directories, which come base first. */
export function lowerdir(layers: readonly string[]): string {
  // TODO(4.1): overlayfs takes a ':'-separated list and looks a name up from left to
  //            right. Which layer must win? Documentation/filesystems/overlayfs.rst
  //            "Multiple lower layers"; lesson: "Layers, top first".
  return todo(`4.1 the lowerdir list of ${layers.length} layer(s)`);
}

/** Inside, after chapter 2 made the mounts private: the overlay dies with this mount namespace. */
export function mountOverlay(c: Container): void {
  const { upper, work, merged } = containerDirs(c);
  const layers = imageLayers(c); // the image's layer directories, base first
  // TODO(4.2): mount an overlay on merged: the layers read-only below, upper on top, work
  //            as its scratch space; and overlayExtraOptions() appended to the options
  //            (",userxattr" inside a user namespace, chapter 6). mount(2),
  //            overlayfs.rst "Upper and Lower"; lesson: "Mounting the overlay".
  todo('4.2 mount the overlay on merged');
}

/** Given: --volume — host directories bound into the new root before pivot_root, while they are still in view (toolkit/volumes/bind.ts). */
export function bindVolumes(c: Container): void {
  mountVolumes(c);
}

/** Host side, after the container has ended (also after a crash, from `npm run clean`). */
export function removeWritableLayer(c: Container): void {
  // TODO(4.4): removing a container drops its writable layer: unless c.keep, remove
  //            containerDirs(c).dir (upper, work, merged) — it may not exist. Never the
  //            image's layers: other containers use them. Lesson: "Removing a container".
  // Then delete the line below. (It reports instead of throwing like todo(): a
  // cleanup that throws is kept and retried by every later run.)
  if (fs.existsSync(containerDirs(c).dir)) process.stderr.write(`workbook: not done yet: 4.4 remove ${containerDirs(c).dir} (npm run clean removes it meanwhile)\n`);
}
