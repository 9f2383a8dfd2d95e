/**
 * Chapter 4 — overlayfs. Reference solution. Lesson: chapters/04-overlayfs/README.md
 */
import fs from 'node:fs';
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import { MS_PRIVATE, MS_REC, mount } from '../../toolkit/kernel/index.ts';
import { containerDirs, imageLayers } from '../../toolkit/image/containers.ts';
import { prepareImage } from '../../toolkit/image/prepare.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
import { mountVolumes } from '../../toolkit/volumes/bind.ts';

/** Host side, on the runner's main thread, before the container's first process is spawned. */
export function createNamespaces(c: Container): void {
  // Given: `docker pull` + `docker create` — the image's layers unpacked once
  // into the layer store, and this container's own empty upper, work and merged.
  prepareImage(c);
  ch2.createNamespaces(c);
}

/** Runs in the container's first process (PID 1), before the command is exec'd. */
export function setupContainer(c: Container): void {
  const layers = imageLayers(c); // base first, as the manifest lists them
  const { upper, work, merged } = containerDirs(c);

  // Given (chapter 2.2): nothing mounted from here on propagates to the host,
  // and the overlay dies with this mount namespace — even after a SIGKILL.
  mount(null, '/', null, MS_REC | MS_PRIVATE);

  // overlayfs looks a name up in lowerdir from left to right and takes the
  // first hit: the top layer goes first. The manifest lists the base first.
  const lowerdir = [...layers].reverse().join(':');

  // See Documentation/filesystems/overlayfs.rst, "Multiple lower layers".
  // upper and work must be on the same filesystem; work must be empty.
  mount('overlay', merged, 'overlay', 0, `lowerdir=${lowerdir},upperdir=${upper},workdir=${work}`);

  // --volume: host directories bound into the new root before pivot_root, while they are still in view.
  mountVolumes({ ...c, rootfs: merged });

  // From here on it is chapter 2 with the merged view as the root filesystem.
  ch2.setupContainer({ ...c, rootfs: merged });
}

/** Host side, after the container has ended (also after a crash, from `npm run clean`). */
export function cleanupHost(c: Container): void {
  const { dir } = containerDirs(c);
  if (c.keep) {
    if (fs.existsSync(dir)) process.stderr.write(`workbook: kept the container's writable layer: ${dir}/upper (npm run clean removes it)\n`);
    return;
  }
  // Dropping the container = dropping its upper layer. The image's layers stay:
  // other containers use them. force: setup may have failed before the directories existed.
  fs.rmSync(dir, { recursive: true, force: true });
}
