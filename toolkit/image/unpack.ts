/**
 * The layer store: each layer unpacked once, into a directory named by its
 * blob's digest, and from then on only read — it is a lowerdir of every
 * container whose image lists it. Unpacking (what `docker pull` does after
 * the download):
 *
 *   1. check the blob against its digest           (a corrupt or swapped blob stops here)
 *   2. gunzip, check the tar against its diff_id   (the config's digest of the uncompressed layer)
 *   3. list the entries, refuse any that escape    (confine.ts)
 *   4. extract into a temporary directory          (tar.ts)
 *   5. OCI whiteouts → overlayfs whiteouts          (whiteouts.ts)
 *   6. rename(2) into place — atomic: the layer is there whole, or not at all
 *
 * The layer is decompressed in memory: fine for the workbook's images; a
 * real runtime streams it.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { confineEntries } from './confine.ts';
import { digestHex, short, verifyDigest } from './digest.ts';
import { ImageError } from './errors.ts';
import { MEDIA_TYPES, readBlob, type Descriptor } from './layout.ts';
import { LAYERS_DIR, tempPath } from './store.ts';
import { extractTar, listTar } from './tar.ts';
import { applyWhiteouts } from './whiteouts.ts';

/** The directory of an unpacked layer (whether or not it exists yet). */
export function layerDir(digest: string): string {
  return path.join(LAYERS_DIR, 'sha256', digestHex(digest, 'layer'));
}

/** Unpacks the layer unless the store has it already; returns its directory. */
export function ensureLayer(layout: string, layer: Descriptor, diffId: string): string {
  const dir = layerDir(layer.digest);
  if (fs.existsSync(dir)) return dir; // content-addressed: same digest, same content
  const what = `layer ${short(layer.digest)}…`;

  const blob = readBlob(layout, layer, 'layer');
  const tar = decompress(blob, layer.mediaType, what);
  verifyDigest(tar, diffId, `${what} (uncompressed, diff_id ${short(diffId)}…)`);
  const whiteouts = confineEntries(listTar(tar), what);

  const tmp = tempPath(`layer-${digestHex(layer.digest, 'layer').slice(0, 12)}`);
  try {
    fs.mkdirSync(tmp, { mode: 0o755 });
    extractTar(tar, tmp);
    applyWhiteouts(tmp, whiteouts);
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    fs.renameSync(tmp, dir);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another runner unpacked the same layer at the same moment: theirs is as good as ours.
    if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) return dir;
    throw error;
  }
  return dir;
}

function decompress(blob: Buffer, mediaType: string, what: string): Buffer {
  if (mediaType === MEDIA_TYPES.layerTar) return blob;
  if (mediaType !== MEDIA_TYPES.layerGzip && mediaType !== MEDIA_TYPES.dockerLayerGzip) {
    throw new ImageError(`${what} has media type ${mediaType}: the workbook unpacks gzip'd or plain tar layers only`);
  }
  try {
    return zlib.gunzipSync(blob);
  } catch (error) {
    throw new ImageError(`${what} is not valid gzip: ${(error as Error).message}`);
  }
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
