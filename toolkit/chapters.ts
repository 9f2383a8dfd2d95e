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
}

/** Options every chapter has. */
const BASE_OPTIONS = ['--solution', '--name', '--hostname', '--rootfs'];

export const CHAPTERS: readonly ChapterInfo[] = [
  { number: 1, slug: '01-chroot', title: 'chroot', goal: 'run a command inside a root filesystem, and see why that is not enough', options: [] },
  { number: 2, slug: '02-namespaces', title: 'namespaces', goal: 'PID, mount, UTS and IPC namespaces, pivot_root and /proc', options: [] },
  { number: 3, slug: '03-cgroups', title: 'cgroups', goal: 'memory, CPU and process limits the kernel enforces, on cgroup v1 and v2', options: ['--memory', '--cpus', '--pids', '--stats'] },
  { number: 4, slug: '04-overlayfs', title: 'overlayfs', goal: 'images as read-only layers, a writable layer per container, copy-on-write and whiteouts', options: ['--image', '--keep', '--env', '--workdir', '--user', '--entrypoint', '--volume'] },
  { number: 5, slug: '05-network', title: 'network', goal: 'a network namespace, a veth pair, a bridge, NAT and published ports', options: ['--network', '--publish'] },
  { number: 6, slug: '06-user-namespaces', title: 'user namespaces', goal: 'root inside, nobody outside, and rootless containers', options: ['--uidmap', '--gidmap', '--unsafe-map-host-root'] },
  { number: 7, slug: '07-privileges', title: 'privileges', goal: 'capabilities, no_new_privs, seccomp, masked /proc and a minimal /dev: root that is not the host\'s root', options: ['--cap-add', '--cap-drop', '--privileged', '--security-opt', '--read-only', '--user', '--uidmap', '--gidmap', '--unsafe-map-host-root'] },
  {
    number: 8, slug: '08-init-and-exec', title: 'PID 1 and exec', goal: 'an init that reaps and forwards signals, detached containers, exec and pods through setns(2)',
    // The container of chapters 3–5 comes along, so its options do too.
    options: ['--init', '-d', '--detach', '--network=container:', '--ipc', '--pid', '--monotonic-offset', '--boottime-offset', '--memory', '--cpus', '--pids', '--stats', '--image', '--keep', '--network', '--publish'],
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
 * A chapter takes the options of the mechanism it teaches. (Chapters are
 * composed from earlier solutions, not all of them: chapter 4 runs images,
 * it does not also set chapter 3's cgroup limits.)
 */
export function supportsOption(chapter: ChapterInfo, flag: string): boolean {
  return BASE_OPTIONS.includes(flag) || chapter.options.includes(flag);
}
