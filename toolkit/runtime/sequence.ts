/**
 * The stack: chapter N's container is chapter N−1's with one more wall. Every
 * chapter exports its steps as plain functions; SEQUENCE below says, once for
 * all chapters, in which order they run — the sequence `docker run` goes
 * through, from pull to cleanup — and the runner walks it:
 *
 *   host     create      docker pull + create: layers, upper/work/merged   (4, 6)
 *   host     namespaces  the clone flags each wall needs; the runtime unshares
 *                        them, or nsexec does when one is CLONE_NEWUSER  (2, 5, 6)
 *   host     enter       a pod's namespaces, opened for nsexec to join     (8)
 *   host     idmaps      uid_map, gid_map, timens_offsets, while nsexec waits (6, 8)
 *   host     prepare     cgroup limits, veth and NAT, the devices cgroup:
 *                        before the command runs                      (3, 5, 7)
 *   inside   setup       cgroup namespace, mounts, overlay, /proc, /dev, network,
 *                        masked and read-only paths, pivot_root, hostname  (2–7)
 *   inside   confine     what must come last, just before execve(command):
 *                        the bounding set, the uid, capset, no_new_privs, and
 *                        the seccomp filter, which refuses the mount(2) and
 *                        unshare(2) every setup step needs               (7)
 *   host     cleanup     in the reverse order, after the end or a crash  (3–7)
 *
 * For chapter N, chapter N's steps come from the file being graded (the
 * learner's, or the reference with --solution); every earlier chapter's from
 * solutions/ — so a learner stuck in chapter 3 can still do chapter 4 — or,
 * with --mine, from the learner's own chapters/. `npm run chapter N --
 * --explain` prints the walk without running it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chapterFile, hasWallsOf, type Target } from '../chapters.ts';
import { CLONE_NEWUSER, setns, unshare } from '../kernel/index.ts';
import { PROJECT } from '../paths.ts';
import type { Container } from './container.ts';

export type Phase = 'create' | 'namespaces' | 'enter' | 'idmaps' | 'prepare' | 'setup' | 'confine' | 'cleanup';
export type Side = 'host' | 'inside';

export const SIDE: Readonly<Record<Phase, Side>> = {
  create: 'host', namespaces: 'host', enter: 'host', idmaps: 'host', prepare: 'host', setup: 'inside', confine: 'inside', cleanup: 'host',
};

/** What a step is given: host steps after the spawn also get the container's first process, as the host sees it. */
export type CreateStep = (c: Container) => Container | void;
export type NamespacesStep = (c: Container) => number;
export type PidStep = (c: Container, pid: number) => Container | void;
export type ContainerStep = (c: Container) => void;
/** Open namespace files to join instead of making those kinds (a pod). */
export type JoinStep = (c: Container) => number[];

export interface StepSpec {
  /** The chapter whose file exports the step. */
  readonly chapter: number;
  /** The exported function's name. */
  readonly step: string;
  readonly phase: Phase;
  /** The TODOs the learner writes in it (none: given code). */
  readonly todos?: string;
  /** What it does, in docker's terms. */
  readonly does: string;
  /** Only in chapters up to this one (chapter 1's chroot gives way to chapter 2's pivot_root). */
  readonly until?: number;
  /** When the step applies to this container; `unless` says why it is skipped otherwise. */
  readonly when?: (c: Container) => boolean;
  readonly unless?: string | ((c: Container) => string);
}

