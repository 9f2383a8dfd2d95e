/**
 * The runner's side of the image configuration, on the host, before anything
 * is created: read the image's config (config.ts), apply the command line's
 * overrides, and check a --user / User against the image's own
 * /etc/passwd and /etc/group — so an unknown user is one line and exit 2, not
 * a container that fails halfway. (The container resolves the user again, in
 * its own files after pivot_root: that is the one that counts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { OVERLAY_OPAQUE, lgetxattr } from '../kernel/xattr.ts';
import type { Container, IdMapping } from '../runtime/container.ts';
import { requireMapped, type IdKind } from '../userns/id-maps.ts';
import type { RunnerOptions } from '../runtime/options.ts';
import { checkVolumeTargets } from '../volumes/options.ts';
import { processConfig, type ProcessConfig } from './config.ts';
import { DEFAULT_IMAGE, findImage, pullImage } from './prepare.ts';
import { resolveUser } from './users.ts';

export type ProcessFields = Pick<Container, 'command' | 'env' | 'workdir' | 'user' | 'exposedPorts' | 'volumes'>;

/**
 * The Container's process fields. `image`: whether this chapter runs an
 * image (then the image --image names, or the default one); otherwise the
 * plain `rootfs`. `'not pulled'`: --explain of a registry image not in the
 * store yet — it runs nothing, so it pulls nothing, and there is no config to
 * read: only the command line's part is known.
 */
export function processForRun(options: RunnerOptions, rootfs: string, image: boolean | 'not pulled', idMaps?: Readonly<Record<IdKind, readonly IdMapping[]>>): ProcessFields {
  const ref = options.image ?? DEFAULT_IMAGE;
  const config = image === true ? findImage(ref).config.config : undefined;
  const p: ProcessConfig = processConfig(config, options, options.hostname);
  // HOME: root's, or the user's from the image's files; left to the container when those could not be read here.
  let home: string | undefined = '/root';
  if (image === 'not pulled') home = undefined;
  else if (p.user !== undefined) {
    const files = image ? imageAccountFiles(pullImage(ref).layers) : rootfsAccountFiles(rootfs);
    const resolved = files === undefined ? undefined : resolveUser(p.user, files.passwd, files.group); // throws one line for an unknown name
    home = resolved?.home;
    // In a user namespace (chapter 6 on), an id its maps leave out is one line here, not setresuid's EINVAL inside.
    if (resolved !== undefined && idMaps !== undefined) {
      const what = options.user !== undefined ? `--user ${options.user}` : `the image's User ${p.user}`;
      requireMapped('uid', [resolved.uid], idMaps.uid, what);
      requireMapped('gid', [resolved.gid, ...resolved.groups], idMaps.gid, what);
    }
  }
  checkVolumeTargets(options.volumes);
  const homeSet = p.env.some((e) => e.startsWith('HOME='));
  return {
    command: p.command,
    // On the Container, so that `exec` into it (chapter 8) gets the same HOME as its first process.
    env: homeSet || home === undefined ? p.env : [...p.env, `HOME=${home}`],
    ...(p.workdir !== undefined ? { workdir: p.workdir } : {}),
    ...(p.user !== undefined ? { user: p.user } : {}),
    exposedPorts: p.exposedPorts,
    volumes: options.volumes,
  };
}

interface AccountFiles {
  passwd: string | null;
  group: string | null;
}

/** etc/passwd and etc/group of a plain rootfs; undefined when one is a symlink (left to the container to follow). */
function rootfsAccountFiles(rootfs: string): AccountFiles | undefined {
  const read = (rel: string) => {
    const st = fs.lstatSync(path.join(rootfs, rel), { throwIfNoEntry: false });
    return st === undefined ? null : st.isFile() ? fs.readFileSync(path.join(rootfs, rel), 'utf8') : undefined;
  };
  const passwd = read('etc/passwd');
  const group = read('etc/group');
  return passwd === undefined || group === undefined ? undefined : { passwd, group };
}

/**
 * etc/passwd and etc/group as the overlay will show them: the topmost layer
 * that has the file wins; a whiteout, or an opaque or replaced etc/, hides
 * the layers below. `layers`: unpacked layer directories, base first.
 */
function imageAccountFiles(layers: readonly string[]): AccountFiles | undefined {
  const find = (rel: string): string | null | undefined => {
    for (const layer of [...layers].reverse()) {
      const st = fs.lstatSync(path.join(layer, rel), { throwIfNoEntry: false });
      if (st) return st.isFile() ? fs.readFileSync(path.join(layer, rel), 'utf8') : st.isCharacterDevice() ? null : undefined;
      const etc = fs.lstatSync(path.join(layer, 'etc'), { throwIfNoEntry: false });
      if (etc && !etc.isDirectory()) return etc.isCharacterDevice() ? null : undefined;
      if (etc && lgetxattr(path.join(layer, 'etc'), OVERLAY_OPAQUE)?.toString() === 'y') return null;
    }
    return null;
  };
  const passwd = find('etc/passwd');
  const group = find('etc/group');
  return passwd === undefined || group === undefined ? undefined : { passwd, group };
}
