/**
 * Chapter 1 — chroot. Reference solution. Lesson: chapters/01-chroot/README.md
 */
import { chdir, chroot } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** From now on "/" means the rootfs, for us and for the command we become. chroot(2). */
export function changeRoot(c: Container): void {
  chroot(c.rootfs);
}

/** chroot(2) leaves the working directory where it was — outside the new root. */
export function enterRoot(_c: Container): void {
  chdir('/');
}
