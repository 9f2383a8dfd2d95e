/**
 * The C library, opened once through koffi (https://koffi.dev). Each
 * mechanism file declares the functions it needs with their C prototypes,
 * copied from the man page's SYNOPSIS, and calls them through `check`.
 */
import koffi from './koffi.ts';
import { SyscallError } from './error.ts';

export const libc = koffi.load('libc.so.6');

const strerror = libc.func('const char *strerror(int errnum)');

/**
 * System calls report failure as -1 and leave the reason in errno
 * (see errno(3)). koffi saves errno right after each call, so nothing the
 * JavaScript engine does in between can overwrite it.
 */
export function check(result: number, syscall: string, args: readonly string[]): number {
  if (result === -1) {
    const errno = koffi.errno();
    throw new SyscallError(syscall, errno, args, strerror(errno) as string);
  }
  return result;
}
