/**
 * /proc/PID/uid_map, gid_map and setgroups are written from outside the
 * namespace, each with a single write(2): the kernel parses the whole map from
 * that one write, and a map can be written only once in a namespace's life
 * (a second write gets EPERM). See user_namespaces(7).
 * https://man7.org/linux/man-pages/man7/user_namespaces.7.html
 */
import fs from 'node:fs';
import util from 'node:util';
import { SyscallError, quote } from '../kernel/error.ts';
import { errnoNumber } from '../kernel/errno.ts';

/** Writes `text` to a /proc file in one write(2); a failure reads like strace: write("/proc/42/uid_map", …): EPERM. */
export function writeProcFile(file: string, text: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY);
    const written = fs.writeSync(fd, text);
    if (written !== Buffer.byteLength(text)) throw new Error(`write(${quote(file)}): only ${written} bytes written`);
  } catch (error) {
    throw asSyscallError(error, file, text);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Node's error for open(2) or write(2), as the toolkit's SyscallError. */
function asSyscallError(error: unknown, file: string, text: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || typeof e.errno !== 'number') return error;
  const description = util.getSystemErrorMap().get(e.errno)?.[1] ?? '';
  const args = e.syscall === 'open' ? [quote(file), 'O_WRONLY'] : [quote(file), quote(text)];
  return new SyscallError(e.syscall ?? 'write', errnoNumber(e.code), args, description.charAt(0).toUpperCase() + description.slice(1));
}