const mapped = (c: Container) => !c.rootless;
const withImage = (c: Container) => !c.plainRootfs;
const PLAIN = 'no image: the plain rootfs is the root (--rootfs DIR, or rootless: the layer store is root\'s)';
/** Chapter 6's user namespace, unless chapter 7's --userns host asks for none (docker without userns-remap). */
const ownUsers = (c: Container) => c.userns !== 'host';
const HOST_USERS = '--userns host: no user namespace, root inside is the host\'s root (as in chapter 2)';
/** Chapter 7's options, with the defaults of toolkit/security/privileges.ts (not imported: it loads capset's binding into every container's first process). */
const privileges = (c: Container) => ({
  privileged: c.privileges?.privileged === true,
  seccomp: c.privileges?.seccomp ?? true,
  noNewPrivileges: c.privileges?.noNewPrivileges ?? true,
  readOnlyRootfs: c.privileges?.readOnlyRootfs === true,
});
const confined = (c: Container) => !privileges(c).privileged;
const PRIVILEGED = '--privileged: every capability, no filter, no masks (docker run --privileged)';
const userOrPlain = (c: Container) => (ownUsers(c) ? PLAIN : HOST_USERS);

/** Every step of every chapter, in the order it runs. New chapters add theirs here. */
export const SEQUENCE: readonly StepSpec[] = [
  // docker pull + docker create
  { chapter: 4, step: 'prepareImage', phase: 'create', does: 'pull: the image\'s layers unpacked once into the layer store; create: the container\'s empty upper/, work/, merged/', when: withImage, unless: PLAIN },
  { chapter: 6, step: 'shiftImageLayers', phase: 'create', does: 'the layers as container root must own them: copies chowned into the mapped range, cached per mapping', when: (c) => withImage(c) && ownUsers(c), unless: userOrPlain },
  { chapter: 4, step: 'useMergedAsRootfs', phase: 'create', todos: '4.3', does: 'the overlay\'s merged/ becomes the container\'s root filesystem', when: withImage, unless: PLAIN },

  // clone flags: unshare(2) on the runner's main thread, or nsexec
  { chapter: 2, step: 'namespaces', phase: 'namespaces', todos: '2.1', does: 'mount, UTS, IPC and PID namespaces' },
  { chapter: 5, step: 'namespaces', phase: 'namespaces', todos: '5.1', does: 'a network namespace: its own lo, routes, ports and firewall' },
  { chapter: 6, step: 'namespaces', phase: 'namespaces', todos: '6.1', does: 'a user namespace, made first and alone by nsexec, so that it owns all the others', when: ownUsers, unless: HOST_USERS },
  { chapter: 8, step: 'timeNamespace', phase: 'namespaces', todos: '8.8', does: 'a time namespace (--monotonic-offset, --boottime-offset), made by nsexec with the user namespace, which owns it', when: (c) => c.timeOffsets !== undefined, unless: 'no clock offsets' },
  // before the spawn: another container's namespaces, open, for nsexec to join instead of making them
  { chapter: 8, step: 'openPodNamespaces', phase: 'enter', todos: '8.7', does: 'a pod (--network container:NAME…): the other container\'s user namespace, then its network, IPC or PID namespace, opened for nsexec to setns(2) into', when: (c) => c.join !== undefined, unless: 'not in a pod' },
  { chapter: 6, step: 'writeIdMaps', phase: 'idmaps', todos: '6.2, 6.3', does: 'uid_map and gid_map: root inside is an unprivileged uid outside', when: (c) => ownUsers(c) && c.join?.user === undefined, unless: (c) => (ownUsers(c) ? 'a pod: its user namespace is joined, with the maps of the container that made it' : HOST_USERS) },
  { chapter: 8, step: 'writeTimeOffsets', phase: 'idmaps', todos: '8.8', does: '/proc/PID/timens_offsets, before any process enters the time namespace', when: (c) => c.timeOffsets !== undefined, unless: 'no clock offsets' },

  // the host side, before the command runs
  { chapter: 6, step: 'ownWritableLayer', phase: 'prepare', todos: '6.4', does: 'the container\'s writable layer (upper/ and work/, or its own /tmp rootless) given to the host uid that is root inside', when: ownUsers, unless: HOST_USERS },
  { chapter: 3, step: 'joinCgroup', phase: 'prepare', todos: '3.1–3.3', does: 'a cgroup of its own with the limits (-m, --cpus, --pids), the first process moved in', when: mapped, unless: 'rootless: cgroups need delegation (systemd), which the workbook does not ask for' },
  { chapter: 5, step: 'connectNetwork', phase: 'prepare', todos: '5.2–5.5', does: 'the bridge, a veth pair into the container, NAT out and DNAT for -p (with --network none: nothing)' },
  { chapter: 7, step: 'allowDevices', phase: 'prepare', todos: '7.9', does: 'cgroup v1: a devices cgroup that denies every device node but the few of /dev (v2: none, see the lesson)', when: (c) => confined(c) && mapped(c), unless: (c) => (confined(c) ? 'rootless: no cgroup of its own' : PRIVILEGED) },

  // inside, in the first process, before execve
  { chapter: 1, step: 'changeRoot', phase: 'setup', todos: '1.1', does: 'chroot(2) into the rootfs', until: 1 },
  { chapter: 1, step: 'enterRoot', phase: 'setup', todos: '1.2', does: 'chdir(2) to the new "/"', until: 1 },
  { chapter: 3, step: 'enterCgroupNamespace', phase: 'setup', todos: '3.6', does: 'a cgroup namespace, made once the process is in its cgroup: that cgroup is its "/"', when: mapped, unless: 'rootless: no cgroup of its own' },
  { chapter: 2, step: 'makeMountsPrivate', phase: 'setup', todos: '2.2', does: 'no mount event propagates to or from the host' },
  { chapter: 4, step: 'mountOverlay', phase: 'setup', todos: '4.1, 4.2', does: 'overlayfs: the image\'s layers read-only, upper/ on top, mounted on merged/', when: withImage, unless: PLAIN },
  { chapter: 6, step: 'mountOwnTmp', phase: 'setup', does: 'on the shared plain rootfs (owned by host root): a /tmp of its own', when: (c) => c.plainRootfs && ownUsers(c), unless: (c) => (ownUsers(c) ? 'the overlay\'s upper layer is the container\'s to write' : HOST_USERS) },
  // Chapter 7's mountDev makes a whole /dev instead, binding the same host nodes where mknod(2) is EPERM.
  { chapter: 6, step: 'bindDevices', phase: 'setup', does: 'the host\'s /dev/null, zero, full, random, urandom, tty bound in: device files on a user namespace\'s overlay never open', when: withImage, unless: PLAIN, until: 6 },
  { chapter: 4, step: 'bindVolumes', phase: 'setup', does: '--volume: host directories bound into the new root (recursive; :ro made read-only)', when: (c) => (c.volumes?.length ?? 0) > 0, unless: 'no --volume' },
  { chapter: 2, step: 'bindRootfs', phase: 'setup', todos: '2.3', does: 'the root filesystem bound onto itself: a mount point, as pivot_root needs' },
  { chapter: 2, step: 'mountProc', phase: 'setup', todos: '2.4', does: 'a /proc of the new PID namespace' },
  { chapter: 3, step: 'mountCgroupfs', phase: 'setup', does: 'on cgroup v2: its own cgroup tree, read-only, at /sys/fs/cgroup', when: mapped, unless: 'rootless' },
  // Under the rootfs, before pivot_root: the host's /dev nodes are still there to bind, and in a user
  // namespace the kernel allows a new sysfs only while one is in view.
  { chapter: 7, step: 'mountDev', phase: 'setup', todos: '7.6', does: 'a /dev of its own: a tmpfs with null, zero, full, random, urandom, tty, the std* links, devpts, shm' },
  { chapter: 7, step: 'mountReadOnlyPaths', phase: 'setup', todos: '7.7', does: '/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs read-only; a read-only sysfs at /sys', when: confined, unless: PRIVILEGED },
  { chapter: 7, step: 'maskPaths', phase: 'setup', todos: '7.8', does: '/proc/kcore, /proc/keys, /sys/firmware and the rest masked: /dev/null or an empty tmpfs over them', when: confined, unless: PRIVILEGED },
  { chapter: 5, step: 'configureNetwork', phase: 'setup', todos: '5.6, 5.7', does: 'lo up; eth0 named, addressed, up, with the default route via the bridge' },
  { chapter: 2, step: 'pivotIntoRootfs', phase: 'setup', todos: '2.5', does: 'pivot_root(2): the rootfs becomes "/", the host\'s old root is detached' },
  { chapter: 2, step: 'setHostname', phase: 'setup', todos: '2.6', does: 'sethostname(2) in its own UTS namespace' },
  { chapter: 7, step: 'makeRootReadOnly', phase: 'setup', todos: '7.10', does: '--read-only: "/" remounted read-only', when: (c) => privileges(c).readOnlyRootfs, unless: 'no --read-only' },

  // inside, last, just before execve: after these, the process cannot mount or unshare any more
  { chapter: 7, step: 'installSeccompFilter', phase: 'confine', todos: '7.5', does: 'with no-new-privileges=false: the seccomp filter first, while CAP_SYS_ADMIN still allows it', when: (c) => confined(c) && privileges(c).seccomp && !privileges(c).noNewPrivileges, unless: (c) => (confined(c) ? 'after no_new_privs, at the end (below)' : PRIVILEGED) },
  { chapter: 7, step: 'dropBoundingSet', phase: 'confine', todos: '7.1', does: 'prctl(PR_CAPBSET_DROP) for every capability not kept (docker\'s 14, --cap-add, --cap-drop)', when: confined, unless: PRIVILEGED },
  { chapter: 7, step: 'becomeUser', phase: 'confine', does: '--user or the image\'s User, while CAP_SETUID is still there, keeping the permitted set for capset', when: (c) => c.user !== undefined, unless: 'runs as root (no --user, no User in the image)' },
  { chapter: 7, step: 'setCapabilities', phase: 'confine', todos: '7.2', does: 'capset(2): effective = permitted = the kept set, inheritable none; ambient cleared', when: confined, unless: PRIVILEGED },
  { chapter: 7, step: 'setNoNewPrivileges', phase: 'confine', todos: '7.3', does: 'prctl(PR_SET_NO_NEW_PRIVS): setuid bits and file capabilities grant nothing any more', when: (c) => confined(c) && privileges(c).noNewPrivileges, unless: (c) => (confined(c) ? '--security-opt no-new-privileges=false' : PRIVILEGED) },
  { chapter: 7, step: 'installSeccompFilter', phase: 'confine', todos: '7.4, 7.5', does: 'seccomp(2) with TSYNC: mount, unshare, setns, keyctl, ptrace… get EPERM, on every thread, through the execve', when: (c) => confined(c) && privileges(c).seccomp && privileges(c).noNewPrivileges, unless: (c) => (!confined(c) ? PRIVILEGED : privileges(c).seccomp ? 'installed first (above): no_new_privs is off' : '--security-opt seccomp=unconfined') },

  // after the end — also after a crash, from the state file alone
  { chapter: 7, step: 'removeDevicesCgroup', phase: 'cleanup', does: 'the devices cgroup (cgroup v1)', when: mapped, unless: 'rootless' },
  { chapter: 6, step: 'removeOwnTmp', phase: 'cleanup', does: 'the container\'s own /tmp (plain rootfs)', when: (c) => c.plainRootfs && ownUsers(c), unless: (c) => (ownUsers(c) ? 'the writable layer goes with the container (chapter 4)' : HOST_USERS) },
  { chapter: 5, step: 'disconnectNetwork', phase: 'cleanup', todos: '5.8', does: 'DNAT rules, the veth pair; the bridge and its rules with the last container', when: (c) => c.network === 'bridge', unless: '--network none' },
  { chapter: 3, step: 'removeContainerCgroup', phase: 'cleanup', todos: '3.4, 3.5', does: 'accounting read, then the cgroup removed', when: mapped, unless: 'rootless' },
  { chapter: 4, step: 'removeWritableLayer', phase: 'cleanup', todos: '4.4', does: 'the container\'s upper/ dropped (unless --keep); the image\'s layers stay', when: withImage, unless: PLAIN },
];

