/**
 * Where a container's devices cgroup goes (cgroup v1 only). The devices
 * controller checks every open(2) and mknod(2) of a device node against an
 * allow list — so a CAP_MKNOD root still cannot make or use /dev/sda.
 * cgroup v2 has no such files: there a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * attached to the container's cgroup with bpf(2), answers the same question
 * (runc and crun generate one from the same list).
 * https://docs.kernel.org/admin-guide/cgroup-v1/devices.html
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where the v1 devices hierarchy is mounted, or null (cgroup v2 only, or no devices controller). */
export function devicesMountPoint(mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string | null {
  const mount = mountinfo.trim().split('\n').map((line) => line.split(' - ')).find(([, right]) => {
    const [type, , options = ''] = (right ?? '').split(' ');
    return type === 'cgroup' && options.split(',').includes('devices');
  });
  return mount ? mount[0]!.split(' ')[4]! : null;
}

/** A process's cgroup in the devices hierarchy, from /proc/PID/cgroup ("/user/workbook-…"), or undefined. */
export function devicesCgroupOf(procCgroup: string): string | undefined {
  return procCgroup.trim().split('\n').map((l) => l.split(':')).find(([, controllers = '']) => controllers.split(',').includes('devices'))?.[2];
}

/** The devices hierarchy's directory for the runner's own cgroup, or null (cgroup v2, or no devices controller). */
export function devicesParent(mountinfo?: string, selfCgroup = fs.readFileSync('/proc/self/cgroup', 'utf8')): string | null {
  const point = devicesMountPoint(mountinfo);
  const own = devicesCgroupOf(selfCgroup);
  if (point === null || own === undefined) return null;
  return path.resolve(point, `.${own}`);
}

/** The container's devices cgroup: named like chapter 3's, workbook-ID, so `npm run clean` knows it. */
export function devicesCgroupDir(id: string, parent = devicesParent()): string | null {
  return parent === null ? null : path.join(parent, `workbook-${id}`);
}
