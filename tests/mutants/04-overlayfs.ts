/**
 * Chapter 4's mutants, in the shape of tests/mutants/mutants.ts: the reference
 * solution with one TODO step left out or done the usual wrong way. Each is
 * caught from the host — the root's line in /proc/PID/mountinfo, what
 * /proc/PID/root is, the container's directory on disk — by a check whose
 * hint names the step. `checks` keeps each to the checks about its step
 * (a vitest -t pattern: never starting with "-", which vitest reads as an option).
 */
import type { ChapterMutant } from './07-privileges.ts';

const ROOT_IS_OVERLAY = "the root is an overlay of the image's layers";

export const CHAPTER_4_MUTANTS: readonly ChapterMutant[] = [
  { chapter: 4, step: '4.1', name: 'lowerdir base first', replace: [["return [...layers].reverse().join(':');", "return [...layers].join(':');"]], checks: ROOT_IS_OVERLAY },
  { chapter: 4, step: '4.1', name: 'layers joined with commas', replace: [["return [...layers].reverse().join(':');", "return [...layers].reverse().join(',');"]], checks: ROOT_IS_OVERLAY },
  { chapter: 4, step: '4.2', name: 'no overlay mounted', replace: [["  mount('overlay', merged, 'overlay', 0,", "  if (merged) return;\n  mount('overlay', merged, 'overlay', 0,"]], checks: ROOT_IS_OVERLAY },
  { chapter: 4, step: '4.2', name: 'read-only overlay: no upperdir', replace: [["`lowerdir=${lowerdir(imageLayers(c))},upperdir=${upper},workdir=${work}${overlayExtraOptions()}`", "`lowerdir=${lowerdir(imageLayers(c))}${upper && work ? '' : ','}${overlayExtraOptions()}`"]], checks: ROOT_IS_OVERLAY },
  { chapter: 4, step: '4.3', name: 'the plain rootfs stays the root', replace: [['return { ...c, rootfs: containerDirs(c).merged };', 'return c;']], checks: ROOT_IS_OVERLAY },
  { chapter: 4, step: '4.4', name: 'writable layer never removed', replace: [['  fs.rmSync(dir, { recursive: true, force: true });', '']], checks: 'without --keep' },
  { chapter: 4, step: '4.4', name: '--keep ignored', replace: [['  if (c.keep) {', '  if (c.keep && !c.keep) {']], checks: 'keeps upper' },
];