/** Which file each chapter of the stack comes from. */
export type StackFiles = Readonly<Record<number, string>>;

export interface StackChoice {
  /** The chapter being run. */
  chapter: number;
  /** Where chapter N's own file comes from: the learner's, or the reference (--solution). */
  target: Target;
  /** --mine: earlier chapters from the learner's chapters/ instead of solutions/. */
  mine: boolean;
}

/** The steps of chapter N's container, in order. */
export function stepsOf(chapter: number): StepSpec[] {
  return SEQUENCE.filter((s) => hasWallsOf(chapter, s.chapter) && (s.until === undefined || chapter <= s.until));
}

/** The files the stack of chapter N is made of: only chapters that contribute a step. */
export function stackFiles(choice: StackChoice, chapters: readonly { number: number; slug: string }[]): StackFiles {
  const files: Record<number, string> = {};
  // The chapter run is always in its stack, even with no step in SEQUENCE (chapter 8: its init, run by the child stage).
  for (const spec of [{ chapter: choice.chapter }, ...stepsOf(choice.chapter)]) {
    if (files[spec.chapter] !== undefined) continue;
    const info = chapters.find((c) => c.number === spec.chapter);
    if (info === undefined) continue;
    const target = spec.chapter === choice.chapter ? choice.target : choice.mine ? 'chapters' : 'solutions';
    files[spec.chapter] = chapterFile(info as Parameters<typeof chapterFile>[0], target);
  }
  return files;
}

