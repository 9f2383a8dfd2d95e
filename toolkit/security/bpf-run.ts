/**
 * A classic-BPF interpreter for seccomp programs: runs a filter on one
 * `struct seccomp_data` the way the kernel's does (kernel/seccomp.c, after
 * seccomp_check_filter), for the instructions seccomp accepts. The lesson
 * and the grader use it to ask a program "what would you answer to mount(2)
 * called from a 32-bit i386 program?" — a question this machine's kernel,
 * built without 32-bit emulation, cannot be asked for real.
 */
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_JSET, BPF_LD, BPF_RET,
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, seccompDataArgLow, type SockFilter,
} from '../kernel/seccomp.ts';

export interface SeccompData {
  nr: number;
  arch: number;
  /** Low 32 bits of each argument. */
  args?: readonly number[];
}

function load(data: SeccompData, offset: number): number {
  if (offset === SECCOMP_DATA_NR) return data.nr >>> 0;
  if (offset === SECCOMP_DATA_ARCH) return data.arch >>> 0;
  for (let i = 0; i < 6; i++) if (offset === seccompDataArgLow(i)) return (data.args?.[i] ?? 0) >>> 0;
  if (offset >= 16 && offset < 64) return 0; // high halves of the arguments
  throw new Error(`ld [${offset}]: outside struct seccomp_data`);
}

/** The program's return value for `data`; throws on what the kernel would refuse to load. */
export function runFilter(program: readonly SockFilter[], data: SeccompData): number {
  let a = 0;
  for (let pc = 0, steps = 0; pc < program.length && steps < 10_000; steps++) {
    const ins = program[pc]!;
    const cls = ins.code & 0x07;
    if (cls === BPF_LD && (ins.code & 0xe0) === BPF_ABS) {
      a = load(data, ins.k);
      pc++;
    } else if (cls === BPF_ALU && (ins.code & 0xf0) === BPF_AND) {
      a = (a & ins.k) >>> 0;
      pc++;
    } else if (cls === BPF_JMP) {
      const op = ins.code & 0xf0;
      const taken = op === BPF_JEQ ? a === ins.k >>> 0 : op === BPF_JGE ? a >= ins.k >>> 0 : op === BPF_JSET ? (a & ins.k) !== 0 : (() => { throw new Error(`jump 0x${ins.code.toString(16)} at ${pc}: not supported here`); })();
      pc += 1 + (taken ? ins.jt : ins.jf);
    } else if (cls === BPF_RET) {
      return ins.k >>> 0;
    } else {
      throw new Error(`instruction 0x${ins.code.toString(16)} at ${pc}: not supported here`);
    }
  }
  throw new Error('the program ran off its end without a ret: the kernel refuses to load it (EINVAL)');
}
