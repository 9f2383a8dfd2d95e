/** How a container's cgroup accounting is shown to the learner when it ends. */
import type { Limits } from '../runtime/container.ts';

export interface Accounting {
  /** Highest memory use seen, in bytes (memory.peak / memory.max_usage_in_bytes). */
  memoryPeakBytes: number;
  /** Processes the OOM killer ended in this cgroup (memory.events / memory.oom_control: oom_kill). */
  oomKills: number;
  /** CPU time used by all of the container's processes, in seconds (cpu.stat usage_usec / cpuacct.usage). */
  cpuSeconds: number;
  /** fork()s refused because pids.max was reached (pids.events: max). */
  forksRefused: number;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** One line, e.g. "cgroup: memory peak 31.9 MiB (limit 32.0 MiB), CPU 1.50 s, OOM kills 1, forks refused 0". */
export function formatAccounting(a: Accounting, limits: Limits): string {
  const parts = [
    `memory peak ${mib(a.memoryPeakBytes)}${limits.memoryBytes ? ` (limit ${mib(limits.memoryBytes)})` : ''}`,
    `CPU ${a.cpuSeconds.toFixed(2)} s${limits.cpus ? ` (limit ${limits.cpus} CPU)` : ''}`,
    `OOM kills ${a.oomKills}`,
    `forks refused ${a.forksRefused}${limits.pids ? ` (pids.max ${limits.pids})` : ''}`,
  ];
  return `cgroup: ${parts.join(', ')}`;
}
