/**
 * seccomp(2) with SECCOMP_SET_MODE_FILTER: a small classic-BPF program the
 * kernel runs on every system call the process (and every program it execs)
 * makes. It sees a `struct seccomp_data` — the call's number, the
 * architecture it was made for, its six arguments — and returns a verdict:
 * allow, fail with an errno, or kill.
 * https://man7.org/linux/man-pages/man2/seccomp.2.html
 * https://docs.kernel.org/userspace-api/seccomp_filter.html
 *
 * Node has many threads and a filter belongs to one thread: without
 * SECCOMP_FILTER_FLAG_TSYNC, the libuv threads stay unfiltered until the
 * execve(2). glibc has no wrapper for seccomp(2): a raw syscall(2).
 */
import koffi from './koffi.ts';
import { check, libc } from './libc.ts';
import { syscallNumber } from './syscall-numbers.ts';

/** BPF instruction classes and modes — <linux/bpf_common.h>. */
export const BPF_LD = 0x00;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_ALU = 0x04;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_AND = 0x50;

/** Return values — <linux/seccomp.h>. The high 16 bits are the action, the low 16 its data (an errno). */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

/** seccomp(2) operations and flags — <linux/seccomp.h>. */
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;

/** Architectures as seccomp_data.arch names them — <linux/audit.h>. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_I386 = 0x40000003;

/** Offsets into struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
/** The low 32 bits of argument i (little-endian; x86_64 and arm64 both are). */
export function seccompDataArgLow(i: number): number {
  return 16 + 8 * i;
}

/** One instruction, struct sock_filter: an opcode, two jump offsets (counted from the next instruction), a constant. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** BPF_STMT(code, k) of <linux/filter.h>. */
export function bpfStmt(code: number, k: number): SockFilter {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

/** BPF_JUMP(code, k, jt, jf) of <linux/filter.h>. */
export function bpfJump(code: number, k: number, jt: number, jf: number): SockFilter {
  return { code, jt, jf, k: k >>> 0 };
}

/** The seccomp_data.arch value of the machine we run on (Node's process.arch spelling). */
export function auditArch(arch: string = process.arch): number {
  if (arch === 'x64') return AUDIT_ARCH_X86_64;
  if (arch === 'arm64') return AUDIT_ARCH_AARCH64;
  throw new Error(`no seccomp architecture for ${arch}: the workbook supports x64 (x86_64) and arm64 (aarch64)`);
}

const SockFilterType = koffi.struct('workbook_sock_filter', { code: 'uint16', jt: 'uint8', jf: 'uint8', k: 'uint32' });
const SockFprogType = koffi.struct('workbook_sock_fprog', { len: 'unsigned short', filter: koffi.pointer(SockFilterType) });
const syscall = libc.func('long syscall(long number, ...)');

/** The kernel's limit on one program's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/**
 * Installs `program` for the calling process. The kernel refuses (EACCES)
 * unless no_new_privs is set or the caller has CAP_SYS_ADMIN: a filter could
 * otherwise make a setuid program misbehave. Filters stack and are kept
 * across fork(2) and execve(2); there is no way to remove one.
 */
export function seccompSetModeFilter(program: readonly SockFilter[], flags = SECCOMP_FILTER_FLAG_TSYNC): void {
  const args = ['SECCOMP_SET_MODE_FILTER', flags === SECCOMP_FILTER_FLAG_TSYNC ? 'SECCOMP_FILTER_FLAG_TSYNC' : String(flags), `{len=${program.length}, filter=…}`];
  const result = syscall(syscallNumber('seccomp'), 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags,
    koffi.pointer(SockFprogType), { len: program.length, filter: [...program] });
  // With TSYNC, a positive result is the ID of a thread that could not be synchronised.
  if (Number(result) > 0) throw new Error(`seccomp(${args.join(', ')}): thread ${result} could not be synchronised`);
  check(Number(result), 'seccomp', args);
}

const CLASS = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'ret', 'misc'];

/** The program as text, one instruction a line, the way bpf_dbg and seccomp-tools show it. */
export function disassemble(program: readonly SockFilter[], names: (k: number) => string = () => ''): string {
  return program.map((ins, i) => {
    const at = String(i).padStart(3, '0');
    const cls = CLASS[ins.code & 0x07];
    let text: string;
    if (cls === 'ld' && (ins.code & 0xe0) === BPF_ABS) {
      text = `ld  [${ins.k}]${ins.k === SECCOMP_DATA_NR ? '            ; seccomp_data.nr' : ins.k === SECCOMP_DATA_ARCH ? '            ; seccomp_data.arch' : ins.k >= 16 ? `            ; args[${(ins.k - 16) / 8}] (low 32 bits)` : ''}`;
    } else if (cls === 'alu' && (ins.code & 0xf0) === BPF_AND) {
      text = `and #0x${ins.k.toString(16)}`;
    } else if (cls === 'jmp') {
      const op = { [BPF_JEQ]: 'jeq', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' }[ins.code & 0xf0] ?? 'j?';
      const name = names(ins.k);
      text = `${op} #0x${ins.k.toString(16)}, ${String(i + 1 + ins.jt).padStart(3, '0')}, ${String(i + 1 + ins.jf).padStart(3, '0')}${name ? `    ; ${name}` : ''}`;
    } else if (cls === 'ret') {
      text = `ret #0x${ins.k.toString(16).padStart(8, '0')}    ; ${verdictName(ins.k)}`;
    } else {
      text = `code 0x${ins.code.toString(16)} k 0x${ins.k.toString(16)}`;
    }
    return `${at}: ${text}`;
  }).join('\n');
}

/** "ERRNO(1)", "ALLOW", "KILL_PROCESS" for a return value. */
export function verdictName(k: number): string {
  const action = (k & 0xffff0000) >>> 0;
  const data = k & 0xffff;
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS: return 'KILL_PROCESS';
    case SECCOMP_RET_KILL_THREAD: return 'KILL_THREAD';
    case SECCOMP_RET_TRAP: return 'TRAP';
    case SECCOMP_RET_ERRNO: return `ERRNO(${data})`;
    case SECCOMP_RET_LOG: return 'LOG';
    case SECCOMP_RET_ALLOW: return 'ALLOW';
    default: return `0x${action.toString(16)}`;
  }
}
