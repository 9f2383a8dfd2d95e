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
 *   npm run hint 3.2                        a hint for TODO 3.2 (again: the next one)
 *
 * Chapter 3's container is chapter 2's plus a cgroup: the runner calls chapter 2's
 * steps from solutions/ (so this chapter works even if yours are not finished;
 * --mine takes your own) — see `npm run chapter 3 -- --explain`.
 *
 * The same code must work on cgroup v2 (one tree: the VM) and v1 (one tree
 * per controller: some hosts, and this workbook's CI). `dirs.version` tells
 * you which one you are on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLONE_NEWCGROUP, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, mount, unshare } from '../../toolkit/kernel/index.ts';
import {
  detectCgroups, formatAccounting, makeCgroupDir, readCgroupFile, readKeyedFile, removeCgroupDir, writeCgroupFile,
  type Accounting, type CgroupLayout,
} from '../../toolkit/cgroups/index.ts';
import { todo, type Container, type Limits } from '../../toolkit/runtime/container.ts';

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

/** Host side, after the spawn and before "go": the command starts inside its limits. Given: the order. */
export function joinCgroup(c: Container, pid: number): void {
  const dirs = cgroupDirs(detectCgroups(), c.id);
  createCgroup(dirs);
  writeLimits(dirs, c.limits);
  addProcess(dirs, pid);
}

export function createCgroup(dirs: CgroupDirs): void {
  // TODO(3.1): the container's cgroup must exist — in every directory of allDirs(dirs).
  //            cgroups(7) "Creating cgroups", toolkit/cgroups/files.ts; lesson: "A cgroup is a directory".
  todo('3.1 create the cgroup directories');
}

export function writeLimits(dirs: CgroupDirs, limits: Limits): void {
  // TODO(3.2): each limit that is set (limits.memoryBytes, .cpus, .pids) written to the
  //            kernel, in the files of the version you are on (dirs.version); no swap
  //            beyond the memory limit where the kernel offers a file for it.
  //            Documentation/admin-guide/cgroup-v2.rst (memory, cpu, pids), cgroup v1's
  //            memory.txt and sched-bwc.txt; lesson: "Limits, v2 and v1".
  todo('3.2 write the limits');
}

export function addProcess(dirs: CgroupDirs, pid: number): void {
  // TODO(3.3): the container's first process (pid) in its cgroup, in every hierarchy;
  //            its children are then born inside. cgroups(7); lesson: "Moving a process in".
  todo('3.3 put the container in its cgroup');
}

export function readAccounting(dirs: CgroupDirs): Accounting {
  // TODO(3.4): what the container used — peak memory, OOM kills, CPU seconds, refused
  //            forks — read before the cgroup (and its numbers) goes away, in either version.
  //            readCgroupFile(), readKeyedFile(); lesson: "Accounting".
  todo('3.4 read the accounting');
}

export function removeCgroup(dirs: CgroupDirs): void {
  // TODO(3.5): the container's cgroup gone, in every hierarchy (removeCgroupDir() waits for
  //            the last processes to leave). cgroups(7); lesson: "Cleaning up".
  todo('3.5 remove the cgroup');
}

/** Inside, first of all: the runner has moved this process into its cgroup by now. */
export function enterCgroupNamespace(_c: Container): void {
  // TODO(3.6): the container must see its own cgroup as "/" in /proc/self/cgroup, and none
  //            of the host's tree above it. Why here and not with chapter 2's namespaces?
  //            cgroup_namespaces(7); lesson: "The cgroup namespace".
  todo('3.6 a cgroup namespace rooted at the container\'s cgroup');
}

/**
 * Given: on cgroup v2, the container's own cgroup tree, read-only, at
 * /sys/fs/cgroup — as docker gives it: mounted inside the cgroup namespace,
 * cgroup2 shows only the namespace's root and below. sysfs first (read-only
 * too), since the rootfs has only an empty /sys. On v1 the container gets no
 * /sys/fs/cgroup. Lesson: "The cgroup namespace".
 */
export function mountCgroupfs(c: Container): void {
  if (detectCgroups().version !== 2) return;
  const flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  mount('sysfs', `${c.rootfs}/sys`, 'sysfs', flags);
  mount('cgroup2', `${c.rootfs}/sys/fs/cgroup`, 'cgroup2', flags);
}

/** Host side, when the container has ended (also for a runner that was killed: see npm run clean). Given. */
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
