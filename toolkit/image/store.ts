/**
 * Where chapter 4 keeps images, layers and containers on the machine, beside
 * the rootfs (toolkit/paths.ts LIB_DIR) — the same split as Docker's
 * /var/lib/docker/{image,overlay2} or containerd's content and snapshot stores:
 *
 *   images/                      one OCI image layout: the workbook's images (demo, web)
 *     oci-layout  index.json  blobs/sha256/<hex>
 *   layers/sha256/<hex>/         each layer unpacked once, named by its blob's digest;
 *                                read-only lower layers, shared by every image and container
 *   containers/<id>/             one per container: what overlayfs writes
 *     upper/  work/  merged/  container.json
 *
 * Work in progress goes to LIB_DIR/<name>.tmp-<pid>-…, renamed into place
 * when complete: a crash leaves a temporary directory (which `npm run clean`
 * removes), never a half-unpacked layer under its final name.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { LIB_DIR } from '../paths.ts';

export const IMAGES_DIR = path.join(LIB_DIR, 'images');
export const LAYERS_DIR = path.join(LIB_DIR, 'layers');
export const CONTAINERS_DIR = path.join(LIB_DIR, 'containers');

/** A fresh temporary path in LIB_DIR, on the same filesystem as the store so rename(2) can move it in. */
export function tempPath(label: string): string {
  return path.join(LIB_DIR, `${label}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
}
