/**
 * Raw system call numbers, for the calls glibc has no wrapper for.
 * They differ per architecture: x86_64 keeps its own table
 * (arch/x86/entry/syscalls/syscall_64.tbl), arm64 uses the generic one
 * (include/uapi/asm-generic/unistd.h). Apple-silicon learners run arm64 VMs.
 */
export const SYSCALL_NUMBERS = {
  // Calls added since Linux 5.1 share one number on every architecture (424 and up).
  x64: { pivot_root: 155, seccomp: 317, pidfd_send_signal: 424, pidfd_open: 434, mount_setattr: 442 },
  arm64: { pivot_root: 41, seccomp: 277, pidfd_send_signal: 424, pidfd_open: 434, mount_setattr: 442 },
} as const;

export type SyscallName = keyof (typeof SYSCALL_NUMBERS)['x64'];

/** The number of `name` on `arch` (Node's process.arch spelling: x64, arm64). */
export function syscallNumber(name: SyscallName, arch: string = process.arch): number {
  if (arch !== 'x64' && arch !== 'arm64') {
    throw new Error(`no syscall table for architecture ${arch}: the workbook supports x64 (x86_64) and arm64 (aarch64)`);
  }
  return SYSCALL_NUMBERS[arch][name];
}
