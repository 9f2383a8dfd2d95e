/**
 * Which host IDs mapped mode (the runner is root) gives a container. They
 * must be IDs nobody else uses: a login user with the same range in
 * /etc/subuid would own the container's files on the host and could signal
 * or trace its processes (that user's rootless containers share the uids).
 *
 * useradd(8) hands out 65536-ID ranges from SUB_UID_MIN to SUB_UID_MAX
 * (/etc/login.defs; 100000 to 600100000 by default), lowest free first — so
 * the textbook choice 100000 is exactly what the first user made with
 * useradd gets. The workbook takes its range above that pool, where useradd
 * never allocates, and skips anything /etc/subuid or /etc/subgid grants to
 * anyone: 1000000000–1000065535 on a default system.
 * https://man7.org/linux/man-pages/man5/subuid.5.html
 * https://man7.org/linux/man-pages/man5/login.defs.5.html
 */
import fs from 'node:fs';
import type { IdMapping } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';

const COUNT = 65536;
/** A round number above useradd's default pool (SUB_UID_MAX 600100000), easy to recognise in `ls -ln`. */
const PREFERRED = 1_000_000_000;
const HIGHEST = 2 ** 32 - 1; // (uid_t)-1 is "no ID" and cannot be mapped

export interface Range {
  first: number;
  count: number;
  owner: string;
}

/** The ranges /etc/subuid and /etc/subgid grant, to anyone. */
export function grantedToAnyone(): Range[] {
  return ['/etc/subuid', '/etc/subgid'].flatMap((file) => {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').flatMap((line) => {
      const [owner = '', first, count] = line.trim().split(':');
      if (!/^\d+$/.test(first ?? '') || !/^\d+$/.test(count ?? '')) return [];
      return [{ first: Number(first), count: Number(count), owner: `${owner} (${file})` }];
    });
  });
}

/** The top of useradd's pool: the larger of SUB_UID_MAX and SUB_GID_MAX in /etc/login.defs (their defaults if unset). */
export function userAddPoolEnd(): number {
  let text = '';
  try {
    text = fs.readFileSync('/etc/login.defs', 'utf8');
  } catch {
    // no login.defs: useradd's built-in defaults
  }
  const value = (key: string, fallback: number) => Number(new RegExp(`^\\s*${key}\\s+(\\d+)`, 'm').exec(text)?.[1] ?? fallback);
  return Math.max(value('SUB_UID_MAX', 600100000), value('SUB_GID_MAX', 600100000));
}

let chosen: IdMapping | undefined;

/**
 * Container IDs 0–65535 → host IDs FIRST–FIRST+65535, the same FIRST for
 * uids and gids: the first 65536-aligned block at or above 1000000000 (and
 * above useradd's pool) that no /etc/subuid or /etc/subgid line overlaps.
 */
export function mappedRange(): IdMapping {
  chosen ??= chooseRange(grantedToAnyone(), userAddPoolEnd());
  return chosen;
}

/** The choice itself, from what is granted and where useradd's pool ends. */
export function chooseRange(taken: readonly Range[], poolEnd: number): IdMapping {
  const start = Math.max(PREFERRED, Math.ceil((poolEnd + 1) / COUNT) * COUNT);
  for (let first = start; first + COUNT <= HIGHEST; first += COUNT) {
    if (!taken.some((r) => first < r.first + r.count && r.first < first + COUNT)) return { inside: 0, outside: first, count: COUNT };
  }
  throw new UsageError(`no free range of ${COUNT} host IDs above ${start} for mapped mode: /etc/subuid and /etc/subgid grant them all; give one with --uidmap and --gidmap`);
}
