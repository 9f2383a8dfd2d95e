/**
 * What chapter 8's exec needs of the container's cgroup (chapter 3): its
 * directories, and the step that moves a process in. The container itself —
 * chapter 5's walls plus chapter 8's init — is composed by toolkit/runtime/sequence.ts.
 */
import * as ch3 from '../../solutions/03-cgroups/container.ts';
import { detectCgroups } from '../cgroups/index.ts';
import type { Container } from '../runtime/container.ts';

/** The container's cgroup directories (chapter 3), so an exec'd process can join them. */
export function cgroupOf(c: Container): ch3.CgroupDirs {
  return ch3.cgroupDirs(detectCgroups(), c.id);
}

/** Writes `pid` into each of the container's cgroup.procs (chapter 3's step). */
export const addProcessToCgroup = ch3.addProcess;
