/**
 * npm run chapter N -- --explain [options] — the container's steps in the
 * order they will run (toolkit/runtime/sequence.ts), each with the chapter, the
 * file and the function that does it: `docker run`'s sequence made visible.
 * Nothing is created.
 */
import chalk from 'chalk';
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

export function explain(chapter: number, files: StackFiles, c: Container): string {
  const lines = [chalk.bold(`chapter ${chapter}: the container, step by step`), ''];
  let phase: Phase | undefined;
  let n = 0;
  for (const spec of stepsOf(chapter)) {
    const file = files[spec.chapter];
    if (file === undefined) continue;
    if (spec.phase !== phase) {
      phase = spec.phase;
      lines.push(chalk.underline(`${SIDE[phase]} — ${PHASE_TITLE[phase]}`));
    }
    const whose = file.includes('/solutions/') ? chalk.dim('reference') : chalk.cyan('yours');
    const where = `${shortPath(file)} ${chalk.bold(`${spec.step}()`)}`;
    const todos = spec.todos ? chalk.dim(` TODO ${spec.todos}`) : chalk.dim(' given');
    const skipped = spec.when !== undefined && !spec.when(c);
    const mark = skipped ? chalk.dim('  -') : `${String(++n).padStart(3)}`;
    lines.push(`${mark}  ${where}${todos}  ${whose}`);
    lines.push(`       ${skipped ? chalk.dim(`skipped: ${(typeof spec.unless === 'function' ? spec.unless(c) : spec.unless) ?? 'not for this container'}`) : spec.does}`);
  }
  if (phase === undefined) {
    // Not in SEQUENCE: the chapter composes its own container with the classic hooks (sequence.ts, ClassicChapter).
    const file = files[chapter];
    lines.push(`  ${file ? shortPath(file) : `chapter ${chapter}`} composes its own container: createNamespaces() or namespacesForNsexec(), writeIdMaps(), prepareHost() on the host; setupContainer() inside; cleanupHost() after`);
  }
  if (phase !== undefined && c.init === true) {
    // The init is chapter 8's (toolkit/runtime/child.ts takes the top one of the stack that has it).
    lines.push('', chalk.dim(`then: --init: ${files[8] !== undefined ? shortPath(files[8]) : 'chapter 8\'s'} runInit() stays PID 1 and starts ${JSON.stringify(c.command.join(' '))} as its child (toolkit/runtime/child.ts) — cleanup runs after it ends`));
  } else if (phase !== undefined) lines.push('', chalk.dim(`then: exec ${JSON.stringify(c.command.join(' '))} as PID 1 (toolkit/runtime/child.ts) — cleanup runs after it ends`));
  return lines.join('\n');
}