/** The loaded modules of a stack, by chapter number. */
export type StackModules = Readonly<Record<number, Record<string, unknown>>>;

export async function loadStack(files: StackFiles): Promise<StackModules> {
  // Imported here, not above: the child stage runs this file's steps and needs no compiler (esbuild's cache, node:crypto).
  const { importChapter } = await import('../build/chapter.ts');
  const modules: Record<number, Record<string, unknown>> = {};
  for (const [chapter, file] of Object.entries(files)) modules[Number(chapter)] = await importChapter(file);
  return modules;
}

/** The top chapter of a stack. */
export function topChapter(files: StackFiles | StackModules): number {
  return Math.max(...Object.keys(files).map(Number));
}

/** Thrown when a chapter file lacks a step the sequence needs (e.g. renamed by the learner). */
export class MissingStepError extends Error {
  override readonly name = 'MissingStepError';
}

/** The steps of one phase that apply to `c`, each bound to its function. */
export function phaseSteps<F>(modules: StackModules, phase: Phase, c: Container): { spec: StepSpec; run: F }[] {
  const top = topChapter(modules);
  // A chapter absent from the stack contributes nothing (a test's partial stack, tests/kernel).
  const specs = stepsOf(top).filter((s) => s.phase === phase && modules[s.chapter] !== undefined && (s.when?.(c) ?? true));
  return specs.map((spec) => {
    const fn = modules[spec.chapter]?.[spec.step];
    if (typeof fn !== 'function') {
      throw new MissingStepError(`chapter ${spec.chapter}'s file does not export ${spec.step}() — the step "${spec.does}" (toolkit/runtime/sequence.ts)`);
    }
    return { spec, run: fn as F };
  });
}

