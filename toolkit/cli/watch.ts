/**
 * npm run watch [N] — grades chapter N (default: the first one not yet passing) every time its
 * file is saved, and shows what changed since the last run, like rustlings watch. Change events
 * do not arrive through a VM's synced folder, so the file is also polled; a run starts only when
 * its content really changed. Keys: r re-runs, q (or Ctrl-C) quits.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import { CHAPTERS, chapterFile, findChapter, type ChapterInfo } from '../chapters.ts';
import { chapterPassed, gradedScore, readResults, type CheckResult, type RunResults } from '../grading/results.ts';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { UsageError, describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';
import { readGrades } from './status.ts';
import { runVitest } from './vitest.ts';

const POLL_MS = 1000;

async function main(argv: string[]): Promise<void> {
  const arg = argv.find((a) => a !== '--');
  const chapter = arg === undefined ? firstUnfinished() : /^\d+$/.test(arg) ? findChapter(Number(arg)) : undefined;
  if (!chapter) throw new UsageError(`Expected a chapter number (${CHAPTERS.map((c) => c.number).join(', ')}), got ${JSON.stringify(arg)}`);
  requireRoot();
  ensureRootfs(ROOTFS, (line) => console.error(chalk.dim(line)));
  const file = chapterFile(chapter, 'chapters');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-watch-${process.pid}-`));
  const quit = () => {
    fs.rmSync(scratch, { recursive: true, force: true });
    process.stdout.write('\n');
    process.exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);

  let previous: RunResults | undefined;
  let lastHash = '';
  let running = false;
  let again = false;
  const run = async (why: string) => {
    if (running) { again = true; return; }
    running = true;
    do {
      again = false;
      lastHash = hashOf(file);
      console.log(chalk.dim(`\n── ${new Date().toLocaleTimeString()} · ${why} · grading chapter ${chapter.number} (${path.relative(process.cwd(), file)})…`));
      const resultsFile = path.join(scratch, 'results.json');
      fs.rmSync(resultsFile, { force: true });
      await runVitest({ files: [`tests/chapters/${chapter.slug}.test.ts`], target: 'chapters', resultsFile });
      if (!fs.existsSync(resultsFile)) {
        console.log(chalk.red('the grading suite did not run (see above)'));
      } else {
        const results = readResults(resultsFile);
        show(results, previous);
        previous = results;
      }
      console.log(chalk.dim(`watching ${path.relative(process.cwd(), file)} — save it to grade again · r re-runs · q quits`));
    } while (again);
    running = false;
  };

  const changed = () => {
    if (hashOf(file) !== lastHash) void run('saved');
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    fs.watch(file, () => {
      clearTimeout(timer);
      timer = setTimeout(changed, 200); // editors write in several steps
    });
  } catch {
    // no change events here: polling below does it
  }
  setInterval(changed, POLL_MS);

  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (key: string) => {
      if (key === 'q' || key === '\u0003') quit();
      if (key === 'r') void run('re-run');
    });
  }
  await run('start');
}

/**
 * The first time, every check. After that, the checks that changed (passing now, or failing now),
 * then what still fails: the first of those in full — the next thing to work on — the rest by name.
 */
function show(results: RunResults, previous: RunResults | undefined): void {
  const chapter = results.chapters[0];
  if (!chapter) return;
  if (previous === undefined) {
    for (const check of chapter.checks) line(check);
  } else {
    const before = new Map((previous.chapters[0]?.checks ?? []).map((c) => [c.name, c.state]));
    const changed = chapter.checks.filter((c) => before.get(c.name) !== c.state);
    const still = chapter.checks.filter((c) => c.state === 'failed' && before.get(c.name) === 'failed');
    if (changed.length === 0) console.log(chalk.dim('  no check changed'));
    for (const check of changed) line(check);
    if (still.length > 0) {
      console.log(chalk.dim(`  still failing (${still.length}):`));
      line(still[0]!);
      for (const check of still.slice(1)) console.log(`  ${chalk.red('✗')} ${chalk.dim(check.name)}`);
    }
  }
  for (const error of chapter.suiteErrors) console.log(`  ${chalk.red('✗')} the suite itself failed: ${error.split('\n')[0]}`);
  const { passed, total } = gradedScore(chapter);
  const score = `${passed}/${total} graded checks pass`;
  console.log(`\n  ${chapterPassed(chapter) ? chalk.green(`${score} — chapter done`) : chalk.yellow(score)}`);
}

function line(check: CheckResult): void {
  const mark = check.state === 'passed' ? chalk.green('✓') : check.state === 'failed' ? chalk.red('✗') : chalk.dim('-');
  console.log(`  ${mark} ${check.given ? chalk.dim(`${check.name} (given)`) : check.name}`);
  if (check.state !== 'failed') return;
  let colour = (text: string) => text;
  for (const l of (check.message ?? '').split('\n')) {
    const label = /^(expected|seen|hint):/.exec(l)?.[1];
    if (label) colour = label === 'expected' ? chalk.green : label === 'seen' ? chalk.red : chalk.cyan;
    // A multi-line value continues under its first line, not at the margin.
    console.log(`      ${label ? colour(l) : colour(`          ${l}`)}`);
  }
}

function hashOf(file: string): string {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}

/** The first chapter whose last grade is not a pass (or that was never graded). */
function firstUnfinished(): ChapterInfo | undefined {
  const grades = readGrades();
  return CHAPTERS.find((c) => { const g = grades[c.slug]; return !g || g.failed > 0; }) ?? CHAPTERS[0];
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
  process.exit(2);
});
