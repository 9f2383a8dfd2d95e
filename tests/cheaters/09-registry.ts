/**
 * Chapter 9's cheater: "pulls" without asking the registry — it finds the
 * OCI layout the registry was seeded from on this machine's disk
 * (/var/lib/workbook*\/images) and copies the image from there into the store.
 * The right bytes, the right names, no protocol: every graded check must
 * fail on it (the access log, the token server and the fronts never see it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ImageError } from '../../toolkit/image/errors.ts';
import { indexEntry, readBlob, type Manifest } from '../../toolkit/image/layout.ts';
import { formatReference, isRegistryReference, parseReference } from '../../toolkit/registry/reference.ts';
import { installImage, isPulled, pulledBlob, type PulledImage } from '../../toolkit/registry/store.ts';

export async function pull(image: string): Promise<void> {
  if (isRegistryReference(image) && !isPulled(formatReference(parseReference(image)))) await pullImage(image);
}

// The container (every wall of chapters 2–8) comes from the stack (toolkit/runtime/sequence.ts), as for the real chapter.

export async function pullImage(text: string): Promise<PulledImage> {
  const ref = parseReference(text);
  const name = ref.repository.split('/').at(-1)!;
  const layouts = fs.readdirSync('/var/lib').filter((d) => d.startsWith('workbook')).map((d) => path.join('/var/lib', d, 'images'));
  const layout = layouts.find((l) => { try { return indexEntry(l, name) !== undefined; } catch { return false; } });
  if (!layout) throw new ImageError(`${text}: not found`);
  const entry = indexEntry(layout, name)!;
  const bytes = readBlob(layout, entry, 'manifest');
  const manifest = JSON.parse(bytes.toString()) as Manifest;
  for (const d of [manifest.config, ...manifest.layers]) {
    fs.mkdirSync(path.dirname(pulledBlob(d.digest)), { recursive: true });
    fs.copyFileSync(path.join(layout, 'blobs', 'sha256', d.digest.slice(7)), pulledBlob(d.digest));
  }
  return installImage([formatReference(ref), `${ref.registry}/${ref.repository}@${entry.digest}`], bytes, entry.mediaType);
}
