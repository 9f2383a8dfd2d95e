/**
 * npm run grade:class -- [--chapters 1,2,…] [--timeout SECONDS] [--out DIR] CHECKOUT…
 *
 * Grades a folder of learners' checkouts one after another, each in a fresh
 * copy of this project that takes only the learner's chapters/ files
 * (toolkit/grading/class.ts), and writes class.csv and class.html to --out
 * (default: the current folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { CHAPTERS, findChapter } from '../chapters.ts';
import { gradeLearner, type LearnerGrade } from '../grading/class.ts';
import { classCsv, classHtml } from '../grading/class-report.ts';
import { UsageError, describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';

const USAGE = 'usage: npm run grade:class -- [--chapters 1,2,…] [--timeout SECONDS] [--out DIR] CHECKOUT…';

async function main(argv: string[]): Promise<number> {
  let chapters = CHAPTERS.map((c) => c.number);
  let timeoutS = 900;
  let out = process.env.INIT_CWD ?? process.cwd();
  const checkouts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`Expected a value after ${arg} (${USAGE})`);
      return v;
    };
    if (arg === '--') continue;
    else if (arg === '--chapters') {
      const text = value();
      chapters = text.split(',').map((n) => {
        if (!/^\d+$/.test(n) || !findChapter(Number(n))) throw new UsageError(`Expected --chapters to be chapter numbers such as 1,2,3, got ${JSON.stringify(text)}`);
        return Number(n);
      });
    } else if (arg === '--timeout') {
      const text = value();
      timeoutS = Number(text);
      if (!/^\d+$/.test(text) || timeoutS < 10) throw new UsageError(`Expected --timeout to be whole seconds, at least 10, got ${JSON.stringify(text)}`);
    } else if (arg === '--out') out = path.resolve(process.env.INIT_CWD ?? process.cwd(), value());
    else if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg} (${USAGE})`);
    else checkouts.push(path.resolve(process.env.INIT_CWD ?? process.cwd(), arg));
  }
  if (checkouts.length === 0) throw new UsageError(`Expected at least one learner checkout (${USAGE})`);
  for (const c of checkouts) if (!fs.existsSync(c)) throw new UsageError(`learner checkout not found: ${c}`);
  requireRoot();

  const grades: LearnerGrade[] = [];
  for (const [n, checkout] of checkouts.entries()) {
    console.log(chalk.bold(`[${n + 1}/${checkouts.length}] ${path.basename(checkout)}`) + chalk.dim(`  ${checkout}`));
    const g = await gradeLearner(checkout, chapters, timeoutS * 1000, (line) => console.log(chalk.yellow(`  ${line}`)));
    grades.push(g);
    const score = g.report ? `${g.report.points.earned}/${g.report.points.max} points` : chalk.red('not graded');
    console.log(`  ${score}${g.problem ? chalk.yellow(` — ${g.problem}`) : ''}${chalk.dim(` (${g.seconds} s)`)}`);
  }
  const slugs = chapters.map((n) => findChapter(n)!.slug);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'class.csv'), classCsv(grades, slugs));
  fs.writeFileSync(path.join(out, 'class.html'), classHtml(grades, slugs, new Date().toISOString()));
  console.log(chalk.dim(`\nclass report: ${path.join(out, 'class.csv')} and ${path.join(out, 'class.html')}`));
  return grades.every((g) => g.report !== null) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
    process.exit(2);
  },
);
