/**
 * Chapter 7's cheater: chapter 2's container with none of chapter 7's walls,
 * printing what the escape battery and the status lines would print in a
 * walled container. Every graded check of chapter 7 must fail on it: they
 * read the capability sets, NoNewPrivs, Seccomp, the mounts, /dev and the
 * devices cgroup from the host. Graded by hand: all 14 graded checks fail on it
 * (the 2 given checks pass); npm run selftest proves it once it grades cheaters.
 */
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import { unshare } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

// Through the runner's classic hooks (toolkit/runtime/sequence.ts, ClassicChapter).
export function createNamespaces(c: Container): void {
  unshare(ch2.namespaces(c));
}

const FAKE_BATTERY = ['core_pattern EROFS', 'sysrq absent', 'kcore absent', 'mknod EPERM', 'mount EPERM', 'unshare EPERM',
  'clone EPERM', 'setns EPERM', 'ptrace EPERM', 'keyctl EPERM'].join('\n');

export function setupContainer(c: Container): void {
  for (const step of [ch2.makeMountsPrivate, ch2.bindRootfs, ch2.mountProc, ch2.pivotIntoRootfs, ch2.setHostname]) step(c);
  const command = c.command.join(' ');
  if (command.includes('escape-probe')) {
    process.stdout.write(`${FAKE_BATTERY}\n`);
    process.exit(0);
  }
  if (command.includes('/proc/self/status')) {
    process.stdout.write('CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n');
    process.exit(0);
  }
  if (command === 'setuid-probe') {
    process.stdout.write('uid=1000 euid=1000\n');
    process.exit(1);
  }
  // anything else runs as in chapter 2: every capability, no filter, the host's /proc/sys writable
}
