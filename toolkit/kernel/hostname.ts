/**
 * sethostname(2) sets the name of the caller's UTS namespace — the host's,
 * unless the process is in a new one (CLONE_NEWUTS).
 * https://man7.org/linux/man-pages/man2/sethostname.2.html
 */
import { quote } from './error.ts';
import { refuseInHostNamespace } from './guard.ts';
import { check, libc } from './libc.ts';

const sethostname_ = libc.func('int sethostname(const char *name, size_t len)');

/** The kernel's limit, HOST_NAME_MAX in <limits.h>: longer names get EINVAL. */
export const HOST_NAME_MAX = 64;

export function sethostname(name: string): void {
  refuseInHostNamespace('uts', `sethostname(${quote(name)})`);
  check(sethostname_(name, Buffer.byteLength(name)), 'sethostname', [quote(name), String(Buffer.byteLength(name))]);
}
