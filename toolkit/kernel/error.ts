/**
 * One error type for every failed system call. Its message reads like a line
 * of strace: the call, its arguments (flags as names), the errno name and the
 * C library's explanation:
 *
 *   mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC): EPERM (Operation not permitted)
 */
import { errnoName } from './errno.ts';

export class SyscallError extends Error {
  override readonly name = 'SyscallError';

  constructor(
    /** The system call, as in its man page: "mount", "pivot_root". */
    readonly syscall: string,
    /** The errno number the kernel returned. */
    readonly errno: number,
    /** The arguments, already formatted (quoted paths, flag names). */
    readonly args: readonly string[],
    /** strerror(3) text, if known. */
    readonly description?: string,
  ) {
    super(`${syscall}(${args.join(', ')}): ${errnoName(errno)}${description ? ` (${description})` : ''}`);
  }

  /** The errno name: "EPERM", "EINVAL"… */
  get code(): string {
    return errnoName(this.errno);
  }
}

export function isSyscallError(error: unknown, code?: string): error is SyscallError {
  return error instanceof SyscallError && (code === undefined || error.code === code);
}

/** A path or string argument, quoted the way strace shows it. */
export function quote(value: string | null): string {
  return value === null ? 'NULL' : JSON.stringify(value);
}
