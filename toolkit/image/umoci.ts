/**
 * An OCI image built the way image tools build them, by Debian's umoci
 * (https://umo.ci): a real third-party layout, to prove the workbook runs
 * images it did not write itself. From the workbook's busybox rootfs, in two
 * layers, the second with a whiteout and a user of its own:
 *
 *   umoci init   --layout DIR                       an empty OCI layout
 *   umoci new    --image DIR:TAG                    an image with no layers
 *   umoci unpack --image DIR:TAG BUNDLE             BUNDLE/rootfs, and a record of it (mtree)
 *     …copy the rootfs in…
 *   umoci repack --refresh-bundle --image DIR:TAG BUNDLE
 *                                                   layer 1: the difference to the record
 *     …delete a file, add a user…
 *   umoci repack --image DIR:TAG BUNDLE             layer 2: with the deletion as a whiteout
 *   umoci config --image DIR:TAG --config.env … --config.cmd …
 *                                                   the config: how the image wants to be run
 *
 * https://github.com/opencontainers/umoci/tree/main/doc/man
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface UmociImage {
  /** The layout's directory; `--image DIR:TAG` runs it. */
  layout: string;
  tag: string;
  /** A file of layer 1 that layer 2 deletes (a whiteout). */
  deleted: string;
  /** The user layer 2 adds to /etc/passwd (and the groups it is in). */
  user: { name: string; uid: number; gid: number; home: string; supplementary: number };
}

export interface UmociConfig {
  env?: string[];
  cmd?: string[];
  entrypoint?: string[];
  workingdir?: string;
  user?: string;
  exposedports?: string[];
}

const umoci = (args: string[]) => execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'pipe'] });
/** Without root, umoci unpacks as the user (its --rootless: no chown to the layer's owners). */
const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];

/** Builds the two-layer image into `layout` (a new directory) from `rootfs`, with `config` as its configuration. */
export function buildUmociImage(layout: string, tag: string, rootfs: string, config: UmociConfig): UmociImage {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-umoci-bundle-'));
  const image = `${layout}:${tag}`;
  const user = { name: 'app', uid: 1000, gid: 1000, home: '/home/app', supplementary: 2000 };
  const deleted = '/etc/removed-by-layer-2';
  try {
    umoci(['init', '--layout', layout]);
    umoci(['new', '--image', image]);
    fs.rmdirSync(bundle); // umoci unpack makes the bundle itself
    umoci(['unpack', ...rootless, '--image', image, bundle]);
    const root = path.join(bundle, 'rootfs');
    execFileSync('cp', ['-a', `${rootfs}/.`, root]);
    fs.writeFileSync(path.join(root, deleted), 'layer 1\n');
    umoci(['repack', '--refresh-bundle', '--image', image, bundle]);

    fs.rmSync(path.join(root, deleted));
    fs.appendFileSync(path.join(root, 'etc/passwd'), `${user.name}:x:${user.uid}:${user.gid}:app:${user.home}:/bin/sh\n`);
    fs.appendFileSync(path.join(root, 'etc/group'), `${user.name}:x:${user.gid}:\nstaff:x:${user.supplementary}:${user.name}\n`);
    fs.mkdirSync(path.join(root, user.home), { recursive: true, mode: 0o755 });
    fs.chownSync(path.join(root, user.home), user.uid, user.gid);
    umoci(['repack', '--image', image, bundle]);

    const flags = [
      ...(config.env ?? []).map((e) => `--config.env=${e}`),
      ...(config.entrypoint ?? []).map((e) => `--config.entrypoint=${e}`),
      ...(config.cmd ?? []).map((c) => `--config.cmd=${c}`),
      ...(config.workingdir ? [`--config.workingdir=${config.workingdir}`] : []),
      ...(config.user ? [`--config.user=${config.user}`] : []),
      ...(config.exposedports ?? []).map((p) => `--config.exposedports=${p}`),
    ];
    if (flags.length > 0) umoci(['config', '--image', image, ...flags]);
    umoci(['gc', '--layout', layout]);
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
  }
  return { layout, tag, deleted, user };
}
