/**
 * Chapter 1 — chroot.  Lesson: chapters/01-chroot/README.md
 *
 * Make the command see the root filesystem (c.rootfs) as "/".
 *
 *   npm run chapter 1                       an interactive shell in your container
 *   npm run chapter 1 -- ls /               one command
 *   npm test                                grade it
 *   npm run hint 1.1                        a hint, if you are stuck (again: the next one)
 *
 * The runner calls each step in the container's first process, then
 * replaces that process with the command (execve). Everything you need is in
 * the kernel toolkit: toolkit/kernel/index.ts.
 */
import { chdir, chroot } from '../../toolkit/kernel/index.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

export function changeRoot(c: Container): void {
  // TODO(1.1): from now on, "/" for this process (and the command it becomes) is c.rootfs.
  //            chroot(2); lesson: "Changing the root".
  todo('1.1 change the root directory to c.rootfs');
}

export function enterRoot(_c: Container): void {
  // TODO(1.2): the working directory is still outside the new root: move into it.
  //            chroot(2) NOTES, chdir(2); lesson: "The working directory".
  todo('1.2 move the working directory into the new root');
}
