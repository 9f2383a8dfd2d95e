/**
 * What chapter 8's exec needs of the container's cgroup (chapter 3): its
 * directories, and the step that moves a process in; and chapter 7's devices
 * cgroup. The container itself — every wall up to chapter 7's, plus chapter 8's
 * init — is composed by toolkit/runtime/sequence.ts.
 */
import * as ch3 from '../../solutions/03-cgroups/container.ts';
import fs from 'node:fs';
import { detectCgroups, writeCgroupFile } from '../cgroups/index.ts';
import { devicesCgroupDir } from '../security/devices-cgroup.ts';
import type { Container } from '../runtime/container.ts';

/** The container's cgroup directories (chapter 3), so an exec'd process can join them. */
export function cgroupOf(c: Container): ch3.CgroupDirs {
  return ch3.cgroupDirs(detectCgroups(), c.id);
}

/** Writes `pid` into each of the container's cgroup.procs (chapter 3's step). */
export const addProcessToCgroup = ch3.addProcess;

/**
 * Given: chapter 7's devices cgroup (cgroup v1), joined like the others, so the exec'd process opens
 * only the devices the container may (docker exec joins every cgroup of the container).
 */
export function joinDevicesCgroup(c: Container, pid: number): void {
  const dir = devicesCgroupDir(c.id);
  if (dir !== null && fs.existsSync(dir)) writeCgroupFile(`${dir}/cgroup.procs`, pid);
}
