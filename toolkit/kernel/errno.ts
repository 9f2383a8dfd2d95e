/**
 * errno numbers → names. The numbers come from <asm-generic/errno-base.h> and
 * <asm-generic/errno.h>; koffi ships the same table for the running platform,
 * so we invert it rather than copy 134 lines.
 */
import koffi from './koffi.ts';

const byNumber = new Map<number, string>();
for (const [name, value] of Object.entries(koffi.os.errno as Record<string, number>)) {
  // Aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK): keep the first, canonical name.
  if (!byNumber.has(value)) byNumber.set(value, name);
}

/** "EPERM" for 1, "errno 999" for a number the table does not know. */
export function errnoName(errno: number): string {
  return byNumber.get(errno) ?? `errno ${errno}`;
}

/** The number behind a name, e.g. errnoNumber('ENOENT') === 2. */
export function errnoNumber(name: string): number {
  const value = (koffi.os.errno as Record<string, number>)[name];
  if (value === undefined) throw new Error(`unknown errno name ${name}`);
  return value;
}
