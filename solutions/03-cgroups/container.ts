/**
 * Chapter 3 — cgroups. Reference solution. Lesson: chapters/03-cgroups/README.md
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLONE_NEWCGROUP, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, mount, unshare } from '../../toolkit/kernel/index.ts';
import {
  detectCgroups, formatAccounting, makeCgroupDir, readCgroupFile, readKeyedFile, removeCgroupDir, writeCgroupFile,
  type Accounting, type CgroupLayout,
} from '../../toolkit/cgroups/index.ts';
import type { Container, Limits } from '../../toolkit/runtime/container.ts';

/** The container's cgroup: one directory on v2, one per controller hierarchy on v1. */
export type CgroupDirs =
  | { version: 2; dir: string }
  | { version: 1; memory: string; cpu: string; cpuacct: string; pids: string };

/** Named after the container, below the parent(s) the layout chose — see toolkit/cgroups/layout.ts. */
export function cgroupDirs(layout: CgroupLayout, id: string): CgroupDirs {
  const name = `workbook-${id}`;
  if (layout.version === 2) return { version: 2, dir: path.join(layout.parent, name) };
  const p = layout.parents;
  return { version: 1, memory: path.join(p.memory, name), cpu: path.join(p.cpu, name), cpuacct: path.join(p.cpuacct, name), pids: path.join(p.pids, name) };
}

/** Every directory of the container's cgroup (v1 may mount cpu and cpuacct together: then one). */
function allDirs(dirs: CgroupDirs): string[] {
  return dirs.version === 2 ? [dirs.dir] : [...new Set([dirs.memory, dirs.cpu, dirs.cpuacct, dirs.pids])];
}

/** Host side, after the spawn and before "go": the command starts inside its limits. */
export function joinCgroup(c: Container, pid: number): void {
  const dirs = cgroupDirs(detectCgroups(), c.id);
  createCgroup(dirs);
  writeLimits(dirs, c.limits);
  addProcess(dirs, pid);
}

/** A cgroup is a directory: mkdir(2) in cgroupfs creates one, with its control files. */
export function createCgroup(dirs: CgroupDirs): void {
  for (const dir of allDirs(dirs)) makeCgroupDir(dir);
}

/** The limits, in each version's own files. A period of 100 ms is the kernel's default. */
export function writeLimits(dirs: CgroupDirs, limits: Limits): void {
  const period = 100_000;
  if (dirs.version === 2) {
    if (limits.memoryBytes !== undefined) {
      writeCgroupFile(`${dirs.dir}/memory.max`, limits.memoryBytes);
      // Past the limit, the kernel would rather swap than kill: no swap, so the limit is the limit.
      if (fs.existsSync(`${dirs.dir}/memory.swap.max`)) writeCgroupFile(`${dirs.dir}/memory.swap.max`, 0);
    }
    if (limits.cpus !== undefined) writeCgroupFile(`${dirs.dir}/cpu.max`, `${Math.round(limits.cpus * period)} ${period}`);
    if (limits.pids !== undefined) writeCgroupFile(`${dirs.dir}/pids.max`, limits.pids);
    return;
  }
  if (limits.memoryBytes !== undefined) {
    writeCgroupFile(`${dirs.memory}/memory.limit_in_bytes`, limits.memoryBytes);
    // memory+swap may not be below memory: set it after, and only where swap accounting exists.
    if (fs.existsSync(`${dirs.memory}/memory.memsw.limit_in_bytes`)) writeCgroupFile(`${dirs.memory}/memory.memsw.limit_in_bytes`, limits.memoryBytes);
  }
  if (limits.cpus !== undefined) {
    writeCgroupFile(`${dirs.cpu}/cpu.cfs_period_us`, period);
    writeCgroupFile(`${dirs.cpu}/cpu.cfs_quota_us`, Math.round(limits.cpus * period));
  }
  if (limits.pids !== undefined) writeCgroupFile(`${dirs.pids}/pids.max`, limits.pids);
}

/** Writing a PID to cgroup.procs moves that process; its children are born inside. */
export function addProcess(dirs: CgroupDirs, pid: number): void {
  for (const dir of allDirs(dirs)) writeCgroupFile(`${dir}/cgroup.procs`, pid);
}

/** What the container used — read before the cgroup is removed, since the numbers go with it. */
export function readAccounting(dirs: CgroupDirs): Accounting {
  if (dirs.version === 2) {
    const peak = fs.existsSync(`${dirs.dir}/memory.peak`) ? 'memory.peak' : 'memory.current'; // memory.peak: Linux 5.19+
    return {
      memoryPeakBytes: Number(readCgroupFile(`${dirs.dir}/${peak}`)),
      oomKills: readKeyedFile(`${dirs.dir}/memory.events`).oom_kill ?? 0,
      cpuSeconds: (readKeyedFile(`${dirs.dir}/cpu.stat`).usage_usec ?? 0) / 1e6,
      forksRefused: readKeyedFile(`${dirs.dir}/pids.events`).max ?? 0,
    };
  }
  return {
    memoryPeakBytes: Number(readCgroupFile(`${dirs.memory}/memory.max_usage_in_bytes`)),
    oomKills: readKeyedFile(`${dirs.memory}/memory.oom_control`).oom_kill ?? 0,
    cpuSeconds: Number(readCgroupFile(`${dirs.cpuacct}/cpuacct.usage`)) / 1e9,
    forksRefused: readKeyedFile(`${dirs.pids}/pids.events`).max ?? 0,
  };
}

/** rmdir(2) removes a cgroup once it has no processes left. */
export function removeCgroup(dirs: CgroupDirs): void {
  for (const dir of allDirs(dirs)) removeCgroupDir(dir);
}

/**
 * Inside, first of all, now that the runner has moved this process into its
 * cgroup: a cgroup namespace makes that cgroup its root, so /proc/self/cgroup
 * says "/" and the host's tree stays out of view. Made any earlier (with the
 * other namespaces, on the host), its root would be the runner's cgroup.
 * cgroup_namespaces(7).
 */
export function enterCgroupNamespace(_c: Container): void {
  unshare(CLONE_NEWCGROUP);
}

/**
 * On cgroup v2, the container's own cgroup tree, read-only, at
 * /sys/fs/cgroup — as docker gives it: mounted inside the cgroup namespace,
 * cgroup2 shows only the namespace's root and below. sysfs first (read-only
 * too), since the rootfs has only an empty /sys. On v1 (one mount per
 * controller) docker mounts each one; the workbook leaves /sys/fs/cgroup out.
 */
export function mountCgroupfs(c: Container): void {
  if (detectCgroups().version !== 2) return;
  const flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  mount('sysfs', `${c.rootfs}/sys`, 'sysfs', flags);
  mount('cgroup2', `${c.rootfs}/sys/fs/cgroup`, 'cgroup2', flags);
}

/** Host side, when the container has ended (also for a runner that was killed: see npm run clean). */
export function removeContainerCgroup(c: Container): void {
  const dirs = cgroupDirs(detectCgroups(), c.id);
  if (!allDirs(dirs).some((dir) => fs.existsSync(dir))) return; // never created: nothing to undo
  // A runner killed between two mkdirs left only some of them: nothing to account, but still something to remove.
  if (allDirs(dirs).every((dir) => fs.existsSync(dir))) {
    const accounting = readAccounting(dirs);
    if (c.stats || accounting.oomKills > 0) process.stderr.write(`workbook: ${formatAccounting(accounting, c.limits)}\n`);
  }
  removeCgroup(dirs);
}
