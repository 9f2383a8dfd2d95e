/**
 * Waiting for children: a process that has exited stays a zombie (state Z in
 * /proc/PID/stat) until its parent collects its status with wait(2). PID 1
 * of a PID namespace is every orphan's parent, so it must collect theirs too.
 * https://man7.org/linux/man-pages/man2/wait.2.html
 *
 * waitid(2) with WNOWAIT looks at a waitable child without collecting it:
 * an init can see *which* child has exited before it decides to reap it.
 */
import koffi from './koffi.ts';
import { check, libc } from './libc.ts';

const ECHILD = 10;

/** idtype_t of waitid(2) — <sys/wait.h>. */
export const P_ALL = 0;
export const P_PID = 1;

/** Options of waitpid(2) and waitid(2) — <linux/wait.h>. */
export const WNOHANG = 0x00000001;
export const WEXITED = 0x00000004;
export const WNOWAIT = 0x01000000;

/** siginfo_t.si_code for SIGCHLD — <asm-generic/siginfo.h>. */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;

/**
 * siginfo_t is 128 bytes; for SIGCHLD si_pid is at offset 16 and si_status at
 * 24 on every 64-bit Linux (the union after three ints is 8-byte aligned).
 */
const SIGINFO_SIZE = 128;

const waitid_ = libc.func('int waitid(int idtype, int id, _Inout_ uint8_t *infop, int options)');
const waitpid_ = libc.func('int waitpid(int pid, _Out_ int *wstatus, int options)');

/** One child that has changed state, as waitid(2) describes it. */
export interface ChildState {
  pid: number;
  /** CLD_EXITED (then `status` is the exit code) or CLD_KILLED/CLD_DUMPED (then the signal). */
  code: number;
  status: number;
}

/**
 * waitid(2): a child matching idtype/id that has exited, or null — with
 * WNOHANG when none has yet, and when there is no child at all (ECHILD).
 */
export function waitid(idtype: number, id: number, options: number): ChildState | null {
  const info = new Uint8Array(SIGINFO_SIZE); // zeroed: with WNOHANG and no child ready, si_pid stays 0
  const result = waitid_(idtype, id, info, options);
  if (result === -1 && koffi.errno() === ECHILD) return null;
  check(result, 'waitid', [idtype === P_ALL ? 'P_ALL' : idtype === P_PID ? 'P_PID' : String(idtype), String(id), waitOptions(options)]);
  const view = new DataView(info.buffer);
  const pid = view.getInt32(16, true);
  if (pid === 0) return null;
  return { pid, code: view.getInt32(8, true), status: view.getInt32(24, true) };
}

/**
 * waitpid(2): collect child `pid` (-1: any child). Returns its pid and the raw
 * wait status, or pid 0 with WNOHANG when it has not changed state yet.
 */
export function waitpid(pid: number, options: number): { pid: number; wstatus: number } {
  const wstatus = [0];
  const got = check(waitpid_(pid, wstatus, options), 'waitpid', [String(pid), waitOptions(options)]);
  return { pid: got, wstatus: wstatus[0]! };
}

function waitOptions(options: number): string {
  const names = [['WNOHANG', WNOHANG], ['WEXITED', WEXITED], ['WNOWAIT', WNOWAIT]] as const;
  const set = names.filter(([, bit]) => (options & bit) !== 0).map(([n]) => n);
  return set.length > 0 ? set.join('|') : '0';
}

