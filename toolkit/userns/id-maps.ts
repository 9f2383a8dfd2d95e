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
import { mappedRange } from './mapped-range.ts';

export type IdKind = 'uid' | 'gid';

/** Rootless mode: the runner is an ordinary user, who may map only what the kernel and /etc/subuid allow. */
export function rootless(): boolean {
  return process.geteuid?.() !== 0;
}

/** The runner's own (effective) uid or gid on the host. */
export function ownId(kind: IdKind): number {
  return kind === 'uid' ? process.geteuid!() : process.getegid!();
}

/** The option that lets a map include host uid or gid 0 — named so that nobody passes it by accident. */
export const UNSAFE_HOST_ROOT = '--unsafe-map-host-root';

/**
 * A map that includes host ID 0 makes the host's root (or group root) an ID
 * inside: with root inside being host root, the container may write the
 * shared rootfs and every root-owned file it can reach, and open
 * /proc/sys/kernel/core_pattern for writing. Refused unless UNSAFE_HOST_ROOT is given.
 */
export function refuseHostRoot(kind: IdKind, maps: readonly IdMapping[], allowed: boolean): void {
  const m = maps.find((x) => x.outside === 0);
  if (m === undefined || allowed) return;
  throw new UsageError(
    `--${kind}map ${spell(m)}: refused, it maps host ${kind} 0 (the host's root) into the container, which would then be root on the host, user namespace or not; pass ${UNSAFE_HOST_ROOT} if that is truly meant`,
  );
}

/**
 * The maps given with --uidmap / --gidmap, or the default: mappedRange() as
 * root; without root, the runner's own ID as 0 — the one map an ordinary
 * user may write without help. Container root must be mapped: nsexec becomes
 * uid and gid 0 inside.
 */
export function idMapsFor(c: Pick<Container, 'uidMap' | 'gidMap'>, kind: IdKind): readonly IdMapping[] {
  const given = kind === 'uid' ? c.uidMap : c.gidMap;
  const maps = given.length > 0 ? given : rootless() ? [{ inside: 0, outside: ownId(kind), count: 1 }] : [mappedRange()];
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

/**
 * Refuses, in one line, an ID that no line of `maps` covers inside: the container cannot take it,
 * setresuid(2) / setresgid(2) to it fail with EINVAL in that user namespace. `what` names where
 * the ID came from ("--user 70000").
 */
export function requireMapped(kind: IdKind, ids: readonly number[], maps: readonly IdMapping[], what: string): void {
  const missing = ids.find((id) => !maps.some((m) => id >= m.inside && id < m.inside + m.count));
  if (missing === undefined) return;
  const mapped = maps.map((m) => `${m.inside}-${m.inside + m.count - 1}`).join(', ');
  throw new UsageError(`${what}: ${kind} ${missing} is not mapped in the container's user namespace (its ${kind}_map maps ${mapped}), so set${kind === 'uid' ? 'resuid' : 'resgid'}(2) would fail with EINVAL`);
}