/**
 * A file that composes its own container exports these hooks instead of
 * steps of SEQUENCE — the selftest's cheaters (tests/cheaters/) do, to fake a
 * chapter's walls: the stack is that one file, and each phase calls its hook.
 */
export interface ClassicChapter {
  createNamespaces?(c: Container): void;
  namespacesForNsexec?(c: Container): number | undefined;
  writeIdMaps?(c: Container, pid: number): void;
  prepareHost?(c: Container, pid: number): void;
  setupContainer(c: Container): void;
  cleanupHost?(c: Container): void;
}

export function classicOf(modules: StackModules): ClassicChapter | undefined {
  const top = modules[topChapter(modules)];
  return typeof top?.setupContainer === 'function' ? (top as unknown as ClassicChapter) : undefined;
}

/**
 * How the first process gets its namespaces: nsexec's flags (a user namespace among them) and the
 * open namespaces it joins (join() opens them: the caller closes them after the spawn), or a call
 * on the runner's main thread before the spawn.
 */
export interface NamespacePlan {
  nsexec?: number;
  join(): number[];
  onMainThread(): void;
}

export function namespacePlan(modules: StackModules, c: Container): NamespacePlan {
  const classic = classicOf(modules);
  if (classic !== undefined) {
    const nsexec = classic.namespacesForNsexec?.(c);
    return { ...(nsexec !== undefined ? { nsexec } : {}), join: () => [], onMainThread: () => classic.createNamespaces?.(c) };
  }
  const flags = namespaceFlags(modules, c);
  const join = () => phaseSteps<JoinStep>(modules, 'enter', c).flatMap(({ run }) => run(c));
  if ((flags & CLONE_NEWUSER) !== 0) return { nsexec: flags, join, onMainThread: () => {} };
  return {
    join: () => [],
    onMainThread: () => {
      if (flags !== 0) unshare(flags);
      // Without a user namespace, the main thread can join a network, IPC or PID namespace itself.
      for (const fd of join()) {
        try {
          setns(fd, 0, `/proc/self/fd/${fd}`);
        } finally {
          fs.closeSync(fd);
        }
      }
      // No nsexec to wait in: the clock offsets (idmaps' other step) for our own next child, now.
      runWithPid(modules, 'idmaps', c, process.pid);
    },
  };
}

