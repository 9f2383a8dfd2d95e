/**
 * Fills a registry with the workbook's images, offline: skopeo(1) copies
 * OCI image layouts the workbook builds into it, the way `docker push` would
 * (skopeo is Debian's tool for copying images between transports: oci:DIR,
 * docker://HOST/NAME, …; it needs no daemon).
 *
 *   workbook/demo:latest      chapter 4's demo image  ┐ the same base layer:
 *   workbook/web:latest       chapter 4's web image   ┘ stored once, pulled once
 *   workbook/multi:latest     an image index: this machine's platform and one other
 *                             (each with /etc/platform saying which it is)
 *   workbook/foreign:latest   an index without this machine's platform
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { baseLayer, ensureDemoImages, layerOf } from '../image/demo.ts';
import { sha256 } from '../image/digest.ts';
import { MEDIA_TYPES, REF_NAME, writeBlob, type Descriptor, type ImageConfig, type NewLayer } from '../image/layout.ts';
import { IMAGES_DIR } from '../image/store.ts';
import { RegistryError } from './http.ts';
import { formatPlatform, hostPlatform, type Platform } from './media-types.ts';

export const SEEDED = ['workbook/demo:latest', 'workbook/web:latest', 'workbook/multi:latest', 'workbook/foreign:latest'] as const;

/** The platforms of workbook/multi: another one first, so that taking the first entry is not enough. */
export function multiPlatforms(): Platform[] {
  const host = hostPlatform();
  const other: Platform = host.architecture === 'amd64' ? { os: 'linux', architecture: 'arm64', variant: 'v8' } : { os: 'linux', architecture: 'amd64' };
  return [other, host];
}

/** workbook/foreign's platforms: none is this machine's. */
export function foreignPlatforms(): Platform[] {
  return [{ os: 'linux', architecture: 's390x' }, { os: 'linux', architecture: 'riscv64' }].filter((p) => p.architecture !== hostPlatform().architecture);
}

/** skopeo copy oci:LAYOUT:NAME docker://HOST/REPO:TAG for each image; `--all` for an index. */
export function seedRegistry(host: string, log: (line: string) => void = () => {}): void {
  ensureDemoImages(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-seed-${process.pid}-`));
  try {
    const policy = path.join(dir, 'policy.json');
    // skopeo checks signatures by a policy; these images are our own, built here: accept them.
    fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const layout = path.join(dir, 'layout');
    writeIndexImage(layout, 'multi', multiPlatforms());
    writeIndexImage(layout, 'foreign', foreignPlatforms());
    const copies: [string, string, boolean][] = [
      [`oci:${IMAGES_DIR}:demo`, 'workbook/demo:latest', false],
      [`oci:${IMAGES_DIR}:web`, 'workbook/web:latest', false],
      [`oci:${layout}:multi`, 'workbook/multi:latest', true],
      [`oci:${layout}:foreign`, 'workbook/foreign:latest', true],
    ];
    for (const [from, to, all] of copies) {
      log(`pushing ${to}`);
      skopeo(['copy', '--quiet', '--policy', policy, '--dest-tls-verify=false', ...(all ? ['--all'] : []), from, `docker://${host}/${to}`]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Pushes one more image from a layout (the tests' own bad images). */
export function pushLayout(layout: string, name: string, host: string, target: string): void {
  const policy = path.join(layout, '..', `policy-${process.pid}.json`);
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  try {
    skopeo(['copy', '--quiet', '--policy', policy, '--dest-tls-verify=false', `oci:${layout}:${name}`, `docker://${host}/${target}`]);
  } finally {
    fs.rmSync(policy, { force: true });
  }
}

function skopeo(args: string[]): void {
  try {
    execFileSync('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new RegistryError('skopeo is needed to fill the registry: apt-get install skopeo');
    throw new RegistryError(`skopeo ${args.slice(-2).join(' → ')}: ${e.stderr?.toString().trim().split('\n').at(-1) ?? e.message}`);
  }
}

/** An image index in `layout`, named `name`: one image per platform, on the workbook's base layer. */
export function writeIndexImage(layout: string, name: string, platforms: readonly Platform[]): void {
  fs.mkdirSync(layout, { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
  const base = baseLayer();
  const manifests = platforms.map((platform) => ({
    ...writeImageFor(layout, platform, [base, layerOf({
      createdBy: `${name} layer 2: /etc/platform for ${formatPlatform(platform)}`,
      files: { 'etc/platform': `${formatPlatform(platform)}\n`, 'etc/motd': `The ${name} image, built for ${formatPlatform(platform)}.\n` },
      deleted: [], opaque: [],
    })]),
    platform,
  }));
  const index = writeBlob(layout, json({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests }), MEDIA_TYPES.index);
  const file = path.join(layout, 'index.json');
  const old = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { manifests: Descriptor[] }).manifests : [];
  const entries = [...old.filter((m) => m.annotations?.[REF_NAME] !== name), { ...index, annotations: { [REF_NAME]: name } }];
  fs.writeFileSync(file, json({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: entries }));
}

/** One image manifest (not named in index.json) whose config says `platform`. */
export function writeImageFor(layout: string, platform: Platform, layers: readonly NewLayer[], config: Partial<ImageConfig['config']> = {}): Descriptor {
  const blobs = layers.map((l) => writeBlob(layout, zlib.gzipSync(l.tar, { level: 6 }), MEDIA_TYPES.layerGzip));
  const imageConfig = {
    architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}),
    created: '1970-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/', ...config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.tar)) },
    history: layers.map((l) => ({ created: '1970-01-01T00:00:00Z', created_by: l.createdBy })),
  };
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config: writeBlob(layout, json(imageConfig), MEDIA_TYPES.config), layers: blobs };
  return writeBlob(layout, json(manifest), MEDIA_TYPES.manifest);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2));
}
