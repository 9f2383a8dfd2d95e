/**
 * Which IDs a container's user namespace maps, and to what on the host.
 * Each line of /proc/PID/uid_map (and gid_map) reads "INSIDE OUTSIDE COUNT":
 * COUNT IDs from INSIDE in the namespace are the IDs from OUTSIDE in the
 * parent namespace — here, the host. An ID that no line covers does not
 * exist inside; files owned by it show up as the overflow ID 65534 (nobody).
 * https://man7.org/linux/man-pages/man7/user_namespaces.7.html ("User and group ID mappings")
 */
import type { Container, IdMapping } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';

export type IdKind = 'uid' | 'gid';

/**
 * Mapped mode's default (the runner is root): container IDs 0–65535 are host
 * IDs 100000–165535, so root inside is the unprivileged uid 100000 outside.
 * A fixed, documented range keeps the lesson's numbers true on every machine.
 * A real runtime reserves its range in /etc/subuid for a user of its own
 * (docker: "dockremap"), so that no login user is ever given the same IDs.
 */
export const MAPPED_RANGE: IdMapping = { inside: 0, outside: 100000, count: 65536 };

/** Rootless mode: the runner is an ordinary user, who may map only what the kernel and /etc/subuid allow. */
export function rootless(): boolean {
  return process.geteuid?.() !== 0;
}

/** The runner's own (effective) uid or gid on the host. */
export function ownId(kind: IdKind): number {
  return kind === 'uid' ? process.geteuid!() : process.getegid!();
}

/**
 * The maps given with --uidmap / --gidmap, or the default: MAPPED_RANGE as
 * root; without root, the runner's own ID as 0 — the one map an ordinary
 * user may write without help. Container root must be mapped: nsexec becomes
 * uid and gid 0 inside.
 */
export function idMapsFor(c: Container, kind: IdKind): readonly IdMapping[] {
  const given = kind === 'uid' ? c.uidMap : c.gidMap;
  const maps = given.length > 0 ? given : rootless() ? [{ inside: 0, outside: ownId(kind), count: 1 }] : [MAPPED_RANGE];
  if (!maps.some((m) => m.inside === 0)) {
    throw new UsageError(`Expected --${kind}map to map ${kind} 0 inside (the container's root, which nsexec becomes), got ${maps.map(spell).join(' ')}`);
  }
  return maps;
}

/**
 * Whether the runner may write this map itself. Root (CAP_SETUID / CAP_SETGID
 * on the host) may write any map. Anyone else, only a single line that maps
 * their own ID, once (user_namespaces(7), rule 4 under "Defining user and group
 * ID mappings"); for more, the setuid helpers newuidmap/newgidmap (new-id-map.ts).
 */
export function canWriteIdMap(kind: IdKind, maps: readonly IdMapping[]): boolean {
  if (!rootless()) return true;
  return maps.length === 1 && maps[0]!.outside === ownId(kind) && maps[0]!.count === 1;
}

/** A mapping as the command line spells it: INSIDE:OUTSIDE:COUNT. */
export function spell(m: IdMapping): string {
  return `${m.inside}:${m.outside}:${m.count}`;
}