/** Runs the create phase: each step may hand back a changed Container (a value, never mutated). */
export function runCreate(modules: StackModules, c: Container): Container {
  if (classicOf(modules) !== undefined) return c;
  for (const { run } of phaseSteps<CreateStep>(modules, 'create', c)) c = run(c) ?? c;
  return c;
}

/** docker pull, before anything else (the image's config is read next): each chapter's pull step, in order (chapter 9: from a registry). */
export async function runPull(modules: StackModules, image: string): Promise<void> {
  for (const [n, m] of Object.entries(modules)) {
    if (!hasWallsOf(topChapter(modules), Number(n))) continue;
    const pull = m.pull as ((image: string) => Promise<void>) | undefined;
    if (typeof pull === 'function') await pull(image);
  }
}

/** The union of every wall's clone flags. */
export function namespaceFlags(modules: StackModules, c: Container): number {
  return phaseSteps<NamespacesStep>(modules, 'namespaces', c).reduce((flags, { run }) => flags | run(c), 0);
}

/** idmaps and prepare: host steps that know the container's first process; a prepare step may hand back a changed Container (chapter 5 adds its lease). */
export function runWithPid(modules: StackModules, phase: 'idmaps' | 'prepare', c: Container, pid: number): Container {
  const classic = classicOf(modules);
  if (classic !== undefined) {
    if (phase === 'idmaps') classic.writeIdMaps?.(c, pid);
    else classic.prepareHost?.(c, pid);
    return c;
  }
  for (const { run } of phaseSteps<PidStep>(modules, phase, c)) c = run(c, pid) ?? c;
  return c;
}

/** Inside the container: the setup steps, in order, then the confine steps, the last before execve. */
export function runSetup(modules: StackModules, c: Container): void {
  const classic = classicOf(modules);
  if (classic !== undefined) return classic.setupContainer(c);
  for (const phase of ['setup', 'confine'] as const) {
    for (const { run } of phaseSteps<ContainerStep>(modules, phase, c)) run(c);
  }
}

/**
 * The cleanup steps; every one runs even if an earlier one failed (a leftover
 * cgroup must not keep the network from being undone). The first error is thrown after.
 */
export function runCleanup(modules: StackModules, c: Container): void {
  const classic = classicOf(modules);
  if (classic !== undefined) return classic.cleanupHost?.(c);
  let first: unknown;
  for (const { run } of phaseSteps<ContainerStep>(modules, 'cleanup', c)) {
    try {
      run(c);
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

/** A project path as the learner reads it: solutions/04-overlayfs/container.ts. */
export function shortPath(file: string): string {
  return path.relative(PROJECT, file);
}
