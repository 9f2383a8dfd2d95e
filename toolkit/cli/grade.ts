/**
 * npm test [-- N…] [--solution] [--junit FILE] [--json FILE]
 *
 * Grades the learner's chapters (all, or the numbers given; options may come
 * before or after them): each chapter's checks run the learner's program as a
 * subprocess and judge the kernel's view. --solution grades the reference
 * solutions instead. Ends with a summary and where to go next; exits 0 only
 * when every chapter graded passes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import { parseGradeArgs } from '../grading/args.ts';
import { toJsonReport } from '../grading/json-report.ts';
import { toJUnit } from '../grading/junit.ts';
import { chapterPassed, readResults } from '../grading/results.ts';
import { summaryLines } from '../grading/summary.ts';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';
import { GRADES_FILE } from './status.ts';
import { runVitest } from './vitest.ts';

async function main(argv: string[]): Promise<number> {
  const args = parseGradeArgs(argv);
  requireRoot();
  ensureRootfs(ROOTFS, (line) => console.error(chalk.dim(line)));
  console.log(chalk.bold(`Grading ${args.solution ? 'the reference solutions' : 'your chapters'}: ${args.chapters.map((c) => `${c.number} ${c.title}`).join(', ')}`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-grade-${process.pid}-`));
  try {
    const resultsFile = path.join(scratch, 'results.json');
    const started = Date.now();
    const code = await runVitest({
      files: args.chapters.map((c) => `tests/chapters/${c.slug}` /* a filter: also its companions, such as 04-overlayfs-image.test.ts */),
      target: args.solution ? 'solutions' : 'chapters',
      grade: true,
      gradesFile: args.solution ? undefined : GRADES_FILE,
      resultsFile,
    });
    if (!fs.existsSync(resultsFile)) return code === 0 ? 1 : code; // vitest itself failed: it said why
    const results = readResults(resultsFile);
    for (const line of summaryLines(results)) console.log(line);
    console.log(chalk.dim(`\ngraded in ${((Date.now() - started) / 1000).toFixed(1)} s`));
    if (args.junit) write(args.junit, toJUnit(results), 'JUnit report');
    if (args.json) write(args.json, `${JSON.stringify(toJsonReport(results), null, 2)}\n`, 'JSON report');
    // A chapter may have companion suites (04-overlayfs-image.test.ts beside 04-overlayfs.test.ts):
    // each chapter asked for must have a result of its own, and every result must pass.
    const ran = (slug: string) => results.chapters.some((r) => r.slug === slug || r.slug.startsWith(`${slug}-`));
    const all = args.chapters.every((c) => ran(c.slug)) && results.chapters.every(chapterPassed);
    return all ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function write(file: string, text: string, what: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(chalk.dim(`${what}: ${file}`));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
    process.exit(2);
  },
);
