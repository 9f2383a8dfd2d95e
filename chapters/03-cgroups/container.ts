/**
 * Chapter 3 — cgroups.  Lesson: chapters/03-cgroups/README.md
 *
 * Namespaces decide what the container can see; a cgroup decides what it
 * can use. Put the container in a cgroup of its own with the limits the user
 * asked for, before its command runs, and remove it when the container ends.
 *
 *   npm run chapter 3 -- --memory 32m --stats -- tail /dev/zero    (the OOM killer at work)
 *   npm run chapter 3 -- --cpus 0.5 --stats -- sh -c 'timeout 3 sh -c "while :; do :; done"; true'
 *   npm test -- 3
 *
 * The same code must work on cgroup v2 (one tree: the VM) and v1 (one tree
 * per controller: some hosts, and this workbook's CI). `dirs.version` tells
 * you which one you are on.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  detectCgroups, formatAccounting, makeCgroupDir, readCgroupFile, readKeyedFile, removeCgroupDir, writeCgroupFile,
  type Accounting, type CgroupLayout,
} from '../../toolkit/cgroups/index.ts';
import { todo, type Container, type Limits } from '../../toolkit/runtime/container.ts';
// Namespaces and the root filesystem come from chapter 2's reference solution,
// so this chapter works even if yours is not finished. Swap in your own:
// '../02-namespaces/container.ts'.
import * as ch2 from '../../solutions/02-namespaces/container.ts';

export const createNamespaces = ch2.createNamespaces;
export const setupContainer = ch2.setupContainer;

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
export function prepareHost(c: Container, pid: number): void {
  const dirs = cgroupDirs(detectCgroups(), c.id);
  createCgroup(dirs);
  writeLimits(dirs, c.limits);
  addProcess(dirs, pid);
}

export function createCgroup(dirs: CgroupDirs): void {
  // TODO(3.1): a cgroup is a directory: create each of allDirs(dirs) with makeCgroupDir().
  todo('3.1 create the cgroup directories');
}

export function writeLimits(dirs: CgroupDirs, limits: Limits): void {
  // TODO(3.2): write each limit that is set (limits.memoryBytes, limits.cpus, limits.pids)
  //   v2, in dirs.dir:   memory.max (and memory.swap.max = 0 if that file exists),
  //                      cpu.max = "QUOTA PERIOD" in µs — 0.5 CPU = "50000 100000",
  //                      pids.max
  //   v1:                memory.limit_in_bytes (then memory.memsw.limit_in_bytes if it exists) in dirs.memory,
  //                      cpu.cfs_period_us and cpu.cfs_quota_us in dirs.cpu,
  //                      pids.max in dirs.pids
  // writeCgroupFile(file, value) reports a refused write like a system call.
  todo('3.2 write the limits');
}

export function addProcess(dirs: CgroupDirs, pid: number): void {
  // TODO(3.3): move the container's first process in: write `pid` to cgroup.procs
  //            in each of allDirs(dirs). Its children will be born inside.
  todo('3.3 put the container in its cgroup');
}

export function readAccounting(dirs: CgroupDirs): Accounting {
  // TODO(3.4): read what the container used, before the cgroup (and its numbers) goes away:
  //   v2: memory.peak (memory.current if there is no memory.peak), oom_kill in memory.events,
  //       usage_usec in cpu.stat (µs), max in pids.events
  //   v1: memory.max_usage_in_bytes, oom_kill in memory.oom_control, cpuacct.usage in
  //       dirs.cpuacct (ns), max in pids.events
  // readCgroupFile() gives a file's text, readKeyedFile() its "key value" lines as numbers.
  todo('3.4 read the accounting');
}

export function removeCgroup(dirs: CgroupDirs): void {
  // TODO(3.5): remove each of allDirs(dirs) — removeCgroupDir() waits while the last processes exit.
  todo('3.5 remove the cgroup');
}

/** Host side, when the container has ended (also for a runner that was killed: see npm run clean). */
export function cleanupHost(c: Container): void {
  const dirs = cgroupDirs(detectCgroups(), c.id);
  if (!allDirs(dirs).some((dir) => fs.existsSync(dir))) return; // never created: nothing to undo
  // A runner killed between two mkdirs left only some of them: nothing to account, but still something to remove.
  if (allDirs(dirs).every((dir) => fs.existsSync(dir))) {
    const accounting = readAccounting(dirs);
    if (c.stats || accounting.oomKills > 0) process.stderr.write(`workbook: ${formatAccounting(accounting, c.limits)}\n`);
  }
  removeCgroup(dirs);
}
