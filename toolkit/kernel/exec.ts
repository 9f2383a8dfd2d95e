/**
 * execve(2) replaces the program of the calling process and keeps its PID:
 * the container's first process becomes the user's command and stays PID 1.
 * From multithreaded Node this is safe — the kernel ends every other thread
 * (see execve(2), "All threads other than the calling thread are destroyed").
 * https://man7.org/linux/man-pages/man2/execve.2.html
 */
import { F_SETFD } from './constants.ts';
import { quote } from './error.ts';
import { check, libc } from './libc.ts';

const execve_ = libc.func('int execve(const char *pathname, const char **argv, const char **envp)');
const fcntl_ = libc.func('int fcntl(int fd, int cmd, ...)');

/**
 * Node opens stdin, stdout and stderr close-on-exec; clear that (fcntl(2),
 * F_SETFD) so the new program inherits them, then exec. Returns only by
 * throwing.
 */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  for (const fd of [0, 1, 2]) fcntl_(fd, F_SETFD, 'int', 0);
  check(execve_(path, [...argv, null], [...env, null]), 'execve', [quote(path), JSON.stringify(argv)]);
  throw new Error('execve returned without an error');
}
