/**
 * A layer is untrusted input that the runtime, as root, writes to disk. Every
 * entry must land inside the layer's own directory. Three ways out, all
 * refused before anything is extracted:
 *
 *   "/etc/cron.d/x"               an absolute name
 *   "../../etc/cron.d/x"          a ".." that climbs above the layer root
 *   "evil" -> "/etc", then        an entry written *through* a symlink the same
 *   "evil/cron.d/x"               layer made: the kernel would follow it to the host
 *
 * (The "tar slip" family: container runtimes have fixed more than one bug of
 * this kind.) Along the way this collects the layer's OCI whiteouts, which
 * whiteouts.ts turns into overlayfs ones.
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
import path from 'node:path';
import { ImageError } from './errors.ts';
import type { TarEntry } from './tar.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export interface Whiteouts {
  /** `.wh.NAME` entries, cleaned paths: "etc/.wh.profile" (deletes etc/profile below this layer). */
  files: string[];
  /** `.wh..wh..opq` entries: their directory hides everything below this layer. */
  opaque: string[];
  /** Other `.wh..wh.*` names (AUFS bookkeeping): removed, with no meaning for overlayfs. */
  ignored: string[];
}

/**
 * Checks every entry, in archive order; throws one line for the first that
 * would escape. `what` names the layer in messages.
 */
export function confineEntries(entries: readonly TarEntry[], what: string): Whiteouts {
  const kinds = new Map<string, string>(); // cleaned path → entry type, as the archive builds the tree
  const out: Whiteouts = { files: [], opaque: [], ignored: [] };
  const refuse = (why: string): never => {
    throw new ImageError(`${what} is refused, nothing was unpacked: ${why}`);
  };

  for (const entry of entries) {
    if (!'-dlhcbp'.includes(entry.type)) refuse(`entry ${JSON.stringify(entry.name)} has an unsupported type '${entry.type}'`);
    const name = clean(entry.name, refuse);
    throughSymlink(name, kinds, refuse, entry.name);
    // Writing a file or directory onto a name that is a symlink could follow it: never rely on the extractor here.
    if (kinds.get(name) === 'l' && entry.type !== 'l') refuse(`entry ${JSON.stringify(entry.name)} would replace the symlink made earlier in the layer`);
    let kind = entry.type;
    if (entry.type === 'h') {
      // A hard link names another entry of this layer; that name must be confined too.
      const target = clean(entry.target ?? '', refuse);
      throughSymlink(target, kinds, refuse, entry.target ?? '');
      kind = kinds.get(target) ?? '-';
    }
    kinds.set(name, kind);

    const base = path.posix.basename(name);
    if (!base.startsWith(WHITEOUT_PREFIX)) continue;
    if (kind !== '-') refuse(`whiteout ${JSON.stringify(entry.name)} is not a regular file`); // (a repeated one is a hard link to a file)
    if (base === OPAQUE_MARKER) out.opaque.push(name);
    else if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) out.ignored.push(name);
    else {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') refuse(`whiteout ${JSON.stringify(entry.name)} names no file`);
      out.files.push(name);
    }
  }
  // overlayfs cannot show a file and its own whiteout in one layer (OCI: a whiteout only hides lower layers).
  for (const wh of out.files) {
    const hidden = path.posix.join(path.posix.dirname(wh), path.posix.basename(wh).slice(WHITEOUT_PREFIX.length));
    if (kinds.has(hidden)) refuse(`it has both ${JSON.stringify(hidden)} and its whiteout`);
  }
  // An archive may hold the same name twice (the later one wins); each marker is converted once.
  return { files: [...new Set(out.files)], opaque: [...new Set(out.opaque)], ignored: [...new Set(out.ignored)] };
}

/** "./etc//passwd/" → "etc/passwd"; "." → "" (the layer root). Absolute names and ".." are refused. */
function clean(name: string, refuse: (why: string) => never): string {
  if (name.startsWith('/')) refuse(`entry ${JSON.stringify(name)} is an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse(`entry ${JSON.stringify(name)} contains "..", which could climb out of the layer`);
  return parts.join('/');
}

/** Refuses a path whose parent directories include a symlink made earlier in this layer. */
function throughSymlink(name: string, kinds: Map<string, string>, refuse: (why: string) => never, shown: string): void {
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    if (kinds.get(dir) === 'l') refuse(`entry ${JSON.stringify(shown)} would be written through the symlink ${JSON.stringify(dir)}, which could point out of the layer`);
  }
}
