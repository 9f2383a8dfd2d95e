/**
 * chroot(2) changes what the calling process resolves "/" to; chdir(2)
 * changes its working directory. chroot does not move the working directory,
 * which is why it must be followed by chdir("/") — and why root can walk
 * out of a bare chroot (chapter 1).
 * https://man7.org/linux/man-pages/man2/chroot.2.html
 * https://man7.org/linux/man-pages/man2/chdir.2.html
 */
import { quote } from './error.ts';
import { check, libc } from './libc.ts';

const chroot_ = libc.func('int chroot(const char *path)');
const chdir_ = libc.func('int chdir(const char *path)');

export function chroot(path: string): void {
  check(chroot_(path), 'chroot', [quote(path)]);
}

/**
 * Use this, not process.chdir(): Node remembers its working directory and
 * would not notice that chroot or pivot_root changed what "/" means.
 */
export function chdir(path: string): void {
  check(chdir_(path), 'chdir', [quote(path)]);
}
