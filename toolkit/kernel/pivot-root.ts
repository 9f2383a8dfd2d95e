/**
 * pivot_root(2) swaps the root mount of the caller's mount namespace:
 * new_root becomes "/", the old root is moved to put_old, where it can then
 * be unmounted — unlike chroot(2), nothing of the host stays reachable.
 * https://man7.org/linux/man-pages/man2/pivot_root.2.html
 *
 * glibc has no wrapper, so we make the raw system call with syscall(2); its
 * number differs per architecture (see syscall-numbers.ts).
 */
import { quote } from './error.ts';
import { refuseInHostNamespace } from './guard.ts';
import { check, libc } from './libc.ts';
import { syscallNumber } from './syscall-numbers.ts';

const syscall = libc.func('long syscall(long number, ...)');

export function pivotRoot(newRoot: string, putOld: string): void {
  refuseInHostNamespace('mnt', `pivot_root(${quote(newRoot)}, ${quote(putOld)})`);
  const result = syscall(syscallNumber('pivot_root'), 'const char *', newRoot, 'const char *', putOld);
  check(Number(result), 'pivot_root', [quote(newRoot), quote(putOld)]);
}
