/** Finding the cgroup hierarchies, on v1, hybrid and v2 machines — from made-up /proc files, no root needed. */
import { describe, expect, test } from 'vitest';
import { detectCgroups, type CgroupSources } from '../../toolkit/cgroups/index.ts';

const files = (map: Record<string, string>): Pick<CgroupSources, 'read'> => ({ read: (file) => map[file] ?? '' });

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('detectCgroups', () => {
  test('hybrid: a cgroup2 tree without memory/cpu/pids counts as v1, and containers go below our own cgroups', () => {
    const layout = detectCgroups({
      mountinfo: V1_MOUNTS,
      selfCgroup: '4:memory:/machine/acct\n2:cpu,cpuacct:/\n8:pids:/user\n0::/',
      ...files({ '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' }),
    });
    expect(layout).toEqual({
      version: 1,
      parents: {
        memory: '/sys/fs/cgroup/memory/machine/acct',
        cpu: '/sys/fs/cgroup/cpu,cpuacct',
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
        pids: '/sys/fs/cgroup/pids/user',
      },
    });
  });

  test('v2: the nearest ancestor that delegates memory, cpu and pids and holds no processes', () => {
    const layout = detectCgroups({
      mountinfo: '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
      selfCgroup: '0::/user.slice/user-1000.slice/session-3.scope',
      ...files({
        '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids',
        '/sys/fs/cgroup/cgroup.subtree_control': 'cpu io memory pids',
        '/sys/fs/cgroup/user.slice/cgroup.subtree_control': 'cpu memory pids',
        '/sys/fs/cgroup/user.slice/user-1000.slice/cgroup.subtree_control': 'memory pids',
        '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/cgroup.procs': '812\n1045\n',
      }),
    });
    expect(layout).toEqual({ version: 2, parent: '/sys/fs/cgroup/user.slice' });
  });

  test('v2 in the root cgroup (a VM or CI guest): the root, which may hold processes', () => {
    const layout = detectCgroups({
      mountinfo: '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
      selfCgroup: '0::/',
      ...files({ '/sys/fs/cgroup/cgroup.controllers': 'cpu memory pids', '/sys/fs/cgroup/cgroup.subtree_control': 'cpu memory pids' }),
    });
    expect(layout).toEqual({ version: 2, parent: '/sys/fs/cgroup' });
  });

  test('no hierarchy with a needed controller: the error names it', () => {
    expect(() => detectCgroups({ mountinfo: V1_MOUNTS.replace(/.*pids.*\n/, ''), selfCgroup: '4:memory:/\n2:cpu,cpuacct:/\n0::/', ...files({}) })).toThrow(/pids controller/);
  });
});
