/**
 * Chapter 1 — chroot. Reference solution. Lesson: chapters/01-chroot/README.md
 */
import { chdir, chroot } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** Runs in the container's first process, just before the command is exec'd. */
export function setupContainer(c: Container): void {
  // From now on "/" means the rootfs, for us and for the command we become.
  chroot(c.rootfs);
  // chroot(2) leaves the working directory where it was — outside the new root.
  chdir('/');
}
