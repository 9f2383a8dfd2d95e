/**
 * Chapter 2's cheater: unshares nothing, only chroots, and prints what each
 * grading command would print — then ends before the command runs. Every
 * graded check of chapter 2 must fail on it (npm run selftest proves it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { chdir, chroot } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

export function createNamespaces(_c: Container): void {
  // no namespaces at all
}

export function setupContainer(c: Container): void {
  const command = c.command.join(' ');
  const fake = (text: string) => {
    process.stdout.write(text);
    fs.writeSync(1, '');
  };
  if (command.includes('echo $$')) fake('1\n');
  else if (command.includes('ps')) fake('PID   COMMAND\n    1 sh\n    2 ps\n');
  else if (command.includes('readlink')) fake('mnt:[4026532001]\npid:[4026532002]\nuts:[4026532003]\nipc:[4026532004]\n');
  else if (command.includes('mountinfo')) fake('1 0 8:1 / / rw - ext4 /dev/root rw\n2 1 0:5 / /proc rw - proc proc rw\n');
  else if (command.includes('breakout')) fake('the container held\n');
  else if (command[0] === 'hostname') fake(`${c.hostname}\n`);
  if (command.includes('exit 7')) process.exit(7);
  if (command.includes('sleep') || command.includes('ready')) {
    // Lives on the host, as long as the check wants, under the command line it looks for.
    if (command.includes('ready')) fake(`${c.hostname}\nready\n`);
    try {
      execFileSync('/bin/sh', ['-c', command.replace(/^\/bin\/sh -c /, '')], { stdio: 'inherit' });
    } catch {
      process.exit(42);
    }
  }
  chroot(c.rootfs);
  chdir('/');
  process.exit(0);
}
