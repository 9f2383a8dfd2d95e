/**
 * prctl(2) settings a container's first process needs.
 * https://man7.org/linux/man-pages/man2/prctl.2.html
 */
import { PR_SET_PDEATHSIG } from './constants.ts';
import { check, libc } from './libc.ts';

const prctl_ = libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');

/**
 * Ask the kernel to send `signal` to us when our parent (the runner) dies, so
 * a killed runner never leaves a container behind. It survives execve(2).
 */
export function setParentDeathSignal(signal: number): void {
  check(prctl_(PR_SET_PDEATHSIG, signal, 0, 0, 0), 'prctl', ['PR_SET_PDEATHSIG', String(signal)]);
}
