/**
 * The runner remembers which cgroups the container's first process was put
 * in (by the chapter's prepareHost), read from /proc/PID/cgroup, and after
 * cleanupHost() says so if one of them is still there: a cgroup the kernel
 * keeps for nothing, and the next learner's hint (cgroups(7)).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Mount points of the cgroup hierarchies, keyed by /proc/PID/cgroup's hierarchy field ("" for v2). */
function hierarchies(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const [left, right = ''] = line.split(' - ');
    const [type, , options = ''] = right.split(' ');
    const point = left!.split(' ')[4]!;
    if (type === 'cgroup2') map.set('', point);
    if (type === 'cgroup') {
      const controllers = options.split(',').filter((o) => !['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime'].includes(o) && !o.includes('='));
      map.set(controllers.join(','), point);
      const name = options.split(',').find((o) => o.startsWith('name='));
      if (name) map.set(name, point);
    }
  }
  return map;
}

function cgroupsOf(pid: number | 'self'): Set<string> {
  try {
    const mounts = hierarchies();
    return new Set(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').flatMap((line) => {
      const [, key = '', own = '/'] = line.split(':');
      const point = mounts.get(key);
      return point ? [path.join(point, own)] : [];
    }));
  } catch {
    return new Set();
  }
}

/** The cgroups `pid` is in that the runner is not: the ones made for the container. */
export function containerCgroups(pid: number): string[] {
  const own = cgroupsOf('self');
  return [...cgroupsOf(pid)].filter((dir) => !own.has(dir));
}

/** Those of `dirs` that still exist. */
export function remaining(dirs: readonly string[]): string[] {
  return dirs.filter((dir) => fs.existsSync(dir));
}
