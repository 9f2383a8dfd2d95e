/**
 * The system calls chapter 7's seccomp filter refuses, and their numbers on
 * each architecture (x86_64: arch/x86/entry/syscalls/syscall_64.tbl; arm64:
 * include/uapi/asm-generic/unistd.h). Modelled on docker's default profile
 * (moby/profiles/seccomp/default.json), which allows about 350 calls and
 * refuses the rest; a deny list is shorter to read and names the danger:
 * each of these reaches kernel state that a container's namespaces do not
 * isolate, or is a known path to an escape.
 */

export interface DeniedSyscall {
  readonly name: string;
  /** undefined: the call does not exist on that architecture. */
  readonly x64?: number;
  readonly arm64?: number;
  /** Why a container must not have it. */
  readonly why: string;
}

export const DENIED_SYSCALLS: readonly DeniedSyscall[] = [
  { name: 'mount', x64: 165, arm64: 40, why: 'new mounts: a proc, sysfs or cgroupfs without the masks' },
  { name: 'umount2', x64: 166, arm64: 39, why: 'unmounting a mask uncovers what it hid' },
  { name: 'pivot_root', x64: 155, arm64: 41, why: 'changes the root mount' },
  { name: 'open_tree', x64: 428, arm64: 428, why: 'the new mount API: same powers as mount' },
  { name: 'move_mount', x64: 429, arm64: 429, why: 'the new mount API' },
  { name: 'fsopen', x64: 430, arm64: 430, why: 'the new mount API' },
  { name: 'fsconfig', x64: 431, arm64: 431, why: 'the new mount API' },
  { name: 'fsmount', x64: 432, arm64: 432, why: 'the new mount API' },
  { name: 'fspick', x64: 433, arm64: 433, why: 'the new mount API' },
  { name: 'mount_setattr', x64: 442, arm64: 442, why: 'clears MS_RDONLY on a mount' },
  { name: 'unshare', x64: 272, arm64: 97, why: 'new namespaces: a user namespace gives back every capability, inside it' },
  { name: 'setns', x64: 308, arm64: 268, why: 'joining another namespace' },
  { name: 'keyctl', x64: 250, arm64: 219, why: 'the kernel keyring is not namespaced: other users\' keys' },
  { name: 'add_key', x64: 248, arm64: 217, why: 'the kernel keyring' },
  { name: 'request_key', x64: 249, arm64: 218, why: 'the kernel keyring' },
  { name: 'bpf', x64: 321, arm64: 280, why: 'loads programs into the kernel; reads kernel memory' },
  { name: 'perf_event_open', x64: 298, arm64: 241, why: 'watches other processes and the kernel' },
  { name: 'ptrace', x64: 101, arm64: 117, why: 'reads and writes another process; once bypassed seccomp itself' },
  { name: 'process_vm_readv', x64: 310, arm64: 270, why: 'reads another process\'s memory' },
  { name: 'process_vm_writev', x64: 311, arm64: 271, why: 'writes another process\'s memory' },
  { name: 'kexec_load', x64: 246, arm64: 104, why: 'boots a new kernel' },
  { name: 'kexec_file_load', x64: 320, arm64: 294, why: 'boots a new kernel' },
  { name: 'init_module', x64: 175, arm64: 105, why: 'loads code into the host\'s kernel' },
  { name: 'finit_module', x64: 313, arm64: 273, why: 'loads code into the host\'s kernel' },
  { name: 'delete_module', x64: 176, arm64: 106, why: 'unloads the host\'s modules' },
  { name: 'open_by_handle_at', x64: 304, arm64: 265, why: 'opens host files by inode, past the root: the 2014 "shocker" escape' },
  { name: 'reboot', x64: 169, arm64: 142, why: 'reboots the host' },
  { name: 'swapon', x64: 167, arm64: 224, why: 'the host\'s swap' },
  { name: 'swapoff', x64: 168, arm64: 225, why: 'the host\'s swap' },
  { name: 'acct', x64: 163, arm64: 89, why: 'process accounting for the whole host' },
  { name: 'settimeofday', x64: 164, arm64: 170, why: 'the clock is not namespaced' },
  { name: 'clock_settime', x64: 227, arm64: 112, why: 'the clock is not namespaced' },
  { name: 'clock_adjtime', x64: 305, arm64: 266, why: 'the clock is not namespaced' },
  { name: 'adjtimex', x64: 159, arm64: 171, why: 'the clock is not namespaced' },
  { name: 'syslog', x64: 103, arm64: 116, why: 'the kernel log holds addresses and other containers\' messages' },
  { name: 'quotactl', x64: 179, arm64: 60, why: 'the host\'s disk quotas' },
  { name: 'lookup_dcookie', x64: 212, arm64: 18, why: 'kernel profiling' },
  { name: 'userfaultfd', x64: 323, arm64: 282, why: 'pauses the kernel at will: a favourite of kernel exploits' },
  { name: 'vhangup', x64: 153, arm64: 58, why: 'hangs up the terminal' },
  { name: 'iopl', x64: 172, why: 'direct I/O port access (x86)' },
  { name: 'ioperm', x64: 173, why: 'direct I/O port access (x86)' },
  { name: 'uselib', x64: 134, why: 'an obsolete loader with a history of bugs (x86)' },
];

/** clone(2) with any of these flags makes namespaces: the filter refuses it as it refuses unshare. <linux/sched.h> */
export const CLONE_NAMESPACE_FLAGS = 0x7e020080; // NEWTIME|NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

/** clone(2) and clone3(2) numbers. clone3 passes its flags in memory a filter cannot read: refuse it with ENOSYS, so libc falls back to clone. */
export const CLONE = { x64: 56, arm64: 220 } as const;
export const CLONE3 = { x64: 435, arm64: 435 } as const;

/** On x86_64, a number with this bit set is the x32 ABI's copy of a call: the same kernel code under another number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** The denied calls' numbers on `arch` (x64 or arm64). */
export function deniedNumbers(arch: 'x64' | 'arm64'): { name: string; nr: number }[] {
  return DENIED_SYSCALLS.flatMap((s) => (s[arch] === undefined ? [] : [{ name: s.name, nr: s[arch]! }]));
}

/** The name of syscall `nr` on `arch`, if it is one of ours (for disassembly). */
export function syscallName(arch: 'x64' | 'arm64', nr: number): string {
  if (nr === CLONE[arch]) return 'clone';
  if (nr === CLONE3[arch]) return 'clone3';
  return DENIED_SYSCALLS.find((s) => s[arch] === nr)?.name ?? '';
}
