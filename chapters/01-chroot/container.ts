/**
 * Chapter 1 — chroot.  Lesson: chapters/01-chroot/README.md
 *
 * Make the command see the root filesystem (c.rootfs) as "/".
 *
 *   npm run chapter 1                       an interactive shell in your container
 *   npm run chapter 1 -- ls /               one command
 *   npm test                                grade it
 *
 * The runner calls setupContainer() in the container's first process, then
 * replaces that process with the command (execve). Everything you need is in
 * the kernel toolkit: toolkit/kernel/index.ts.
 */
import { chdir, chroot } from '../../toolkit/kernel/index.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/** Runs in the container's first process, just before the command is exec'd. */
export function setupContainer(c: Container): void {
  // TODO(1.1): change this process's root directory to c.rootfs — chroot(2).
  // TODO(1.2): chroot does not move the working directory: go to the new "/" — chdir(2).
  // Then delete the line below.
  todo('1.1 chroot into c.rootfs, 1.2 chdir to "/"');
}
