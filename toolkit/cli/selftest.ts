/**
 * npm run selftest [-- --chapter N …] [--proofs] — the project's own test
 * command (CI runs exactly this):
 *
 *   1. type check and unit tests (no root needed for these)
 *   2. every grading suite, and the kernel tests, against solutions/: must pass
 *   3. every graded check fails on the untouched chapters/ file
 *   4. every mutant (a solution with one TODO step broken) is caught, by a
 *      check whose hint names that step (tests/mutants/)
 *   5. every cheater (fakes the output, skips the mechanism) fails every graded check (tests/cheaters/)
 *   6. nothing of ours is left on the machine: mounts, processes, cgroups,
 *      network devices, state and temporary files
 *
 * --chapter N limits steps 3–5 to those chapters, --proofs skips 1–2: for
 * whoever writes a chapter's checks, not for CI. Steps 3–5 run two chapters at
 * a time (lanes.ts); --lanes 1 runs them one after another, as before.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { CHAPTERS } from '../chapters.ts';
import { PROJECT, ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { listStates } from '../runtime/state.ts';
import { findLeftovers, isClean } from './leftovers.ts';
import { requireRoot } from './root.ts';
import { inLanes } from './lanes.ts';
import { runVitest } from './vitest.ts';
import type { CheckResult } from '../grading/results.ts';
import { seedStorage } from '../../tests/support/registry-seed.ts';
import { MUTANTS, MUTANTS_DIR, PROVEN, blames, grade, hintOf, mutantId, stepsOf, writeMutant } from '../../tests/mutants/prove.ts';

const results: { step: string; ok: boolean; detail: string }[] = [];
const record = (step: string, ok: boolean, detail = '') => {
  results.push({ step, ok, detail });
  console.log(`\n${ok ? chalk.green('✓') : chalk.red('✗')} ${chalk.bold(step)}${detail ? chalk.dim(` — ${detail}`) : ''}\n`);
};
const timing = new Map<number, { untouched: number; mutants: number; cheater: number }>();
/** Adds the seconds since `since` to a chapter's proof time; returns them. */
const seconds = (chapter: number, part: 'untouched' | 'mutants' | 'cheater', since: number): number => {
  const t = timing.get(chapter) ?? { untouched: 0, mutants: 0, cheater: 0 };
  const s = (Date.now() - since) / 1000;
  t[part] += s;
  timing.set(chapter, t);
  return s;
};
const heading = (text: string) => console.log(`\n${chalk.bold.underline(text)}\n`);

