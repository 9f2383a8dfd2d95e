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
  { number: 7, slug: '07-privileges', title: 'privileges', goal: 'capabilities, no_new_privs, seccomp, masked /proc and a minimal /dev: root that is not the host\'s root', options: ['--cap-add', '--cap-drop', '--privileged', '--security-opt', '--read-only', '--user', '--uidmap', '--gidmap'],
    // Composes its own container (chapter 2's namespaces, chapter 6's user namespace with --uidmap) with the classic hooks: toolkit/runtime/sequence.ts.
    builtOn: 0 },
  {
    number: 8, slug: '08-init-and-exec', title: 'PID 1 and exec', goal: 'an init that reaps and forwards signals, detached containers, exec and pods through setns(2)',
    options: ['--init', '-d', '--detach', '--network=container:', '--ipc', '--pid', '--monotonic-offset', '--boottime-offset'],
    // Chapter 5's container (namespaces, cgroup, image, network) for now: exec and pods join a
    // container with setns(2), which a user namespace would need nsexec for (chapter 6).
    builtOn: 5,
  },
  { number: 9, slug: '09-registry', title: 'registry', goal: 'pull an image from a registry with the OCI distribution protocol, verified, and run it', options: ['--image', '--keep'],
    // Chapter 4's container, with the image pulled from a registry first.
    builtOn: 4 },
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

/** Whether chapter `chapter`'s container has the walls of chapter `other`: itself, and every chapter up to the one it is built on. */
export function hasWallsOf(chapter: number, other: number): boolean {
  const base = findChapter(chapter)?.builtOn ?? chapter - 1;
  return other === chapter || other <= base;
}
