/**
 * Chapter 3's cheater: no cgroup at all. It keeps chapter 2's walls and makes
 * up the accounting line the runner prints — the numbers a check that trusts
 * the runner's report would look for. Every graded check must fail on it.
 */
import { formatAccounting, type Accounting, type CgroupLayout } from '../../toolkit/cgroups/index.ts';
import { unshare } from '../../toolkit/kernel/index.ts';
import type { Container, Limits } from '../../toolkit/runtime/container.ts';
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import { cgroupDirs as realCgroupDirs, type CgroupDirs } from '../../solutions/03-cgroups/container.ts';

// Chapter 2's walls, through the runner's classic hooks (toolkit/runtime/sequence.ts, ClassicChapter).
export function createNamespaces(c: Container): void {
  unshare(ch2.namespaces(c));
}

export function setupContainer(c: Container): void {
  for (const step of [ch2.makeMountsPrivate, ch2.bindRootfs, ch2.mountProc, ch2.pivotIntoRootfs, ch2.setHostname]) step(c);
}

export function cgroupDirs(layout: CgroupLayout, id: string): CgroupDirs {
  return realCgroupDirs(layout, id);
}

export function prepareHost(_c: Container, _pid: number): void {
  // nothing: no cgroup, no limit
}

export function createCgroup(_dirs: CgroupDirs): void {}
export function writeLimits(_dirs: CgroupDirs, _limits: Limits): void {}
export function addProcess(_dirs: CgroupDirs, _pid: number): void {}
export function removeCgroup(_dirs: CgroupDirs): void {}

export function readAccounting(_dirs: CgroupDirs): Accounting {
  return { memoryPeakBytes: 31.9 * 1024 ** 2, oomKills: 1, cpuSeconds: 0.5, forksRefused: 12 };
}

export function cleanupHost(c: Container): void {
  process.stderr.write(`workbook: ${formatAccounting(readAccounting({ version: 2, dir: '' }), c.limits)}\n`);
}
