/**
 * npm run selftest — the project's own test command (CI runs exactly this):
 *
 *   1. type check and unit tests (no root needed for these)
 *   2. every grading suite, and the kernel tests, against solutions/: must pass
 *   3. every grading suite against the untouched chapters/: every chapter must
 *      fail — the proof that the checks can fail
 *   4. nothing of ours is left on the machine: mounts, processes, cgroups,
 *      network devices, state and temporary files
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import { CHAPTERS } from '../chapters.ts';
import { PROJECT, ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { listStates } from '../runtime/state.ts';
import { findLeftovers, isClean } from './leftovers.ts';
import { requireRoot } from './root.ts';
import { runVitest } from './vitest.ts';

const results: { step: string; ok: boolean; detail: string }[] = [];
const record = (step: string, ok: boolean, detail = '') => {
  results.push({ step, ok, detail });
  console.log(`\n${ok ? chalk.green('✓') : chalk.red('✗')} ${chalk.bold(step)}${detail ? chalk.dim(` — ${detail}`) : ''}\n`);
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

  heading('3. Grading suites against the untouched learner files (every chapter must fail)');
  const gradesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `workbook-selftest-${process.pid}-`)), 'grades.json');
  await runVitest({ files: ['tests/chapters'], target: 'chapters', grade: true, gradesFile });
  const grades = JSON.parse(fs.readFileSync(gradesFile, 'utf8')) as Record<string, { passed: number; failed: number }>;
  fs.rmSync(path.dirname(gradesFile), { recursive: true, force: true });
  for (const chapter of CHAPTERS) {
    const g = grades[chapter.slug];
    record(`untouched chapter ${chapter.number} (${chapter.title}) fails`, g !== undefined && g.failed > 0,
      g ? `${g.failed} of ${g.passed + g.failed} checks fail` : 'no result');
  }

  heading('4. Nothing left behind');
  const left = findLeftovers();
  record('no process, mount, cgroup, state or temporary file of ours', isClean(left), isClean(left) ? '' : JSON.stringify(left));
  const running = listStates().map((s) => `${s.container.id} (runner ${s.runner})`);
  record('no container still running', running.length === 0, running.join(', '));
  const devicesAfter = networkDevices();
  record('network devices as before', devicesAfter === devicesBefore, devicesAfter === devicesBefore ? devicesAfter : `before: ${devicesBefore}; after: ${devicesAfter}`);
  record('host mount table as before', fs.readFileSync('/proc/self/mountinfo', 'utf8') === mountsBefore);

  const failed = results.filter((r) => !r.ok);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(chalk.bold(`\nselftest: ${results.length - failed.length}/${results.length} steps passed in ${minutes} min`));
  for (const r of failed) console.log(`  ${chalk.red('✗')} ${r.step}`);
  return failed.length === 0 ? 0 : 1;
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
