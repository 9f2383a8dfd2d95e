/**
 * The ordered list of chapters (rustlings keeps the same kind of manifest):
 * where each one's learner file, reference solution and grading suite are.
 */
import path from 'node:path';
import { PROJECT } from './paths.ts';

export interface ChapterInfo {
  readonly number: number;
  readonly slug: string;
  readonly title: string;
  /** One line: what the learner builds. */
  readonly goal: string;
  /** Runner options for the mechanism this chapter teaches (see supportsOption). */
  readonly options: readonly string[];
  /**
   * The chapter whose container this one adds its wall to (default: the one
   * before). Its walls and theirs come along: toolkit/runtime/sequence.ts.
   */
  readonly builtOn?: number;
}

/** Options every chapter has. */
const BASE_OPTIONS = ['--solution', '--mine', '--explain', '--name', '--hostname', '--rootfs'];

export const CHAPTERS: readonly ChapterInfo[] = [
  { number: 1, slug: '01-chroot', title: 'chroot', goal: 'run a command inside a root filesystem, and see why that is not enough', options: [] },
  { number: 2, slug: '02-namespaces', title: 'namespaces', goal: 'PID, mount, UTS and IPC namespaces, pivot_root and /proc', options: [] },
  { number: 3, slug: '03-cgroups', title: 'cgroups', goal: 'memory, CPU and process limits the kernel enforces, on cgroup v1 and v2', options: ['--memory', '--cpus', '--pids', '--stats'] },
  { number: 4, slug: '04-overlayfs', title: 'overlayfs', goal: 'images as read-only layers, a writable layer per container, copy-on-write and whiteouts', options: ['--image', '--keep', '--env', '--workdir', '--user', '--entrypoint', '--volume'] },
  { number: 5, slug: '05-network', title: 'network', goal: 'a network namespace, a veth pair, a bridge, NAT and published ports', options: ['--network', '--publish'] },
  { number: 6, slug: '06-user-namespaces', title: 'user namespaces', goal: 'root inside, nobody outside, and rootless containers', options: ['--uidmap', '--gidmap', '--unsafe-map-host-root'] },
  { number: 7, slug: '07-privileges', title: 'privileges', goal: 'capabilities, no_new_privs, seccomp, masked /proc and a minimal /dev: root that is not the host\'s root', options: ['--cap-add', '--cap-drop', '--privileged', '--security-opt', '--read-only', '--userns'] },
  {
    number: 8, slug: '08-init-and-exec', title: 'PID 1 and exec', goal: 'an init that reaps and forwards signals, detached containers, exec and pods through setns(2)',
    options: ['--init', '-d', '--detach', '--network=container:', '--ipc', '--pid', '--monotonic-offset', '--boottime-offset'],
    // Chapter 7's container, every wall: exec and pods join it through the C stages
    // (init/nsenter.c, runtime/nsexec.c), user namespace first; exec takes its privileges too.
  },
  { number: 9, slug: '09-registry', title: 'registry', goal: 'pull an image from a registry with the OCI distribution protocol, verified, and run it', options: ['--image', '--keep'] },
];

export type Target = 'chapters' | 'solutions';

export function findChapter(number: number): ChapterInfo | undefined {
  return CHAPTERS.find((c) => c.number === number);
}

/** chapters/02-namespaces/container.ts, or its twin under solutions/. */
export function chapterFile(chapter: ChapterInfo, target: Target): string {
  return path.join(PROJECT, target, chapter.slug, 'container.ts');
}

export function lessonFile(chapter: ChapterInfo): string {
  return path.join(PROJECT, 'chapters', chapter.slug, 'README.md');
}

/**
 * Chapter N's container has every wall of chapters 1..N (toolkit/runtime/sequence.ts),
 * so it takes the options of all of them: chapter 4 runs an image with
 * chapter 3's limits.
 */
export function supportsOption(chapter: ChapterInfo, flag: string): boolean {
  return BASE_OPTIONS.includes(flag) || CHAPTERS.some((c) => hasWallsOf(chapter.number, c.number) && c.options.includes(flag));
}

/**
 * Whether chapter `chapter`'s container has the walls of chapter `other`: its own, and those of
 * the chapter it is built on, and so on down (chapter 9 is built on 8, itself built on 6).
 */
export function hasWallsOf(chapter: number, other: number): boolean {
  if (other === chapter) return true;
  const base = findChapter(chapter)?.builtOn ?? chapter - 1;
  return base >= 1 && other <= base && hasWallsOf(base, other);
}

