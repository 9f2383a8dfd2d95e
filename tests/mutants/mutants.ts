/**
 * The mutants: each is a reference solution with one TODO step left out, or
 * done the way learners usually get it wrong. `npm run selftest` writes each
 * to .mutants/<id>/container.ts (two folders deep, so the solution's
 * ../../toolkit and ../../solutions imports still resolve), grades it as its
 * chapter, and requires that a graded check fails and that the first one to
 * fail names the step (`TODO N.M`) in its hint. How to add one: README.md.
 */
import { CHAPTER_4_MUTANTS } from './04-overlayfs.ts';
import { CHAPTER_5_MUTANTS } from './05-network.ts';
import { CHAPTER_6_MUTANTS } from './06-user-namespaces.ts';
import { CHAPTER_7_MUTANTS } from './07-privileges.ts';
import { CHAPTER_8_MUTANTS } from './08-init-and-exec.ts';
import { CHAPTER_9_MUTANTS } from './09-registry.ts';

export interface Mutant {
  chapter: number;
  /** The TODO step it breaks, "2.3". */
  step: string;
  /** Short, unique within the step: what is wrong. */
  name: string;
  /** The file to mutate, from the project root (default: the chapter's solution). */
  file?: string;
  /** Text edits applied in order, each to the first occurrence; a pattern not found fails the selftest. */
  replace: ReadonlyArray<readonly [from: string, to: string]>;
  /** Only the checks whose names match (vitest -t), to keep the selftest fast. */
  checks?: string;
}

/**
 * The chapters whose suites grade from the host and are proven honest: every
 * graded check fails untouched, every step has a mutant, a cheater fails every
 * graded check. A chapter joins once it has all three (the goal: every chapter);
 * the others are only required to fail some check when untouched.
 */
export const PROVEN: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export const MUTANTS: readonly Mutant[] = [
  // Chapter 1 — chroot
  { chapter: 1, step: '1.1', name: "chdir('/') without chroot", replace: [['chroot(c.rootfs);', '']] },
  { chapter: 1, step: '1.2', name: 'no chdir', replace: [["chdir('/');", '']] },
  { chapter: 1, step: '1.2', name: 'chdir to the host path', replace: [["chdir('/');", 'chdir(c.rootfs);']] },

  // Chapter 2 — namespaces
  { chapter: 2, step: '2.1', name: 'no namespaces', replace: [['return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;', 'return 0;']] },
  { chapter: 2, step: '2.1', name: 'no CLONE_NEWPID', replace: [['return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;', 'return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;']] },
  { chapter: 2, step: '2.2', name: 'mounts left shared', replace: [["mount(null, '/', null, MS_REC | MS_PRIVATE);", '']] },
  { chapter: 2, step: '2.2', name: 'MS_PRIVATE without MS_REC', replace: [["mount(null, '/', null, MS_REC | MS_PRIVATE);", "mount(null, '/', null, MS_PRIVATE);"]] },
  { chapter: 2, step: '2.3', name: 'no bind mount of the rootfs', replace: [['mount(c.rootfs, c.rootfs, null, MS_BIND | MS_REC);', '']] },
  { chapter: 2, step: '2.4', name: 'no /proc', replace: [["mount('proc', `${c.rootfs}/proc`, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);", '']] },
  { chapter: 2, step: '2.4', name: "the host's /proc bound in", replace: [["mount('proc', `${c.rootfs}/proc`, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);", "mount('/proc', `${c.rootfs}/proc`, null, MS_BIND | MS_REC);"]] },
  { chapter: 2, step: '2.5', name: 'chroot instead of pivot_root', replace: [['chdir, mount, pivotRoot,', 'chdir, chroot, mount, pivotRoot,'], ["pivotRoot('.', '.');", "chroot('.');"], ["umount2('.', MNT_DETACH);", '']] },
  { chapter: 2, step: '2.5', name: 'old root left mounted', replace: [["umount2('.', MNT_DETACH);", '']] },
  { chapter: 2, step: '2.6', name: 'no sethostname', replace: [['sethostname(c.hostname);', '']] },

  // Chapter 3 — cgroups
  { chapter: 3, step: '3.1', name: 'no cgroup directory', replace: [['for (const dir of allDirs(dirs)) makeCgroupDir(dir);', '']] },
  { chapter: 3, step: '3.2', name: 'no limits written', replace: [['const period = 100_000;', 'const period = 100_000;\n  if (period) return;']] },
  { chapter: 3, step: '3.2', name: 'CPU quota in ms, not µs', replace: [['`${dirs.cpu}/cpu.cfs_quota_us`, Math.round(limits.cpus * period)', '`${dirs.cpu}/cpu.cfs_quota_us`, Math.round(limits.cpus * 100)'], ['`${Math.round(limits.cpus * period)} ${period}`', '`${Math.round(limits.cpus * 100)} ${period}`']] },
  { chapter: 3, step: '3.3', name: 'process not moved in', replace: [['for (const dir of allDirs(dirs)) writeCgroupFile(`${dir}/cgroup.procs`, pid);', '']] },
  { chapter: 3, step: '3.3', name: "the runner's PID in cgroup.procs", replace: [['writeCgroupFile(`${dir}/cgroup.procs`, pid);', 'writeCgroupFile(`${dir}/cgroup.procs`, process.pid);']] },
  { chapter: 3, step: '3.4', name: 'no accounting read', replace: [['export function readAccounting(dirs: CgroupDirs): Accounting {', 'export function readAccounting(dirs: CgroupDirs): Accounting {\n  if (dirs) return { memoryPeakBytes: 0, oomKills: 0, cpuSeconds: 0, forksRefused: 0 };']] },
  { chapter: 3, step: '3.4', name: 'current usage instead of the peak', replace: [["fs.existsSync(`${dirs.dir}/memory.peak`) ? 'memory.peak' : 'memory.current'", "'memory.current'"], ['`${dirs.memory}/memory.max_usage_in_bytes`', '`${dirs.memory}/memory.usage_in_bytes`']] },
  { chapter: 3, step: '3.5', name: 'cgroup not removed', replace: [['for (const dir of allDirs(dirs)) removeCgroupDir(dir);', '']] },
  { chapter: 3, step: '3.6', name: 'no cgroup namespace', replace: [['unshare(CLONE_NEWCGROUP);', '']] },

  // Chapter 4 — overlayfs (its own file, as the later chapters)
  ...CHAPTER_4_MUTANTS,

  // Chapter 5 — network (its own file too)
  ...CHAPTER_5_MUTANTS,

  // Chapter 6 — user namespaces (its own file too)
  ...CHAPTER_6_MUTANTS,

  // Chapter 7 — privileges (its own file, to keep this one short)
  ...CHAPTER_7_MUTANTS,

  // Chapter 8 — PID 1 and exec (its own file too)
  ...CHAPTER_8_MUTANTS,

  // Chapter 9 — registry (its own file too)
  ...CHAPTER_9_MUTANTS,
];
