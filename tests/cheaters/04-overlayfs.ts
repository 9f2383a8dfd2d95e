/**
 * Chapter 4's cheater: no overlay. It copies the image's layers, base first,
 * into the container's directory and runs chapter 2 on that copy: the files
 * look right inside, but nothing is an overlay, nothing is copy-on-write.
 * Every graded check must fail on it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import * as ch4 from '../../solutions/04-overlayfs/container.ts';
import { containerDirs, imageLayers } from '../../toolkit/image/containers.ts';
import { MS_PRIVATE, MS_REC, mount, unshare } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

// Through the runner's classic hooks (toolkit/runtime/sequence.ts, ClassicChapter).
export function createNamespaces(c: Container): void {
  ch4.prepareImage(c);
  unshare(ch2.namespaces(c));
}

export const cleanupHost = ch4.removeWritableLayer;

export function setupContainer(c: Container): void {
  const { merged } = containerDirs(c);
  mount(null, '/', null, MS_REC | MS_PRIVATE);
  for (const layer of imageLayers(c)) execFileSync('cp', ['-a', `${layer}/.`, merged]);
  fs.rmSync(`${merged}/etc/profile`, { force: true }); // as the whiteout would have it
  const root = { ...c, rootfs: merged };
  for (const step of [ch2.bindRootfs, ch2.mountProc, ch2.pivotIntoRootfs, ch2.setHostname]) step(root);
}