/**
 * Progressive hints, by TODO step (rustlings keeps its hints in its manifest
 * too): the idea, then the system call and flags, then the code. `npm run
 * hint N.M` shows the next one each time it is asked (toolkit/cli/hint.ts).
 */
export const HINTS: Readonly<Record<string, readonly [idea: string, call: string, code: string]>> = {
  '1.1': ['The kernel keeps a root directory per process; "/" in every path lookup starts there.', 'chroot(2) changes it, for this process and what it execs.', 'chroot(c.rootfs);'],
  '1.2': ['After chroot the working directory still points at the old tree, outside the new root.', 'chdir(2) to "/", which now means c.rootfs.', "chdir('/');"],
  '2.1': ['Four namespaces: one for the mount table, one for the hostname, one for IPC objects, one for PIDs.', 'The clone flags CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, combined with |; the runner passes them to unshare(2).', 'return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;'],
  '2.2': ['A new mount namespace starts with copies of the host\'s mounts, with their propagation: on systemd, "/" is shared, and events flow back.', 'mount(2) with no source and no type, target "/", flags MS_REC | MS_PRIVATE: every mount below, private.', "mount(null, '/', null, MS_REC | MS_PRIVATE);"],
  '2.3': ['pivot_root(2) refuses a new root that is just a directory.', 'A bind mount of the directory onto itself makes it a mount point: MS_BIND, and MS_REC to keep the mounts below it.', 'mount(c.rootfs, c.rootfs, null, MS_BIND | MS_REC);'],
  '2.4': ['/proc shows the PID namespace of whoever mounted it: the host\'s /proc shows the host\'s processes.', 'mount(2) a filesystem of type "proc" at c.rootfs + "/proc", with MS_NOSUID | MS_NODEV | MS_NOEXEC, before pivot_root.', "mount('proc', `${c.rootfs}/proc`, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);"],
  '2.5': ['chroot can be escaped; pivot_root swaps the mount namespace\'s root, and then the old one can be unmounted.', 'chdir(2) into the rootfs, pivot_root(".", ".") stacks the old root on top, umount2(".", MNT_DETACH) peels it off, chdir("/").', "chdir(c.rootfs);\npivotRoot('.', '.');\numount2('.', MNT_DETACH);\nchdir('/');"],
  '2.6': ['The container has a UTS namespace of its own: its hostname is its own.', 'sethostname(2).', 'sethostname(c.hostname);'],
  '3.1': ['A cgroup is a directory in cgroupfs; the kernel fills it with control files.', 'mkdir(2) each of allDirs(dirs): makeCgroupDir() does it.', 'for (const dir of allDirs(dirs)) makeCgroupDir(dir);'],
  '3.2': ['Each limit is one write to one file; the files differ between v1 and v2.', 'v2: memory.max, memory.swap.max 0, cpu.max "QUOTA PERIOD", pids.max. v1: memory.limit_in_bytes (+ memsw), cpu.cfs_period_us and cpu.cfs_quota_us, pids.max.', 'See solutions/03-cgroups/container.ts writeLimits(): writeCgroupFile(`${dirs.dir}/memory.max`, limits.memoryBytes) and so on, each only when set.'],
  '3.3': ['A process is moved by writing its PID into the cgroup; its children are then born inside.', 'write(2) pid (the container\'s, not process.pid) to cgroup.procs in every directory.', 'for (const dir of allDirs(dirs)) writeCgroupFile(`${dir}/cgroup.procs`, pid);'],
  '3.4': ['The numbers go when the cgroup goes: read them first.', 'v2: memory.peak, memory.events oom_kill, cpu.stat usage_usec, pids.events max; v1: memory.max_usage_in_bytes, memory.oom_control oom_kill, cpuacct.usage (ns), pids.events max.', 'See solutions/03-cgroups/container.ts readAccounting().'],
  '3.5': ['An empty cgroup is removed like a directory.', 'rmdir(2) each of allDirs(dirs): removeCgroupDir() waits for the last tasks.', 'for (const dir of allDirs(dirs)) removeCgroupDir(dir);'],
  '3.6': ['A cgroup namespace takes the caller\'s cgroup at the time it is made as its "/": so only now, inside, after the runner moved the process in.', 'unshare(2) with CLONE_NEWCGROUP, in the container\'s first process.', 'unshare(CLONE_NEWCGROUP);'],
  '4.1': ['overlayfs takes the first hit from the left of lowerdir; the manifest lists the base layer first.', 'Reverse the list, join with ":".', "return [...layers].reverse().join(':');"],
  '4.2': ['The overlay needs its lower layers, an upper for writes and an empty work directory on the same filesystem as upper.', "mount(2) source 'overlay', type 'overlay', flags 0, data \"lowerdir=…,upperdir=…,workdir=…\" + overlayExtraOptions(), on merged.", "mount('overlay', merged, 'overlay', 0, `lowerdir=${lowerdir(layers)},upperdir=${upper},workdir=${work}${overlayExtraOptions()}`);"],
  '4.3': ['Every later step works on c.rootfs: make it the merged view.', 'A new Container value with rootfs = containerDirs(c).merged.', 'return { ...c, rootfs: containerDirs(c).merged };'],
  '4.4': ['Removing a container drops its writable layer; the image\'s layers stay for others.', 'fs.rmSync(containerDirs(c).dir, { recursive: true, force: true }) unless c.keep.', 'See solutions/04-overlayfs/container.ts removeWritableLayer().'],
  '5.1': ['A network namespace has its own interfaces, routes, ports and firewall.', 'The clone flag CLONE_NEWNET.', 'return CLONE_NEWNET;'],
  '5.2': ['A bridge is a virtual switch; the host gets an address on it and it must be up.', "ip link add BRIDGE type bridge; ip address add GATEWAY/PREFIX dev BRIDGE; ip link set BRIDGE up.", "ip('link', 'add', net.bridge, 'type', 'bridge');\nip('address', 'add', `${net.gateway}/${net.prefixLength}`, 'dev', net.bridge);\nip('link', 'set', net.bridge, 'up');"],
  '5.3': ['The host routes for the containers, NATs them out, and lets in only replies and published ports.', "setSysctl('net.ipv4.ip_forward', '1'), route_localnet on the bridge, then insertRule(rule, net.bridge) for each of bridgeRules(net) (MASQUERADE, FORWARD accept, the 127.0.0.0/8 guard).", 'See solutions/05-network/container.ts routeThroughHost() and bridgeRules().'],
  '5.4': ['A veth pair is a cable: what goes in one end comes out the other.', 'ip link add HOST type veth peer name PEER; ip link set HOST master BRIDGE; ip link set HOST up; ip link set PEER netns PID.', 'See solutions/05-network/container.ts connectContainer().'],
  '5.5': ['-p HOST:CONTAINER is destination NAT of connections to a local address.', 'nat PREROUTING and OUTPUT: -p tcp --dport HOST -m addrtype --dst-type LOCAL -j DNAT --to-destination ADDRESS:CONTAINER.', 'See solutions/05-network/container.ts publishRules().'],
  '5.6': ['In a new network namespace even lo is down.', 'ip link set lo up.', "ip('link', 'set', 'lo', 'up');"],
  '5.7': ['The peer end arrived down and with its host name.', 'ip link set PEER name eth0; ip address add ADDRESS/PREFIX dev eth0; ip link set eth0 up; ip route add default via GATEWAY.', 'See solutions/05-network/container.ts configureEth0().'],
  '5.8': ['Undo in the reverse order; the bridge goes with the last container.', 'deleteRule() for the publish rules, deleteLinkIfPresent(hostVeth); when bridgePorts() is empty: the bridge rules, restoreSysctls(), deleteLinkIfPresent(bridge).', 'See solutions/05-network/container.ts disconnectNetwork().'],
  '6.1': ['The user namespace must exist before the others, so that it owns them.', 'The clone flag CLONE_NEWUSER; the runner then hands all flags to nsexec.', 'return CLONE_NEWUSER;'],
  '6.2': ['A map line says: COUNT IDs from INSIDE are the IDs from OUTSIDE on the host.', 'One write(2) of "INSIDE OUTSIDE COUNT\\n" lines to /proc/PID/uid_map, or newuidmap(1) when you may not.', "maps.map((m) => `${m.inside} ${m.outside} ${m.count}\\n`).join('') — and writeProcFile(`/proc/${pid}/uid_map`, mapText(uids)) or newIdMap('uid', pid, uids)."],
  '6.3': ['Without root, gid_map is refused until setgroups is denied for good: dropping a group could grant access.', 'write "deny" to /proc/PID/setgroups when rootless(), then gid_map as for 6.2 (newgidmap otherwise).', 'See solutions/06-user-namespaces/container.ts writeGidMap().'],
  '6.4': ['Root inside is, on the host, the ID the map turns 0 into; files it writes must belong to that ID.', 'chown(2) each directory to hostId(uids, 0), hostId(gids, 0); hostId = outside + (id - inside) of the mapping that holds id.', 'See solutions/06-user-namespaces/container.ts ownWritableLayer() and hostId().'],
  '7.1': ['For root, execve(2) makes the new permitted set from the bounding set: what leaves it can never come back.', 'prctl(2) PR_CAPBSET_DROP, once for each capability 0…lastCapability() not in keep: dropBoundingCapability(cap).', 'for (let cap = 0; cap <= lastCapability(); cap++) if (!keep.includes(cap)) dropBoundingCapability(cap);'],
  '7.2': ['Effective and permitted: the kept set. Inheritable: none, or the runner\'s passes through the exec (inheritable | bounding).', 'capset(2) with a version-3 header: capset({ effective, permitted, inheritable }) with capabilityMask(keep); then prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL).', 'const mask = capabilityMask(keep);\ncapset({ effective: mask, permitted: mask, inheritable: 0n });\nclearAmbientCapabilities();'],
  '7.3': ['A one-way switch: after it, execve(2) never grants more — setuid bits and file capabilities are ignored.', 'prctl(2) PR_SET_NO_NEW_PRIVS, 1: setNoNewPrivs().', 'setNoNewPrivs();'],
  '7.4': ['First the architecture (numbers mean other calls on another ABI), then the number, then the verdict.', 'ld [SECCOMP_DATA_ARCH]; jeq auditArch(arch) or ret KILL_PROCESS; ld [SECCOMP_DATA_NR]; x32 ≥ X32_SYSCALL_BIT → EPERM; clone3 → ENOSYS; clone with jset CLONE_NAMESPACE_FLAGS on args[0] → EPERM; jeq each deniedNumbers(arch) → ret ERRNO|EPERM; ret ALLOW. Jumps count from the next instruction.', 'See solutions/07-privileges/container.ts buildSeccompFilter(); node --import tsx toolkit/security/show-filter.ts prints yours next to the reference (--solution).'],
  '7.5': ['A filter belongs to a thread; Node has many.', 'seccomp(2) SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_TSYNC: seccompSetModeFilter().', 'seccompSetModeFilter(program, SECCOMP_FILTER_FLAG_TSYNC);'],
  '7.6': ['The container\'s own /dev: a tmpfs with six nodes, under c.rootfs before pivot_root (after chapter 2\'s bind of the rootfs, so it lands in the new root), while the host\'s nodes are still there to bind.', 'mount(2) tmpfs at c.rootfs + "/dev" (MS_NOSUID | MS_STRICTATIME, "mode=755"); mknod(2) each of DEVICES (S_IFCHR | mode), or bind the host\'s node where mknod is EPERM; DEV_SYMLINKS; devpts "newinstance,ptmxmode=0666" at dev/pts; tmpfs at dev/shm.', 'See solutions/07-privileges/container.ts mountDev().'],
  '7.7': ['A bind mount becomes read-only only on a remount; and all of it under c.rootfs, before pivot_root, while the host\'s /proc and /sys are in view (a user namespace allows a new sysfs only then).', 'For each READONLY_PATHS entry p with at = c.rootfs + p existing: mount(at, at, null, MS_BIND | MS_REC), then mount(at, at, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC); then, unless isMountPoint(c.rootfs + "/sys"), a sysfs there with MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC.', 'See solutions/07-privileges/container.ts mountReadOnlyPaths().'],
  '7.8': ['Hide a file behind /dev/null, a directory behind an empty read-only tmpfs; skip what this kernel does not have. Under c.rootfs, before pivot_root, like 7.7.', 'at = c.rootfs + p; pathKind(at): "file" → mount("/dev/null", at, null, MS_BIND); "directory" → mount("tmpfs", at, "tmpfs", MS_RDONLY, "size=0"); "absent" → nothing.', "for (const p of MASKED_PATHS) {\n  const at = `${c.rootfs}${p}`;\n  const kind = pathKind(at);\n  if (kind === 'file') mount('/dev/null', at, null, MS_BIND);\n  else if (kind === 'directory') mount('tmpfs', at, 'tmpfs', MS_RDONLY, 'size=0');\n}"],
  '7.9': ['cgroup v1\'s devices controller checks every open(2) and mknod(2) of a device node against a list.', 'makeCgroupDir(dir); "a" to devices.deny; each deviceAllowList() line to devices.allow; pid to cgroup.procs.', "makeCgroupDir(dir);\nwriteCgroupFile(`${dir}/devices.deny`, 'a');\nfor (const line of deviceAllowList()) writeCgroupFile(`${dir}/devices.allow`, line);\nwriteCgroupFile(`${dir}/cgroup.procs`, pid);"],
  '7.10': ['"/" is chapter 2\'s bind mount of the rootfs: remount it.', 'mount(2) with MS_BIND | MS_REMOUNT | MS_RDONLY on "/".', "mount(null, '/', null, MS_BIND | MS_REMOUNT | MS_RDONLY);"],
};
