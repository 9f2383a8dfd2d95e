/**
 * The paths of /proc and /sys a container must not read or write, as runc
 * and docker list them (runc's `runc spec`, moby's oci/defaults.go). /proc
 * and /sys are not namespaced as a whole: many of their files are the
 * host's kernel, seen from anywhere.
 */
import fs from 'node:fs';

/** Hidden entirely: a file gets /dev/null bound over it, a directory an empty read-only tmpfs. */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore', // the host's physical memory, as an ELF core file
  '/proc/keys', // every key in the kernel's keyrings that the caller may see
  '/proc/latency_stats',
  '/proc/timer_list', // the host's timers, with their processes' PIDs and addresses
  '/proc/timer_stats',
  '/proc/sched_debug', // every task on the host
  '/proc/scsi',
  '/sys/firmware', // ACPI tables, EFI variables (some writable)
] as const;

/** Readable but not writable: bound onto themselves, then remounted read-only. */
export const READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys', // sysctls: kernel.core_pattern runs a program of the writer's choice as host root
  '/proc/sysrq-trigger', // one letter reboots or crashes the host
] as const;

export type PathKind = 'file' | 'directory' | 'absent';

/**
 * What is at `p` right now. Kernels differ: this one has no /proc/kcore, a
 * learner's Debian kernel has one. A path that is absent needs no mask —
 * it is its own answer, not an error.
 */
export function pathKind(p: string): PathKind {
  try {
    return fs.statSync(p).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

/**
 * Whether something is mounted on the directory `p`: a mount point's st_dev
 * is its own filesystem's, not its parent's (stat(2); mountpoint(1) does the
 * same). Chapter 3 mounts a sysfs at the rootfs's /sys on cgroup v2.
 */
export function isMountPoint(p: string): boolean {
  return fs.statSync(p).dev !== fs.statSync(`${p}/..`).dev;
}
