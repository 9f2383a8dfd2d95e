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
