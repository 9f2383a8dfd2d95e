/**
 * prctl(2) switches of a process's privileges: no_new_privs, keep-capabilities
 * across a uid change, the capability bounding set and the ambient set.
 * https://man7.org/linux/man-pages/man2/prctl.2.html
 */
import { check, libc } from './libc.ts';

const prctl_ = libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');

/** prctl(2) options — <linux/prctl.h>. */
export const PR_SET_KEEPCAPS = 8;
export const PR_GET_SECCOMP = 21;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

const NAMES: Record<number, string> = {
  [PR_SET_KEEPCAPS]: 'PR_SET_KEEPCAPS', [PR_GET_SECCOMP]: 'PR_GET_SECCOMP', [PR_CAPBSET_READ]: 'PR_CAPBSET_READ',
  [PR_CAPBSET_DROP]: 'PR_CAPBSET_DROP', [PR_SET_NO_NEW_PRIVS]: 'PR_SET_NO_NEW_PRIVS', [PR_GET_NO_NEW_PRIVS]: 'PR_GET_NO_NEW_PRIVS',
  [PR_CAP_AMBIENT]: 'PR_CAP_AMBIENT',
};

/** prctl(option, arg2, …): the result, or a SyscallError naming the option. */
export function prctl(option: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0): number {
  const args = [NAMES[option] ?? String(option), ...[arg2, arg3, arg4, arg5].filter((a, i, all) => all.slice(i).some((x) => x !== 0)).map(String)];
  return check(prctl_(option, arg2, arg3, arg4, arg5), 'prctl', args);
}

/**
 * Sets no_new_privs: from now on, and in every program exec'd after, execve(2)
 * grants nothing the caller does not already have — a setuid bit or a file
 * capability is ignored. It can never be unset; children inherit it.
 * Documentation/userspace-api/no_new_privs.rst
 */
export function setNoNewPrivs(): void {
  prctl(PR_SET_NO_NEW_PRIVS, 1);
}

/** Whether the permitted capabilities survive a change of uid away from 0 (capabilities(7), "Effect of user ID changes"). */
export function setKeepCaps(keep: boolean): void {
  prctl(PR_SET_KEEPCAPS, keep ? 1 : 0);
}