function networkDevices(): string {
  try {
    return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim()).filter(Boolean).sort().join(' ');
  } catch {
    return '(ip not available)';
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  requireRoot();
  const untouched = chaptersUntouched();
  if (untouched !== true) {
    console.error(`${chalk.red('workbook:')} the selftest needs the untouched learner files, but ${untouched}. Commit or stash your work (git stash) first.`);
    return 2;
  }
  ensureRootfs(ROOTFS, (line) => console.error(chalk.dim(line)));
  const devicesBefore = networkDevices();
  const mountsBefore = fs.readFileSync('/proc/self/mountinfo', 'utf8');

  const argv = process.argv.slice(2);
  const only = argv.flatMap((a, i) => (argv[i - 1] === '--chapter' ? [Number(a)] : []));
  const chapters = CHAPTERS.filter((c) => only.length === 0 || only.includes(c.number));
  const lanesArg = argv.includes('--lanes') ? argv[argv.indexOf('--lanes') + 1] : '2';
  const lanes = Number(lanesArg);
  if (!(Number.isInteger(lanes) && lanes >= 1)) {
    console.error(`${chalk.red('workbook:')} expected --lanes to be a whole number from 1, got ${JSON.stringify(lanesArg)}`);
    return 2;
  }
  // Chapter 9's suite runs about ten times here: its registry storage is seeded once for all of them.
  // If seeding fails here, each run seeds its own and the suite says why.
  const seeded = !argv.includes('--proofs') || chapters.some((c) => c.number === 9)
    ? await seedStorage().catch((error: unknown) => void console.log(chalk.yellow(`chapter 9's registry storage not seeded once: ${(error as Error).message}`)))
    : undefined;
  if (seeded) process.env.WORKBOOK_TEST_REGISTRY_STORAGE = seeded.storage;
  if (!argv.includes('--proofs')) {
    heading('1. Type check and unit tests');
    try {
      execFileSync(process.execPath, [path.join(PROJECT, 'node_modules/typescript/bin/tsc'), '-p', PROJECT], { stdio: 'inherit' });
      record('type check (tsc --noEmit, strict)', true);
    } catch {
      record('type check (tsc --noEmit, strict)', false);
    }
    record('unit tests', (await runVitest({ files: ['tests/unit'] })) === 0);

    heading('2. Grading suites against the reference solutions (must pass)');
    record('solutions pass every check, and the stage design carries a user namespace',
      (await runVitest({ files: ['tests/chapters', 'tests/kernel'], target: 'solutions', grade: true })) === 0);
  }

  const proofsStarted = Date.now();
  heading(`3. Every graded check fails on the untouched learner files${lanes > 1 ? ` (${lanes} lanes)` : ''}`);
  const byLength = [...chapters].sort((a, b) => rank(a.number) - rank(b.number));
  const untouchedRecords = await inLanes(byLength.map((chapter) => ({
    chapter: chapter.number,
    run: async (): Promise<Parameters<typeof record>> => {
      const t = Date.now();
      const g = await grade(chapter, undefined, { gradedOnly: true });
      seconds(chapter.number, 'untouched', t);
      const passing = g.graded.filter((c) => c.state === 'passed');
      if (!PROVEN.includes(chapter.number)) {
        // Not yet proven honest (tests/mutants/mutants.ts): at least the chapter must fail.
        return [`untouched chapter ${chapter.number} (${chapter.title}) fails (${passing.length}/${g.graded.length} pass; not yet proven check by check)`, g.graded.length > passing.length];
      }
      const unjudged = notJudged(g.graded);
      return [`untouched chapter ${chapter.number} (${chapter.title}): 0/${g.graded.length} graded checks pass`, g.graded.length > 0 && passing.length === 0 && unjudged.length === 0,
        g.graded.length === 0 ? 'no graded checks ran' : passing.length ? `these pass: ${passing.map((c) => c.name).join('; ')}` : unjudged.length ? `not judged by its checks: ${unjudged.join('; ')}` : ''];
    },
  })), lanes, apart);
  inChapterOrder(byLength, untouchedRecords).forEach((r) => record(...r));

  heading('4. Mutants: each TODO step left out or done wrong, and the check that catches it');
  fs.rmSync(MUTANTS_DIR, { recursive: true, force: true });
  const table: string[][] = [['chapter', 'step', 'mutant', 'caught by (first failing graded check)']];
  const mutantResults = await inLanes(byLength.map((chapter) => ({
    chapter: chapter.number,
    run: async () => {
      const rows: string[][] = [];
      const records: Parameters<typeof record>[] = [];
      const mutants = MUTANTS.filter((m) => m.chapter === chapter.number);
      const missing = PROVEN.includes(chapter.number) ? stepsOf(chapter).filter((step) => !mutants.some((m) => m.step === step)) : [];
      if (missing.length > 0) records.push([`chapter ${chapter.number}: a mutant for every TODO step`, false, `no mutant for ${missing.map((s) => `TODO ${s}`).join(', ')} (tests/mutants/mutants.ts)`]);
      for (const m of mutants) {
        let verdict: string;
        let ok = false;
        const t = Date.now();
        try {
          const g = await grade(chapter, writeMutant(m), { bail: true, checks: m.checks });
          const first = g.firstFailed;
          ok = first !== undefined && blames(first.message ?? '', m.step);
          verdict = first === undefined
            ? g.graded.length === 0 ? `SURVIVED: no graded check ran (does \`checks\` match any?)` : 'SURVIVED: every graded check passed'
            : `${first.name}${ok ? '' : ` — but its hint does not name TODO ${m.step}: "${hintOf(first.message ?? '')}"`}`;
        } catch (error) {
          verdict = (error as Error).message;
        }
        rows.push([String(chapter.number), m.step, m.name, verdict]);
        const took = seconds(chapter.number, 'mutants', t);
        console.log(`${ok ? chalk.green('✓') : chalk.red('✗')} ${chapter.number}  ${m.step.padEnd(5)} ${m.name.padEnd(34)} ${chalk.dim(`${took.toFixed(0).padStart(3)} s`)}  ${ok ? chalk.dim(verdict) : chalk.red(verdict)}`);
        if (!ok) records.push([`mutant ${mutantId(m)} is caught`, false, verdict]);
      }
      return { rows, records };
    },
  })), lanes, apart);
  for (const { rows, records } of inChapterOrder(byLength, mutantResults)) {
    table.push(...rows);
    records.forEach((r) => record(...r));
  }
  // A mutant's broken cleanupHost() may leave a state file or a cgroup: clean, as a learner would —
  // once every lane has ended: npm run clean stops detached containers, and a lane's may still run.
  // What it cannot clean, step 6 reports: the mutant table and the cheaters still get their turn.
  try {
    execFileSync(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/clean.ts')], { stdio: 'ignore' });
  } catch {
    console.log(chalk.yellow('npm run clean left something after the mutants: see step 6'));
  }
  printTable(table);
  const survivors = table.slice(1).filter((r) => /^SURVIVED|but its hint|is not in/.test(r[3]!)).length;
  record(`every mutant is caught, by a check naming its step (${table.length - 1 - survivors}/${table.length - 1})`, survivors === 0 && table.length > 1);
  fs.rmSync(MUTANTS_DIR, { recursive: true, force: true });

  heading('5. Cheaters: each fakes what the checks look for, and must fail every graded check');
  const cheaterRecords = await inLanes(byLength.map((chapter) => ({
    chapter: chapter.number,
    run: async (): Promise<Parameters<typeof record> | undefined> => {
      const file = path.join(PROJECT, 'tests/cheaters', `${chapter.slug}.ts`);
      if (!fs.existsSync(file) && !PROVEN.includes(chapter.number)) return undefined;
      if (!fs.existsSync(file)) return [`chapter ${chapter.number} has a cheater`, false, `no ${path.relative(PROJECT, file)}`];
      const t = Date.now();
      const g = await grade(chapter, file, { gradedOnly: true });
      seconds(chapter.number, 'cheater', t);
      const passing = g.graded.filter((c) => c.state === 'passed');
      const unjudged = notJudged(g.graded);
      return [`cheater of chapter ${chapter.number} (${chapter.title}): 0/${g.graded.length} graded checks pass`, g.graded.length > 0 && passing.length === 0 && unjudged.length === 0,
        passing.length ? `these pass: ${passing.map((c) => c.name).join('; ')}` : unjudged.length ? `not judged by its checks: ${unjudged.join('; ')}` : ''];
    },
  })), lanes, apart);
  inChapterOrder(byLength, cheaterRecords).forEach((r) => r && record(...r));

  const proofsEnded = Date.now();
  seeded?.remove();
  heading('6. Nothing left behind');
  const left = findLeftovers();
  record('no process, mount, cgroup, state or temporary file of ours', isClean(left), isClean(left) ? '' : JSON.stringify(left));
  const running = listStates().map((s) => `${s.container.id} (runner ${s.runner})`);
  record('no container still running', running.length === 0, running.join(', '));
  const devicesAfter = networkDevices();
  record('network devices as before', devicesAfter === devicesBefore, devicesAfter === devicesBefore ? devicesAfter : `before: ${devicesBefore}; after: ${devicesAfter}`);
  record('host mount table as before', fs.readFileSync('/proc/self/mountinfo', 'utf8') === mountsBefore);

  // What the proofs cost, chapter by chapter: the selftest's 10 minutes are mostly theirs.
  heading('Time of the proofs (s)');
  for (const [chapter, t] of [...timing].sort((a, b) => a[0] - b[0])) {
    console.log(`chapter ${chapter}: untouched ${t.untouched.toFixed(0)}, mutants ${t.mutants.toFixed(0)}, cheater ${t.cheater.toFixed(0)} — ${(t.untouched + t.mutants + t.cheater).toFixed(0)}`);
  }

  console.log(`steps 3–5: ${((proofsEnded - proofsStarted) / 1000).toFixed(0)} s in ${lanes} lane${lanes > 1 ? 's' : ''}`);

  const failed = results.filter((r) => !r.ok);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(chalk.bold(`\nselftest: ${results.length - failed.length}/${results.length} steps passed in ${minutes} min`));
  for (const r of failed) console.log(`  ${chalk.red('✗')} ${r.step}`);
  return failed.length === 0 ? 0 : 1;
}

/**
 * Chapters by the time of their proofs, longest first (seconds on a quiet machine:
 * 8 117, 9 101, 5 82, 3 72, 2 59, 7 59, 6 39, 4 29, 1 8): the lanes start them in this order.
 */
const LONGEST_FIRST = [8, 9, 5, 3, 2, 7, 6, 4, 1];
const rank = (chapter: number) => (LONGEST_FIRST.includes(chapter) ? LONGEST_FIRST.indexOf(chapter) : LONGEST_FIRST.length);

/**
 * Chapters whose proofs must not overlap. Chapter 5's checks run `npm run clean`, which stops
 * every detached container of RUN_DIR (as `docker rm -f` would): chapters 8 and 9 run theirs.
 */
function apart(a: number, b: number): boolean {
  const pair = [a, b].sort().join(' ');
  return pair === '5 8' || pair === '5 9';
}

/** Results of jobs started in `ran`'s order, put back in chapter order. */
function inChapterOrder<T>(ran: readonly { number: number }[], results: readonly T[]): T[] {
  return ran.map((c, i) => ({ number: c.number, result: results[i]! })).sort((a, b) => a.number - b.number).map((r) => r.result);
}

/**
 * Graded checks that failed without looking: skipped (a hook gave up first) or the suite's own
 * error. A file must be failed by the checks themselves, each saying what it saw.
 */
function notJudged(graded: readonly CheckResult[]): string[] {
  return graded.filter((c) => c.state === 'skipped' || c.name === 'the suite itself').map((c) => (c.state === 'skipped' ? `"${c.name}" never ran` : (c.message ?? '').split('\n')[0]!));
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('');
  rows.forEach((r, n) => {
    const line = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
    console.log(n === 0 ? chalk.bold(line) : line);
  });
}

/** true, or why not: the proof of step 3 needs chapters/ exactly as committed. */
function chaptersUntouched(): true | string {
  try {
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'chapters/*/container.ts'], { cwd: PROJECT, encoding: 'utf8' }).trim();
    return changed === '' ? true : `the learner files in chapters/ have changes (${changed.split('\n').length} files)`;
  } catch {
    return true; // not a git checkout (an exported copy): take the files as they are
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`${chalk.red('workbook:')} ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
