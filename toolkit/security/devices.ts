/**
 * The device nodes a container gets, and nothing else: a program needs
 * /dev/null and randomness, not the host's disks (/dev/sda), memory
 * (/dev/mem) or kernel log (/dev/kmsg). Numbers from
 * Documentation/admin-guide/devices.txt; the same list as runc's and docker's.
 */

export interface DeviceNode {
  readonly name: string;
  readonly major: number;
  readonly minor: number;
  readonly mode: number;
}

export const DEVICES: readonly DeviceNode[] = [
  { name: 'null', major: 1, minor: 3, mode: 0o666 },
  { name: 'zero', major: 1, minor: 5, mode: 0o666 },
  { name: 'full', major: 1, minor: 7, mode: 0o666 },
  { name: 'random', major: 1, minor: 8, mode: 0o666 },
  { name: 'urandom', major: 1, minor: 9, mode: 0o666 },
  { name: 'tty', major: 5, minor: 0, mode: 0o666 },
];

/** The symlinks every /dev has: /dev/fd and the standard streams, through the caller's own /proc/self. */
export const DEV_SYMLINKS: readonly [string, string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
  ['ptmx', 'pts/ptmx'], // the pseudo-terminal multiplexer of the container's own devpts
];

/** Everything a chapter-7 /dev holds at its top level (for the grader and the lesson). */
export const DEV_ENTRIES: readonly string[] = [...DEVICES.map((d) => d.name), ...DEV_SYMLINKS.map(([n]) => n), 'pts', 'shm'].sort();

/**
 * The devices cgroup's allow list (v1, Documentation/admin-guide/cgroup-v1/devices.rst):
 * "TYPE MAJOR:MINOR ACCESS" with r(ead), w(rite), m(knod). Only the nodes
 * above, and the pseudo-terminals (devpts: major 136, ptmx 5:2).
 */
export function deviceAllowList(): string[] {
  return [
    ...DEVICES.map((d) => `c ${d.major}:${d.minor} rwm`),
    'c 5:2 rwm', // /dev/pts/ptmx
    'c 136:* rwm', // /dev/pts/N
  ];
}
