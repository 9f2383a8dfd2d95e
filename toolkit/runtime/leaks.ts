/**
 * A container's mounts belong to its own mount namespace. If a chapter's
 * code forgets to make "/" private, its mounts propagate back to the host
 * (mount_namespaces(7), "shared subtrees") and outlive the container. The
 * runner looks for such leaks under the rootfs after every run, detaches
 * them, and says so — the host stays clean and the learner learns why.
 *
 * Only mounts the run itself caused: the runner notes the mount IDs under the
 * rootfs before the container starts (mountinfo's first field, proc(5)) and
 * detaches only mounts whose ID is new. Whatever was mounted there before —
 * the host's own, another run's — is never touched.
 */
import fs from 'node:fs';
import { MNT_DETACH, umount2 } from '../kernel/index.ts';

export interface MountEntry {
  /** mountinfo field 1: unique among the mounts that exist now (reused once a mount is gone). */
  readonly id: number;
  readonly point: string;
}

/** The caller's mount table (/proc/self/mountinfo). */
export function mountTable(): MountEntry[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.split(' ');
      return { id: Number(fields[0]), point: unescapeMountPath(fields[4] ?? '') };
    });
}

function under(point: string, dir: string): boolean {
  return point === dir || dir === '/' || point.startsWith(`${dir}/`);
}

/** Mount points in the caller's mount namespace at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = mountTable().map((m) => m.point).filter((p) => under(p, dir));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The IDs of the mounts at or below `dir` now: what detachLeakedMounts() must leave alone later. */
export function mountIdsUnder(dir: string): number[] {
  return mountTable().filter((m) => under(m.point, dir)).map((m) => m.id);
}

/**
 * Detaches the mounts at or below `dir` that are not among `before` (the IDs
 * noted when the run started), deepest first; says so and returns their points.
 */
export function detachLeakedMounts(dir: string, before: readonly number[], say: (line: string) => void): string[] {
  // A rootless runner (chapter 6) has nothing to look for: mounts made in a user namespace never
  // propagate to the host's (mount_namespaces(7)), and whatever is mounted here is root's, not ours.
  if (process.getuid?.() !== 0) return [];
  const old = new Set(before);
  const leaked = mountTable()
    .filter((m) => under(m.point, dir) && !old.has(m.id))
    .sort((a, b) => b.point.length - a.point.length || b.id - a.id);
  for (const { point } of leaked) {
    try {
      umount2(point, MNT_DETACH);
    } catch {
      // already gone with its parent
    }
  }
  const points = [...new Set(leaked.map((m) => m.point))];
  if (points.length > 0) {
    say(`the container leaked ${points.length} mount(s) to the host (${points.join(', ')}): detached them. Make "/" private (MS_REC|MS_PRIVATE) first.`);
  }
  return points;
}

/** mountinfo escapes space, tab, newline and backslash as octal (proc(5)). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
