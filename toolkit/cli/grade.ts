/**
 * npm test [-- N…] [--solution]
 *
 * Grades the learner's chapters (all, or the numbers given): each chapter's
 * checks run the learner's program as a subprocess and judge the kernel's
 * view. --solution grades the reference solutions instead.
 */
import chalk from 'chalk';
import { CHAPTERS, findChapter } from '../chapters.ts';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { UsageError, describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';
import { GRADES_FILE } from './status.ts';
import { runVitest } from './vitest.ts';

async function main(argv: string[]): Promise<number> {
  const solution = argv.includes('--solution');
  const numbers = argv.filter((a) => a !== '--solution' && a !== '--');
  const chapters = numbers.length === 0 ? CHAPTERS : numbers.map((n) => {
    const c = /^\d+$/.test(n) ? findChapter(Number(n)) : undefined;
    if (!c) throw new UsageError(`Expected chapter numbers (${CHAPTERS.map((x) => x.number).join(', ')}), got ${JSON.stringify(n)}`);
    return c;
  });
  requireRoot();
  ensureRootfs(ROOTFS, (line) => console.error(chalk.dim(line)));
  console.log(chalk.bold(`Grading ${solution ? 'the reference solutions' : 'your chapters'}: ${chapters.map((c) => `${c.number} ${c.title}`).join(', ')}`));
  return runVitest({
    files: chapters.map((c) => `tests/chapters/${c.slug}.test.ts`),
    target: solution ? 'solutions' : 'chapters',
    grade: true,
    gradesFile: solution ? undefined : GRADES_FILE,
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
    process.exit(2);
  },
);
