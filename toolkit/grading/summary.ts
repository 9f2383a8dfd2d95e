/**
 * The last lines of `npm test`: one line per chapter, then where to go next —
 * the first chapter not yet passing, and the step its first failed check
 * blames, with the hint command to try.
 */
import chalk from 'chalk';
import { CHAPTERS } from '../chapters.ts';
import { blamedStep, chapterPassed, gradedScore, type RunResults } from './results.ts';

export function summaryLines(results: RunResults): string[] {
  const lines = [chalk.bold('Summary')];
  const width = Math.max(...results.chapters.map((c) => c.slug.length));
  for (const ch of results.chapters) {
    const { passed, total } = gradedScore(ch);
    const given = ch.checks.filter((c) => c.given).length;
    const mark = chapterPassed(ch) ? chalk.green('✓') : chalk.red('✗');
    const score = `${passed}/${total} graded checks`;
    lines.push(`  ${mark} ${ch.slug.padEnd(width)}  ${chapterPassed(ch) ? chalk.green(score) : chalk.yellow(score)}${given ? chalk.dim(`  (+${given} given)`) : ''}`);
  }
  const next = results.chapters.find((c) => !chapterPassed(c));
  if (next === undefined) {
    lines.push('', chalk.green(results.chapters.length > 1 ? 'Every chapter passes.' : 'The chapter passes.'));
    return lines;
  }
  const number = CHAPTERS.find((c) => c.slug === next.slug)?.number ?? Number.parseInt(next.slug, 10);
  const failed = next.checks.find((c) => c.state === 'failed' && !c.given) ?? next.checks.find((c) => c.state === 'failed');
  const step = failed ? blamedStep(failed) : undefined;
  const compile = compileError(next);
  if (compile) {
    lines.push('', `${chalk.bold('next:')} chapter ${number} does not compile — ${compile} — fix that first (${chalk.cyan('npm run typecheck')} lists every type error)`);
  } else if (next.suiteErrors.length > 0) {
    lines.push('', `${chalk.bold('next:')} chapter ${number}: its suite did not run — ${next.suiteErrors[0]!.split('\n')[0]}`);
  } else if (step) {
    lines.push('', `${chalk.bold('next:')} chapter ${number}, TODO ${step} — ${chalk.cyan(`npm run hint ${step}`)}, then ${chalk.cyan(`npm test -- ${number}`)}`);
  } else {
    lines.push('', `${chalk.bold('next:')} chapter ${number}${failed ? `: “${failed.name}”` : ''} — ${chalk.cyan(`npm run chapter ${number}`)} to try it, ${chalk.cyan(`npm test -- ${number}`)} to grade it`);
  }
  return lines;
}

/** When a chapter's file does not compile, every check fails with the same block: say it once, where. */
function compileError(chapter: RunResults['chapters'][number]): string | undefined {
  for (const check of chapter.checks) {
    const text = check.message ?? '';
    if (!text.includes('does not compile')) continue;
    const at = /([\w./-]+\.ts:\d+:\d+:[^\n|]*)/.exec(text)?.[1];
    return at?.trim() ?? 'see the first failed check';
  }
  return undefined;
}
