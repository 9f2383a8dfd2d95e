/**
 * What chapter 7's options ask for, as the runner validated them:
 * --cap-add, --cap-drop, --privileged, --security-opt, --read-only. The
 * capability arithmetic is docker's: start from its 14 defaults, drop, then
 * add (`--cap-drop ALL --cap-add NET_BIND_SERVICE` leaves one).
 */
import { CAPABILITY_NAMES, capabilityMask, capabilityNumber } from '../kernel/capabilities.ts';

export interface Privileges {
  /** Capability names without CAP_, upper case; "ALL" allowed. */
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  /** Every capability, no seccomp, no no_new_privs, no masks or read-only paths, no devices cgroup: the contrast (docker run --privileged). */
  readonly privileged: boolean;
  /** false with --security-opt seccomp=unconfined. */
  readonly seccomp: boolean;
  /** false with --security-opt no-new-privileges=false. */
  readonly noNewPrivileges: boolean;
  /** --read-only: the root filesystem mounted read-only. */
  readonly readOnlyRootfs: boolean;
}

export const DEFAULT_PRIVILEGES: Privileges = { capAdd: [], capDrop: [], privileged: false, seccomp: true, noNewPrivileges: true, readOnlyRootfs: false };

/** Docker's default capabilities (moby oci/caps/defaults.go): CapEff 00000000a80425fb. */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/** "NET_RAW", "net_raw", "CAP_NET_RAW" → "NET_RAW"; "all" → "ALL"; undefined if it names no capability. */
export function normalizeCapability(name: string): string | undefined {
  if (name.toUpperCase() === 'ALL') return 'ALL';
  const n = capabilityNumber(name);
  return n === undefined ? undefined : CAPABILITY_NAMES[n];
}

/**
 * The capabilities the container keeps, as numbers: every one this kernel
 * has (0…lastCap) with --privileged; otherwise docker's defaults, minus
 * --cap-drop, plus --cap-add.
 */
export function keptCapabilities(p: Privileges | undefined, lastCap: number): number[] {
  const all = Array.from({ length: lastCap + 1 }, (_, i) => i);
  const priv = p ?? DEFAULT_PRIVILEGES;
  if (priv.privileged) return all;
  let kept = new Set<number>(DOCKER_DEFAULT_CAPABILITIES.map((n) => capabilityNumber(n)!));
  if (priv.capDrop.includes('ALL')) kept.clear();
  for (const name of priv.capDrop) if (name !== 'ALL') kept.delete(capabilityNumber(name)!);
  if (priv.capAdd.includes('ALL')) kept = new Set(all);
  for (const name of priv.capAdd) if (name !== 'ALL') kept.add(capabilityNumber(name)!);
  return [...kept].filter((c) => c <= lastCap).sort((a, b) => a - b);
}

/** The same set as the mask /proc/PID/status shows. */
export function keptMask(p: Privileges | undefined, lastCap: number): bigint {
  return capabilityMask(keptCapabilities(p, lastCap));
}
