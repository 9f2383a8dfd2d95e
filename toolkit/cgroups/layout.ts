/**
 * Where this machine's cgroups are, and below which cgroup the workbook puts
 * its containers. Two layouts exist (cgroups(7)):
 *
 *   v2, "unified": one tree at /sys/fs/cgroup, every controller in it.
 *   v1: one tree per controller — /sys/fs/cgroup/memory, /cpu, /pids, …
 *       (also "hybrid" machines, where a v2 tree exists but memory, cpu and pids are on v1).
 *
 * The runner's own cgroup is read from /proc/self/cgroup. On v1 a container's
 * cgroups go right below it, in each hierarchy. On v2 that is possible only
 * if the own cgroup is the root: a non-root cgroup that holds processes (the
 * runner!) cannot give controllers to children — the "no internal processes"
 * rule. So on v2 we walk up to the nearest cgroup that already delegates the
 * controllers we need (cgroup.subtree_control), as docker and systemd do.
 *
 * Everything is read through `CgroupSources`, so tests can point it at a
 * temporary tree laid out like cgroupfs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeCgroupFile } from './files.ts';

export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids';
export const V1_CONTROLLERS: readonly Controller[] = ['memory', 'cpu', 'cpuacct', 'pids'];
/** What the workbook's limits and accounting use on v2 (cpuacct is part of v2's core). */
export const V2_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

export type CgroupLayout =
  | { version: 2; parent: string }
  | { version: 1; parents: Record<Controller, string> };

export interface CgroupSources {
  /** Contents of /proc/self/mountinfo. */
  mountinfo: string;
  /** Contents of /proc/self/cgroup. */
  selfCgroup: string;
  /** Reads a file of the cgroup tree ("" if missing). */
  read(file: string): string;
}

export const realSources = (): CgroupSources => ({
  mountinfo: fs.readFileSync('/proc/self/mountinfo', 'utf8'),
  selfCgroup: fs.readFileSync('/proc/self/cgroup', 'utf8'),
  read: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  },
});

interface CgroupMount {
  point: string;
  type: 'cgroup' | 'cgroup2';
  options: string[];
}

function cgroupMounts(mountinfo: string): CgroupMount[] {
  return mountinfo.trim().split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    const type = right?.split(' ')[0];
    if (type !== 'cgroup' && type !== 'cgroup2') return [];
    return [{ point: left!.split(' ')[4]!, type, options: (right!.split(' ')[2] ?? '').split(',') }];
  });
}

/** The runner's own cgroup path in the hierarchy whose /proc/self/cgroup entry matches. */
function ownPath(selfCgroup: string, match: (controllers: string[]) => boolean): string | undefined {
  for (const line of selfCgroup.trim().split('\n')) {
    const [, controllers = '', own] = line.split(':');
    if (own !== undefined && match(controllers === '' ? [] : controllers.split(','))) return own;
  }
  return undefined;
}

export function detectCgroups(sources: CgroupSources = realSources()): CgroupLayout {
  const mounts = cgroupMounts(sources.mountinfo);
  // A hybrid machine mounts a cgroup2 tree too, but its memory, cpu and pids live on v1.
  const unified = mounts.find((m) => {
    if (m.type !== 'cgroup2') return false;
    const available = sources.read(path.join(m.point, 'cgroup.controllers')).trim().split(/\s+/);
    return V2_CONTROLLERS.every((c) => available.includes(c));
  });
  if (unified) return { version: 2, parent: v2Parent(unified.point, ownPath(sources.selfCgroup, (c) => c.length === 0) ?? '/', sources) };

  const parents = {} as Record<Controller, string>;
  for (const controller of V1_CONTROLLERS) {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    const own = ownPath(sources.selfCgroup, (c) => c.includes(controller));
    if (!mount || own === undefined) {
      throw new Error(`no cgroup hierarchy with the ${controller} controller is mounted (looked for cgroup2 with controllers, then cgroup v1)`);
    }
    parents[controller] = path.resolve(mount.point, `.${own}`);
  }
  return { version: 1, parents };
}

function v2Parent(root: string, own: string, sources: CgroupSources): string {
  const delegates = (dir: string) => {
    const enabled = sources.read(path.join(dir, 'cgroup.subtree_control')).trim().split(/\s+/);
    return V2_CONTROLLERS.every((c) => enabled.includes(c));
  };
  // Walk up from the runner's own cgroup; only the root may hold processes and still delegate.
  for (let p = own; p !== '/'; p = path.dirname(p)) {
    const dir = path.join(root, p);
    const hasProcesses = sources.read(path.join(dir, 'cgroup.procs')).trim() !== '';
    if (!hasProcesses && delegates(dir)) return dir;
  }
  if (!delegates(root)) {
    // The root is exempt from the no-internal-processes rule; enabling there is what systemd does at boot.
    const available = sources.read(path.join(root, 'cgroup.controllers')).trim().split(/\s+/);
    const missing = V2_CONTROLLERS.filter((c) => !available.includes(c));
    if (missing.length > 0) throw new Error(`cgroup v2 at ${root} lacks the ${missing.join(', ')} controller(s)`);
    writeCgroupFile(path.join(root, 'cgroup.subtree_control'), V2_CONTROLLERS.map((c) => `+${c}`).join(' '));
  }
  return root;
}
