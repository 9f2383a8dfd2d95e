/** The grader's view of cgroups: the test's own cgroup directories, in whichever layout the host has. */
import fs from 'node:fs';
import path from 'node:path';
import { detectCgroups } from '../../toolkit/cgroups/index.ts';

/** The directories below which a container's cgroup must appear (the runner's = the test's own, on v1). */
export function cgroupParents(): string[] {
  const layout = detectCgroups();
  return layout.version === 2 ? [layout.parent] : [...new Set(Object.values(layout.parents))];
}

/** workbook-* cgroups that exist right now below those parents. */
export function workbookCgroups(): string[] {
  return cgroupParents().flatMap((parent) => {
    try {
      return fs.readdirSync(parent).filter((n) => n.startsWith('workbook-')).map((n) => path.join(parent, n));
    } catch {
      return [];
    }
  });
}

/**
 * CPU time used so far by the cgroup whose CPU accounting lives in one of `dirs`, in seconds:
 * cpu.stat usage_usec on v2, cpuacct.usage (ns) on v1. null if none of them has it.
 */
export function cpuUsageSeconds(dirs: readonly string[]): number | null {
  for (const dir of dirs) {
    try {
      const usage = /usage_usec (\d+)/.exec(fs.readFileSync(path.join(dir, 'cpu.stat'), 'utf8'));
      if (usage) return Number(usage[1]) / 1e6;
    } catch {
      // not the v2 (or v1 cpu) directory
    }
    try {
      return Number(fs.readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8')) / 1e9;
    } catch {
      // not the cpuacct directory
    }
  }
  return null;
}

/** The numbers of the runner's accounting line ("workbook: cgroup: memory peak 31.9 MiB …"), or null. */
export function parseAccounting(stderr: string): { peakMiB: number; cpuSeconds: number; oomKills: number; forksRefused: number } | null {
  const m = /cgroup: memory peak ([\d.]+) MiB.*?CPU ([\d.]+) s.*?OOM kills (\d+), forks refused (\d+)/.exec(stderr);
  return m ? { peakMiB: Number(m[1]), cpuSeconds: Number(m[2]), oomKills: Number(m[3]), forksRefused: Number(m[4]) } : null;
}

export type CgroupController = 'memory' | 'cpu' | 'cpuacct' | 'pids';

/**
 * The cgroup directories a process is in, per controller, as the kernel says in
 * /proc/PID/cgroup — on v2 the one unified directory, on v1 one per hierarchy.
 * null when the process is gone.
 */
export function cgroupOf(pid: number): Record<CgroupController, string> | null {
  let lines: string[];
  try {
    lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return null;
  }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').flatMap((line) => {
    const [left, right = ''] = line.split(' - ');
    const [type, , options = ''] = right.split(' ');
    return type === 'cgroup' || type === 'cgroup2' ? [{ point: left!.split(' ')[4]!, type, options: options.split(',') }] : [];
  });
  const layout = detectCgroups();
  const dirOf = (controller: CgroupController): string => {
    if (layout.version === 2) {
      const own = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
      const unified = mounts.find((m) => m.type === 'cgroup2')!;
      return path.join(unified.point, own);
    }
    const line = lines.find((l) => l.split(':')[1]!.split(',').includes(controller));
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    return line && mount ? path.join(mount.point, line.split(':').slice(2).join(':')) : '(none)';
  };
  return { memory: dirOf('memory'), cpu: dirOf('cpu'), cpuacct: dirOf('cpuacct'), pids: dirOf('pids') };
}

/** Whether `dir` is a container's cgroup: workbook-* right below one of the parents. */
export function isWorkbookCgroup(dir: string): boolean {
  return path.basename(dir).startsWith('workbook-') && cgroupParents().includes(path.dirname(dir));
}

/** A cgroup file's text, or null when it does not exist. */
export function readIn(dir: string, file: string): string | null {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch {
    return null;
  }
}

/** One number of a "key value" file (memory.events, pids.events, memory.oom_control), or null. */
export function keyed(dir: string, file: string, key: string): number | null {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readIn(dir, file) ?? '');
  return m ? Number(m[1]) : null;
}

/** What the kernel accounted in the container's cgroup, in each version's own files. */
export function kernelAccounting(cg: Record<CgroupController, string>): { peakBytes: number | null; oomKills: number | null; forksRefused: number | null } {
  const v2 = detectCgroups().version === 2;
  const peak = v2 ? readIn(cg.memory, 'memory.peak') : readIn(cg.memory, 'memory.max_usage_in_bytes');
  return {
    peakBytes: peak === null ? null : Number(peak),
    oomKills: v2 ? keyed(cg.memory, 'memory.events', 'oom_kill') : keyed(cg.memory, 'memory.oom_control', 'oom_kill'),
    forksRefused: keyed(cg.pids, 'pids.events', 'max'),
  };
}
