/**
 * Where pulled images go: one more OCI image layout beside chapter 4's,
 *
 *   LIB_DIR/pulled/  oci-layout  index.json  blobs/sha256/<hex>
 *
 * named in index.json by the reference they were pulled as
 * ("127.0.0.1:5000/workbook/web:latest", and "…/web@sha256:…" for the
 * manifest's digest). From there chapter 4's layer store takes over: each
 * layer is unpacked once into LIB_DIR/layers/sha256/<hex>, shared with every
 * image that lists the same digest — the workbook's own images included.
 *
 * A blob is written under its name only once its bytes hash to it
 * (downloadBlob renames a verified temporary file), and an image is named in
 * index.json only once all its blobs are there and its layers unpacked: a
 * killed pull leaves no visible blob, no half layer, no half image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ImageError } from '../image/errors.ts';
import { MEDIA_TYPES, REF_NAME, blobPath, readBlob, type Descriptor, type ImageConfig, type Index, type Manifest } from '../image/layout.ts';
import { LIB_DIR } from '../paths.ts';
import { tempPath } from '../image/store.ts';
import { layerDir, ensureLayer } from '../image/unpack.ts';
import { short, sha256 } from '../image/digest.ts';

export const PULLED_DIR = path.join(LIB_DIR, 'pulled');

/** Where blob `digest` lives once pulled (whether or not it is there). */
export function pulledBlob(digest: string): string {
  return blobPath(PULLED_DIR, digest);
}

/** The store has this layer: unpacked (by any image, chapter 4's too) or its blob already pulled. */
export function layerInStore(d: Descriptor): boolean {
  return fs.existsSync(layerDir(d.digest)) || fs.existsSync(pulledBlob(d.digest));
}

/** The store has this blob already (a config, a layer's archive). */
export function blobInStore(d: Descriptor): boolean {
  return fs.existsSync(pulledBlob(d.digest));
}

export interface PulledImage {
  /** How it is named in index.json: the reference as pulled, and by digest. */
  names: string[];
  manifestDigest: string;
  manifest: Manifest;
  config: ImageConfig;
  layers: string[];
}

/**
 * Makes a pulled image usable: writes its manifest blob, checks the config
 * (already downloaded and verified) against the manifest, unpacks every
 * layer with chapter 4's confinement, and only then names it in index.json.
 * Throws one line, with nothing named, if any of that fails.
 */
export function installImage(names: readonly string[], manifestBytes: Buffer, mediaType: string): PulledImage {
  const manifestDigest = sha256(manifestBytes);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  const shown = names[0] ?? manifestDigest;
  if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers) || manifest.layers.length === 0) {
    throw new ImageError(`manifest ${short(manifestDigest)}… of ${shown} is not an image manifest with a config and layers`);
  }
  fs.mkdirSync(path.join(PULLED_DIR, 'blobs', 'sha256'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(PULLED_DIR, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
  const config = JSON.parse(readBlob(PULLED_DIR, manifest.config, 'config').toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new ImageError(`config ${short(manifest.config.digest)}… of ${shown} lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
  }
  const layers = manifest.layers.map((layer, i) => ensureLayer(PULLED_DIR, layer, diffIds[i]!));
  writeAtomically(pulledBlob(manifestDigest), manifestBytes);

  const descriptor: Descriptor = { mediaType, digest: manifestDigest, size: manifestBytes.length };
  const index = readPulledIndex();
  index.manifests = [
    ...index.manifests.filter((m) => !names.includes(m.annotations?.[REF_NAME] ?? '')),
    ...names.map((name) => ({ ...descriptor, annotations: { [REF_NAME]: name } })),
  ];
  writeAtomically(path.join(PULLED_DIR, 'index.json'), Buffer.from(JSON.stringify(index, null, 2)));
  return { names: [...names], manifestDigest, manifest, config, layers };
}

/** The images pulled so far (index.json), empty before the first pull. */
export function readPulledIndex(): Index {
  try {
    return JSON.parse(fs.readFileSync(path.join(PULLED_DIR, 'index.json'), 'utf8')) as Index;
  } catch {
    return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] };
  }
}

/** Whether an image of this name has been pulled (a complete one: only those are named). */
export function isPulled(name: string): boolean {
  return readPulledIndex().manifests.some((m) => m.annotations?.[REF_NAME] === name);
}

/** Removes blobs a failed pull downloaded (never those that were there before it). */
export function removeBlobs(digests: Iterable<string>): void {
  for (const digest of digests) fs.rmSync(pulledBlob(digest), { force: true });
}

/** Through a temporary file in LIB_DIR (same filesystem; `npm run clean` removes a killed run's). */
function writeAtomically(file: string, bytes: Buffer): void {
  const tmp = tempPath('pulled');
  fs.writeFileSync(tmp, bytes, { mode: 0o644 });
  fs.renameSync(tmp, file);
}
