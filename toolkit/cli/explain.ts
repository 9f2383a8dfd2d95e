/**
 * npm run chapter N -- --explain [options] — the container's steps in the
 * order they will run (toolkit/runtime/sequence.ts), each with the chapter, the
 * file and the function that does it: `docker run`'s sequence made visible.
 * Nothing is created.
 */
import { colors } from './colors.ts';
import type { Container } from '../runtime/container.ts';
import { SIDE, shortPath, stepsOf, type Phase, type StackFiles } from '../runtime/sequence.ts';

const PHASE_TITLE: Readonly<Record<Phase, string>> = {
  create: 'docker pull + create (host, before any namespace)',
  namespaces: 'namespaces (host: the clone flags; unshare(2) on the main thread, or nsexec with a user namespace)',
  enter: 'host, before the spawn: another container\'s namespaces, opened for nsexec to join instead of making them',
  idmaps: 'user namespace maps and clock offsets (host, while nsexec waits)',
  prepare: 'host side, before the command runs',
  setup: 'inside: the container\'s first process, mounts and pivot_root',
  confine: 'inside, last: root\'s power taken away, then execve(command) as PID 1',
  cleanup: 'after the end (host; also after a crash, from the state file)',
};

/** Chapter 9's docker pull, which runs before the sequence (runPull): the reference, and whether the store has it already. */
export interface PullPlan {
  ref: string;
  inStore: boolean;
  /** No command on the command line: the image's Entrypoint and Cmd, which a run reads only after the pull. */
  commandFromImage: boolean;
}

export function explain(chapter: number, files: StackFiles, c: Container, pull?: PullPlan): string {
  const lines = [colors.bold(`chapter ${chapter}: the container, step by step`), ''];
  let phase: Phase | undefined;
  let n = 0;
  if (pull !== undefined && files[9] !== undefined) {
    const whose = files[9].includes('/solutions/') ? colors.dim('reference') : colors.cyan('yours');
    lines.push(colors.underline('host — docker pull (first of all: the image\'s config is read next)'));
    lines.push(`${String(++n).padStart(3)}  ${shortPath(files[9])} ${colors.bold('pull()')}${colors.dim(' TODO 9.1–9.7')}  ${whose}`);
    lines.push(`       ${pull.inStore
      ? `${pull.ref} is in the store already: not pulled again (docker run's --pull missing; npm run pull -- REF fetches a moved tag)`
      : `${pull.ref} is not in the store yet: the run pulls it first, as docker run does ("Unable to find image locally"), then reads its config — manifest, config and layers from the registry`}`);
  }
  for (const spec of stepsOf(chapter)) {
    const file = files[spec.chapter];
    if (file === undefined) continue;
    if (spec.phase !== phase) {
      phase = spec.phase;
      lines.push(colors.underline(`${SIDE[phase]} — ${PHASE_TITLE[phase]}`));
    }
    const whose = file.includes('/solutions/') ? colors.dim('reference') : colors.cyan('yours');
    const where = `${shortPath(file)} ${colors.bold(`${spec.step}()`)}`;
    const todos = spec.todos ? colors.dim(` TODO ${spec.todos}`) : colors.dim(' given');
    const skipped = spec.when !== undefined && !spec.when(c);
    const mark = skipped ? colors.dim('  -') : `${String(++n).padStart(3)}`;
    lines.push(`${mark}  ${where}${todos}  ${whose}`);
    lines.push(`       ${skipped ? colors.dim(`skipped: ${(typeof spec.unless === 'function' ? spec.unless(c) : spec.unless) ?? 'not for this container'}`) : spec.does}`);
  }
  if (phase === undefined) {
    // Not in SEQUENCE: the chapter composes its own container with the classic hooks (sequence.ts, ClassicChapter).
    const file = files[chapter];
    lines.push(`  ${file ? shortPath(file) : `chapter ${chapter}`} composes its own container: createNamespaces() or namespacesForNsexec(), writeIdMaps(), prepareHost() on the host; setupContainer() inside; cleanupHost() after`);
  }
  const command = pull?.inStore === false && pull.commandFromImage ? 'the image\'s Entrypoint and Cmd' : JSON.stringify(c.command.join(' '));
  if (phase !== undefined && c.init === true) {
    // The init is chapter 8's (toolkit/runtime/child.ts takes the top one of the stack that has it).
    lines.push('', colors.dim(`then: --init: ${files[8] !== undefined ? shortPath(files[8]) : 'chapter 8\'s'} runInit() stays PID 1 and starts ${command} as its child (toolkit/runtime/child.ts) — cleanup runs after it ends`));
  } else if (phase !== undefined) lines.push('', colors.dim(`then: exec ${command} as PID 1 (toolkit/runtime/child.ts) — cleanup runs after it ends`));
  return lines.join('\n');
}
