/**
 * The OCI image layout: an image as plain files in a directory, the format
 * `skopeo copy … oci:DIR` and `docker buildx --output type=oci` write.
 *
 *   DIR/oci-layout           {"imageLayoutVersion": "1.0.0"}
 *   DIR/index.json           the entry point: one manifest per image name
 *   DIR/blobs/sha256/<hex>   everything else, named by the digest of its bytes
 *
 *   index.json ──▶ manifest ──┬─▶ config   (architecture, env, command; diff_ids of the layers)
 *    "demo"                   └─▶ layers   (gzip'd tars, base first)
 *
 * Two images that share a base list the same layer digest, so the layout
 * stores that blob once, and the layer store unpacks it once.
 * https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 * https://github.com/opencontainers/image-spec/blob/main/manifest.md
 * https://github.com/opencontainers/image-spec/blob/main/config.md
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { digestHex, sha256, verifyDigest } from './digest.ts';
import { ImageError } from './errors.ts';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The annotation that names an image in index.json (what `--image NAME` looks up). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** A pointer to a blob: what it is, its digest, its size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  /** Base first: each layer's changes apply on top of the ones before it. */
  layers: Descriptor[];
}

export interface ImageConfig {
  architecture: string;
  os: string;
  created?: string;
  /** How to run the image's process: config.ts reads it. */
  config?: {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, object>;
  };
  /** diff_ids: the digest of each layer *uncompressed*, in the manifest's order. */
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** An image found in a layout, with its manifest and config read and verified. */
export interface Image {
  layout: string;
  name: string;
  manifestDigest: string;
  manifest: Manifest;
  config: ImageConfig;
}

export function blobPath(layout: string, digest: string, what = 'blob'): string {
  return path.join(layout, 'blobs', 'sha256', digestHex(digest, what));
}

/** A blob's bytes, after checking its size and digest against the descriptor that points to it. */
export function readBlob(layout: string, d: Descriptor, what: string): Buffer {
  const file = blobPath(layout, d.digest, what);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new ImageError(`${what} ${d.digest} is missing from ${layout} (no ${file})`);
  }
  if (bytes.length !== d.size) throw new ImageError(`${what} ${d.digest} is corrupt: ${bytes.length} bytes, its descriptor says ${d.size}`);
  verifyDigest(bytes, d.digest, `${what} ${d.digest} in ${layout}`);
  return bytes;
}

/** The names in a layout's index.json (ref.name annotations). */
export function imageNames(layout: string): string[] {
  return readIndex(layout).manifests.flatMap((m) => (m.annotations?.[REF_NAME] ? [m.annotations[REF_NAME]] : []));
}

/** The index.json entry (manifest descriptor) of image `name`, if any. */
export function indexEntry(layout: string, name: string): Descriptor | undefined {
  return readIndex(layout).manifests.find((m) => m.annotations?.[REF_NAME] === name);
}

/**
 * Opens image `name` in the layout — or, without a name, its only image.
 * `shown` is how the user wrote it, for messages.
 */
export function openImage(layout: string, name: string | undefined, shown: string): Image {
  const index = readIndex(layout);
  const matches = name === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.[REF_NAME] === name);
  if (matches.length !== 1) {
    const names = imageNames(layout);
    const known = names.length > 0 ? `it has ${names.join(', ')}` : 'it names no images';
    const why = name === undefined ? `${layout} holds ${index.manifests.length} images: say which, DIR:NAME (${known})` : `not in ${layout} (${known})`;
    throw new ImageError(`image ${JSON.stringify(shown)} not found: ${why}`);
  }
  const descriptor = matches[0]!;
  const manifest = JSON.parse(readBlob(layout, descriptor, 'manifest').toString()) as Manifest;
  if (manifest.schemaVersion !== 2 || !Array.isArray(manifest.layers) || manifest.layers.length === 0) {
    throw new ImageError(`manifest ${descriptor.digest} of image ${JSON.stringify(shown)} is not an OCI image manifest with layers`);
  }
  const config = JSON.parse(readBlob(layout, manifest.config, 'config').toString()) as ImageConfig;
  if (config.rootfs?.diff_ids?.length !== manifest.layers.length) {
    throw new ImageError(`config ${manifest.config.digest} of image ${JSON.stringify(shown)} lists ${config.rootfs?.diff_ids?.length ?? 0} diff_ids for ${manifest.layers.length} layers`);
  }
  return { layout, name: name ?? descriptor.annotations?.[REF_NAME] ?? descriptor.digest, manifestDigest: descriptor.digest, manifest, config };
}

function readIndex(layout: string): Index {
  let text: string;
  try {
    text = fs.readFileSync(path.join(layout, 'index.json'), 'utf8');
  } catch {
    throw new ImageError(`no OCI image layout at ${layout} (no index.json)`);
  }
  try {
    const index = JSON.parse(text) as Index;
    if (!Array.isArray(index.manifests)) throw new Error('no manifests');
    return index;
  } catch (error) {
    throw new ImageError(`${path.join(layout, 'index.json')} is not an OCI image index: ${(error as Error).message}`);
  }
}

// ─── Writing ─────────────────────────────────────────────────────────────────

/** Stores `bytes` under their digest (written to a temporary name, then renamed: never half a blob). */
export function writeBlob(layout: string, bytes: Buffer, mediaType: string): Descriptor {
  const digest = sha256(bytes);
  const file = blobPath(layout, digest);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, bytes, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
  return { mediaType, digest, size: bytes.length };
}

export interface NewLayer {
  /** The layer as an uncompressed tar (its digest is the diff_id). */
  tar: Buffer;
  /** What made it, for the config's history (docker history shows it). */
  createdBy: string;
}

/**
 * Writes an image into a layout — gzip'd layer blobs, config, manifest — and
 * names it `name` in index.json (replacing an image of that name).
 * Deterministic: the same layers give the same digests.
 */
export function writeImage(layout: string, name: string, layers: readonly NewLayer[], annotations: Record<string, string> = {}): Image {
  fs.mkdirSync(layout, { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
  const layerDescriptors = layers.map((l) => writeBlob(layout, zlib.gzipSync(l.tar, { level: 6 }), MEDIA_TYPES.layerGzip));
  const config: ImageConfig = {
    architecture: { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch,
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.tar)) },
    history: layers.map((l) => ({ created: '1970-01-01T00:00:00Z', created_by: l.createdBy })),
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: writeBlob(layout, json(config), MEDIA_TYPES.config),
    layers: layerDescriptors,
  };
  const descriptor = { ...writeBlob(layout, json(manifest), MEDIA_TYPES.manifest), annotations: { [REF_NAME]: name, ...annotations } };

  let index: Index = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] };
  if (fs.existsSync(path.join(layout, 'index.json'))) index = readIndex(layout);
  index.manifests = [...index.manifests.filter((m) => m.annotations?.[REF_NAME] !== name), descriptor];
  const file = path.join(layout, 'index.json');
  fs.writeFileSync(`${file}.tmp-${process.pid}`, json(index));
  fs.renameSync(`${file}.tmp-${process.pid}`, file);
  return { layout, name, manifestDigest: descriptor.digest, manifest, config };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2));
}
