/**
 * Chapter 4 — overlayfs.  Lesson: chapters/04-overlayfs/README.md
 *
 * Run a container from an image: the image's read-only layers stacked by
 * overlayfs, with an empty writable layer of the container's own on top.
 *
 *   npm run chapter 4 -- /bin/sh -c 'cat /etc/motd; ls /etc'
 *   npm test
 *
 * Chapter 2's steps come from the reference solution, so this chapter works
 * even if yours is not finished.
 */
import fs from 'node:fs';
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import { MS_PRIVATE, MS_REC, mount } from '../../toolkit/kernel/index.ts';
import { containerDirs, imageLayers } from '../../toolkit/image/containers.ts';
import { prepareImage } from '../../toolkit/image/prepare.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/** Host side, on the runner's main thread, before the container's first process is spawned. */
export function createNamespaces(c: Container): void {
  // Given: `docker pull` + `docker create` — the image's layers unpacked once
  // into the layer store, and this container's own empty upper, work and merged.
  prepareImage(c);
  ch2.createNamespaces(c);
}

/** Runs in the container's first process (PID 1), before the command is exec'd. */
export function setupContainer(c: Container): void {
  const layers = imageLayers(c); // the image's layer directories, base first, as the manifest lists them
  const { upper, work, merged } = containerDirs(c);

  // Given (chapter 2.2): nothing mounted from here on propagates to the host,
  // and the overlay dies with this mount namespace — even after a SIGKILL.
  mount(null, '/', null, MS_REC | MS_PRIVATE);

  // TODO(4.1): build the lowerdir list: the layer directories joined with ':',
  //            TOP layer first — overlayfs looks a name up from left to right
  //            and takes the first hit, while `layers` starts with the base.
  // TODO(4.2): mount the overlay on `merged`: mount(2) with source 'overlay',
  //            type 'overlay', no flags, and the data string
  //            `lowerdir=…,upperdir=${upper},workdir=${work}`.
  // TODO(4.3): the merged view is the container's root filesystem now: bind the
  //            --volume directories into it (given: mountVolumes({ ...c, rootfs: merged }),
  //            from toolkit/volumes/bind.ts), then run chapter 2's setup on it —
  //            ch2.setupContainer({ ...c, rootfs: merged }).
  // Then delete the line below.
  todo('4.1–4.3 mount the overlay (lowerdir, upperdir, workdir) and make it the root');
}

/** Host side, after the container has ended (also after a crash, from `npm run clean`). */
export function cleanupHost(c: Container): void {
  // TODO(4.4): unless c.keep, remove the container's directory, containerDirs(c).dir,
  //            which holds upper, work and merged: fs.rmSync with recursive and
  //            force (it may not exist: setup can fail before it is made).
  //            Never remove the image's layers — other containers use them.
  // Then delete the line below. (It reports instead of throwing like todo(): a
  // cleanup that throws is kept and retried by every later run.)
  if (fs.existsSync(containerDirs(c).dir)) process.stderr.write(`workbook: not done yet: 4.4 remove ${containerDirs(c).dir} (npm run clean removes it meanwhile)\n`);
}
