/**
 * Layers are tar archives. The workbook uses the system's GNU tar
 * (tar(1); Debian's `tar` package is Essential, so it is always there) rather
 * than a tar library: it already handles every entry type a root filesystem
 * has — device nodes, hard links, owners, long names — and refuses `..` and
 * writing through symlinks on its own. Our code only reads its listing to
 * check every entry *before* anything is extracted (confine.ts).
 * https://www.gnu.org/software/tar/manual/tar.html
 */
import { execFileSync } from 'node:child_process';
import { ImageError } from './errors.ts';

/** One line of `tar --list --verbose`. */
export interface TarEntry {
  /** The first letter of `ls -l`: '-' file, 'd', 'l' symlink, 'h' hard link, 'c', 'b', 'p'. */
  type: string;
  /** As stored in the archive, not cleaned up (`-P`: tar must not hide a leading "/" or "../" from us). */
  name: string;
  /** Where a symlink points, or what a hard link links to. */
  target?: string;
}

// The C locale and C quoting make the listing parseable: every name is in
// double quotes with C escapes, so " -> " inside a name cannot be mistaken.
const ENV = { ...process.env, LC_ALL: 'C' };
const MAX_OUTPUT = 1 << 30;

export function listTar(tar: Buffer): TarEntry[] {
  const out = run(['--list', '--verbose', '--absolute-names', '--quoting-style=c', '--numeric-owner', '--file=-'], tar, 'list');
  return out.toString('latin1').split('\n').filter(Boolean).map(parseLine);
}

/**
 * Extracts into `dir` as root: owners, modes and device nodes as recorded
 * (--same-owner, --same-permissions), numeric IDs (the image's users are not
 * the host's). Without --absolute-names, so tar's own protections stay on.
 */
export function extractTar(tar: Buffer, dir: string): void {
  run(['--extract', '--numeric-owner', '--same-owner', '--same-permissions', '--directory', dir, '--file=-'], tar, 'extract');
}

/**
 * Archives a directory deterministically: sorted names, owner root, one
 * timestamp — the same tree always gives the same bytes, so the same digest.
 * ustar is the POSIX format OCI asks layers to be readable as.
 */
export function createTar(dir: string, exclude: readonly string[] = []): Buffer {
  return run([
    '--create', '--format=ustar', '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0',
    ...exclude.map((pattern) => `--exclude=${pattern}`), '--directory', dir, '--file=-', '.',
  ], undefined, 'create');
}

function run(args: string[], input: Buffer | undefined, what: string): Buffer {
  try {
    return execFileSync('tar', args, { input, env: ENV, maxBuffer: MAX_OUTPUT, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new ImageError('tar is needed to unpack image layers: apt-get install tar');
    const first = e.stderr?.toString().split('\n').find(Boolean) ?? e.message.split('\n')[0];
    throw new ImageError(`tar could not ${what} the layer: ${first}`);
  }
}

/** `hrw-r--r-- 0/0  0 1970-01-01 00:00 "etc/b" link to "etc/a"` → { type: 'h', name: 'etc/b', target: 'etc/a' } */
function parseLine(line: string): TarEntry {
  const open = line.indexOf('"');
  if (open < 0) throw new ImageError(`unexpected line in the layer's listing: ${line}`);
  const [name, end] = cString(line, open);
  const rest = line.slice(end);
  const entry: TarEntry = { type: line[0]!, name };
  const link = /^ (?:->|link to) /.exec(rest);
  if (link) entry.target = cString(line, end + link[0].length)[0];
  return entry;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, '?': 63 };

/** Decodes the C string starting at the quote at `start`; returns it and the index after its closing quote. */
function cString(line: string, start: number): [string, number] {
  const bytes: number[] = [];
  let i = start + 1;
  while (i < line.length && line[i] !== '"') {
    if (line[i] === '\\') {
      const octal = /^[0-7]{3}/.exec(line.slice(i + 1, i + 4));
      if (octal) {
        bytes.push(parseInt(octal[0], 8));
        i += 4;
      } else {
        bytes.push(ESCAPES[line[i + 1]!] ?? line.charCodeAt(i + 1));
        i += 2;
      }
    } else {
      bytes.push(line.charCodeAt(i));
      i++;
    }
  }
  const buffer = Buffer.from(bytes);
  const text = buffer.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buffer)) throw new ImageError(`a layer entry's name is not UTF-8 (${JSON.stringify(buffer.toString('latin1'))}): not supported`);
  return [text, i + 1];
}
