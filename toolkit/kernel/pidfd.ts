/**
 * A PID names a process only while it lives: once it is gone and reaped, the
 * kernel hands the same number to the next process (pid_max wraps). A pidfd
 * is a file descriptor for one process itself: signals sent through it reach
 * that process or fail with ESRCH, never a newcomer with the same number.
 * https://man7.org/linux/man-pages/man2/pidfd_open.2.html
 * https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html
 *
 * glibc 2.36 has wrappers, older ones do not: the raw system call works everywhere.
 */
import { check, libc } from './libc.ts';
import { syscallNumber } from './syscall-numbers.ts';

const syscall = libc.func('long syscall(long number, ...)');

/** pidfd_open(pid, 0): a descriptor for the process that has this PID now. */
export function pidfdOpen(pid: number): number {
  return check(Number(syscall(syscallNumber('pidfd_open'), 'int', pid, 'unsigned int', 0)), 'pidfd_open', [String(pid), '0']);
}

/** pidfd_send_signal(pidfd, sig, NULL, 0). */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  check(Number(syscall(syscallNumber('pidfd_send_signal'), 'int', pidfd, 'int', signal, 'void *', null, 'unsigned int', 0)), 'pidfd_send_signal', [String(pidfd), String(signal), 'NULL', '0']);
}
