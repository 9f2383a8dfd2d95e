/**
 * A container's mounts belong to its own mount namespace. If a chapter's
 * code forgets to make "/" private, its mounts propagate back to the host
 * (mount_namespaces(7), "shared subtrees") and outlive the container. The
 * runner looks for such leaks under the rootfs after every run, detaches
 * them, and says so — the host stays clean and the learner learns why.
 */
import fs from 'node:fs';
import { MNT_DETACH, umount2 } from '../kernel/index.ts';

/** Mount points in the caller's mount namespace at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function detachLeakedMounts(dir: string, say: (line: string) => void): string[] {
  // A rootless runner (chapter 6) has nothing to look for: mounts made in a user namespace never
  // propagate to the host's (mount_namespaces(7)), and whatever is mounted here is root's, not ours.
  if (process.getuid?.() !== 0) return [];
  const leaked = mountsUnder(dir);
  for (const point of leaked) {
    try {
      umount2(point, MNT_DETACH);
    } catch {
      // already gone with its parent
    }
  }
  if (leaked.length > 0) {
    say(`the container leaked ${leaked.length} mount(s) to the host (${leaked.join(', ')}): detached them. Make "/" private (MS_REC|MS_PRIVATE) first.`);
  }
  return leaked;
}

/** mountinfo escapes space, tab, newline and backslash as octal (proc(5)). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
