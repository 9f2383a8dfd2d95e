/**
 * The container chapter 8 works on: every wall of chapters 2–5, from their
 * reference solutions — namespaces and pivot_root, a cgroup, an image on
 * overlayfs, a network namespace on the bridge. Chapter 8 adds no wall; it
 * changes what runs inside (an init), how long it lives (detached), and who
 * else may come in (exec, pods).
 */
import * as ch3 from '../../solutions/03-cgroups/container.ts';
import * as ch4 from '../../solutions/04-overlayfs/container.ts';
import * as ch5 from '../../solutions/05-network/container.ts';
import { detectCgroups } from '../cgroups/index.ts';
import { CLONE_NEWNET, unshare } from '../kernel/index.ts';
import { findLease } from '../network/leases.ts';
import type { Container } from '../runtime/container.ts';

/** Host side, on the runner's main thread: the image's layers, then the namespaces (a network one too). */
export function createNamespaces(c: Container): void {
  unshare(CLONE_NEWNET);
  ch4.createNamespaces(c);
}

/** Host side, before "go": the cgroup first (so everything the container starts is counted), then the network. */
export function prepareHost(c: Container, pid: number): void {
  ch3.prepareHost(c, pid);
  ch5.prepareHost(c, pid);
}

/** In the first process: the network inside, then the overlay root and chapter 2's pivot_root. */
export function setupContainer(c: Container): void {
  ch5.bringUpLoopback();
  if (c.network === 'bridge') {
    const lease = findLease(c.id);
    if (lease === undefined) throw new Error(`no network lease for container ${c.id}: prepareHost() did not make one`);
    ch5.configureEth0(lease);
  }
  ch4.setupContainer(c);
}

/** Host side, after the end: every chapter's cleanup runs, even if one fails; the first failure is reported. */
export function cleanupHost(c: Container): void {
  const failures: unknown[] = [];
  for (const cleanup of [ch5.cleanupHost, ch4.cleanupHost, ch3.cleanupHost]) {
    try {
      cleanup(c);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** The container's cgroup directories (chapter 3), so an exec'd process can join them. */
export function cgroupOf(c: Container): ch3.CgroupDirs {
  return ch3.cgroupDirs(detectCgroups(), c.id);
}

/** Writes `pid` into each of the container's cgroup.procs (chapter 3's step). */
export const addProcessToCgroup = ch3.addProcess;
