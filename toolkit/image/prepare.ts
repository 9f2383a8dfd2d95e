/**
 * Host side of chapter 4, before the container's first process exists — what
 * `docker run` does before any namespace: find the image, make sure each of
 * its layers is unpacked (`docker pull`), and give the container its own
 * empty upper, work and merged directories (`docker create`).
 *
 *   --image demo           one of the workbook's images (demo, the default; web)
 *   --image DIR            the only image of the OCI image layout in DIR
 *   --image DIR:NAME       image NAME of the layout in DIR
 *   --image HOST:PORT/NAME:TAG   an image pulled from a registry (chapter 9 pulls it first)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '../runtime/container.ts';
import { createContainerDirs, type ContainerDirs } from './containers.ts';
import { DEMO_IMAGES, ensureDemoImages } from './demo.ts';
import { ImageError } from './errors.ts';
import { openImage, type Image } from './layout.ts';
import { IMAGES_DIR } from './store.ts';
import { ensureLayer } from './unpack.ts';
import { formatReference, isRegistryReference, parseReference } from '../registry/reference.ts';
import { PULLED_DIR, isPulled } from '../registry/store.ts';

export const DEFAULT_IMAGE = 'demo';

/** Finds the image `--image` names, reading and verifying its manifest and config. */
export function findImage(ref: string): Image {
  if (isRegistryReference(ref) && !fs.existsSync(ref)) {
    const name = formatReference(parseReference(ref));
    if (!isPulled(name)) throw new ImageError(`image ${ref} is not in the store: pull it first (npm run pull -- ${ref}; chapter 9 pulls it for you)`);
    return openImage(PULLED_DIR, name, ref);
  }
  if (!ref.includes('/')) {
    ensureDemoImages();
    if (!(DEMO_IMAGES as readonly string[]).includes(ref)) {
      throw new ImageError(`image ${JSON.stringify(ref)} not found: the workbook's images are ${DEMO_IMAGES.join(' and ')} (or give an OCI image layout: --image DIR or DIR:NAME)`);
    }
    return openImage(IMAGES_DIR, ref, ref);
  }
  // DIR:NAME — the colon counts only after the last slash, so a path may contain colons.
  const colon = ref.lastIndexOf(':');
  const [dir, name] = colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, undefined];
  return openImage(path.resolve(dir), name, ref);
}

/** Every layer of the image in the layer store; returns their directories, base first. */
export function pullImage(ref: string): { image: Image; layers: string[] } {
  const image = findImage(ref);
  const layers = image.manifest.layers.map((layer, i) => ensureLayer(image.layout, layer, image.config.rootfs.diff_ids[i]!));
  return { image, layers };
}

/**
 * The image's layers, ready to be lowerdirs, and the container's own empty
 * directories. Throws (one line) before creating anything for a bad image.
 */
export function prepareImage(c: Container): ContainerDirs {
  const { image, layers } = pullImage(c.image ?? DEFAULT_IMAGE);
  return createContainerDirs({ id: c.id, name: c.name, image: c.image ?? DEFAULT_IMAGE, manifest: image.manifestDigest, layers });
}
