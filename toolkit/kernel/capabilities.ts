/**
 * Capabilities split root's power into about 40 pieces (capabilities(7)). Each
 * thread has five sets of them, bit masks shown in /proc/PID/status:
 *
 *   CapBnd  bounding     the most the thread — and every program it execs — can ever get
 *   CapPrm  permitted    what it may turn on
 *   CapEff  effective    what the kernel checks right now
 *   CapInh  inheritable  what may pass through an execve(2) to a program with file capabilities
 *   CapAmb  ambient      what passes through execve(2) to any program that is not setuid
 *
 * Across execve(2), for root (or a setuid-root program) the kernel treats the
 * file's sets as all ones: the new permitted set is inheritable | bounding. So
 * a container's root is what its bounding set and inheritable set make it.
 * https://man7.org/linux/man-pages/man7/capabilities.7.html
 * https://man7.org/linux/man-pages/man2/capset.2.html
 */
import fs from 'node:fs';
import { check, libc } from './libc.ts';
import { PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, prctl } from './prctl.ts';

/** Capability numbers — <linux/capability.h>, in order: CAP_CHOWN is bit 0. */
export const CAPABILITY_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** The number of a capability, from "NET_RAW", "net_raw" or "CAP_NET_RAW"; undefined if there is none. */
export function capabilityNumber(name: string): number | undefined {
  const n = CAPABILITY_NAMES.indexOf(name.toUpperCase().replace(/^CAP_/, '') as CapabilityName);
  return n < 0 ? undefined : n;
}

/** The highest capability this kernel knows (newer kernels add some): /proc/sys/kernel/cap_last_cap. */
export function lastCapability(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

/** A set of capability numbers as the bit mask /proc/PID/status shows: 14 of them → 00000000a80425fb. */
export function capabilityMask(caps: Iterable<number>): bigint {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(cap);
  return mask;
}

/** The capability numbers in a mask, lowest first. */
export function capabilitiesIn(mask: bigint): number[] {
  const caps: number[] = [];
  for (let cap = 0; mask >> BigInt(cap) !== 0n; cap++) if ((mask >> BigInt(cap)) & 1n) caps.push(cap);
  return caps;
}

/** "CHOWN DAC_OVERRIDE …" for a mask, for messages. */
export function capabilityNames(mask: bigint): string {
  return capabilitiesIn(mask).map((c) => CAPABILITY_NAMES[c] ?? `cap${c}`).join(' ') || '(none)';
}

/** Removes `cap` from the calling thread's bounding set, for good. Needs CAP_SETPCAP. */
export function dropBoundingCapability(cap: number): void {
  prctl(PR_CAPBSET_DROP, cap);
}

/** Whether `cap` is still in the calling thread's bounding set. */
export function inBoundingSet(cap: number): boolean {
  return prctl(PR_CAPBSET_READ, cap) === 1;
}

/** Empties the ambient set (prctl(2), PR_CAP_AMBIENT_CLEAR_ALL). */
export function clearAmbientCapabilities(): void {
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
}

/**
 * capset(2) and capget(2) talk in a header and two 32-bit halves of each set
 * (version 3, _LINUX_CAPABILITY_VERSION_3, since capabilities outgrew 32 bits).
 * glibc has the wrappers; the structures are plain bytes here.
 */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

const capset_ = libc.func('int capset(void *hdrp, const void *datap)');
const capget_ = libc.func('int capget(void *hdrp, void *datap)');

export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

function header(): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0); // pid 0: the calling thread
  return h;
}

/**
 * Sets the calling thread's effective, permitted and inheritable sets. The
 * kernel allows lowering any of them, raising effective only within
 * permitted, and inheritable only within permitted and bounding. Lowering
 * permitted or inheritable also takes those bits out of the ambient set.
 */
export function capset(sets: CapabilitySets): void {
  const data = Buffer.alloc(24); // struct __user_cap_data_struct[2]: {effective, permitted, inheritable} × (bits 0–31, 32–63)
  (['effective', 'permitted', 'inheritable'] as const).forEach((set, i) => {
    data.writeUInt32LE(Number(sets[set] & 0xffffffffn), i * 4);
    data.writeUInt32LE(Number((sets[set] >> 32n) & 0xffffffffn), 12 + i * 4);
  });
  const args = [`{version=0x${LINUX_CAPABILITY_VERSION_3.toString(16)}, pid=0}`,
    `{effective=${hex(sets.effective)}, permitted=${hex(sets.permitted)}, inheritable=${hex(sets.inheritable)}}`];
  check(capset_(header(), data), 'capset', args);
}

export function capget(): CapabilitySets {
  const data = Buffer.alloc(24);
  check(capget_(header(), data), 'capget', ['{version=0x20080522, pid=0}']);
  const read = (i: number) => BigInt(data.readUInt32LE(i * 4)) | (BigInt(data.readUInt32LE(12 + i * 4)) << 32n);
  return { effective: read(0), permitted: read(1), inheritable: read(2) };
}

/** A mask as /proc/PID/status prints it: 16 hex digits. */
export function hex(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}
