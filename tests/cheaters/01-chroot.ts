/**
 * Chapter 1's cheater: no chroot. It only moves into the rootfs and prints
 * what the checks would like to read. Every graded check must fail on it.
 */
import { chdir } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

export function setupContainer(c: Container): void {
  chdir(c.rootfs);
  console.log('workbook-rootfs 1');
  console.log('hidden');
  console.log('/');
}
