/**
 * flock(2) puts an advisory lock on an open file. The kernel keeps it for the
 * open file description and drops it when that is closed — also when the
 * process dies, however it dies — so a runner killed with SIGKILL never
 * leaves the lock held. "Advisory": it stops only those who ask for it too.
 * https://man7.org/linux/man-pages/man2/flock.2.html
 */
import { type FlagTable, flagNames } from './constants.ts';
import { errnoNumber } from './errno.ts';
import { SyscallError } from './error.ts';
import { check, libc } from './libc.ts';

/** flock(2) operations — <sys/file.h>. */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

const LOCK_FLAGS: FlagTable = { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN };

const flock_ = libc.func('int flock(int fd, int operation)');

/** Blocks until the lock is granted (unless LOCK_NB); `what` names the file in an error message. */
export function flock(fd: number, operation: number, what = `fd ${fd}`): void {
  for (;;) {
    try {
      check(flock_(fd, operation), 'flock', [what, flagNames(operation, LOCK_FLAGS)]);
      return;
    } catch (error) {
      // A signal handler ran while we waited (signal(7), "interrupted system calls"): wait again.
      if (error instanceof SyscallError && error.errno === errnoNumber('EINTR')) continue;
      throw error;
    }
  }
}
