/** Runs vitest as a subprocess with the workbook's config; resolves to its exit status. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT } from '../paths.ts';

export interface VitestRun {
  files: string[];
  target?: 'chapters' | 'solutions';
  /** Use the grader's reporter (per-check verdicts) instead of vitest's default. */
  grade?: boolean;
  gradesFile?: string;
  /** Also write every check's result there as JSON (toolkit/grading/results.ts). */
  resultsFile?: string;
  /** Only checks whose name matches (vitest -t). */
  testNamePattern?: string;
  /** Stop at the first failing check (vitest --bail 1). */
  bail?: boolean;
  /** More environment, e.g. WORKBOOK_CHAPTER_FILE (tests/mutants/README.md). */
  env?: NodeJS.ProcessEnv;
  /** Keep vitest's output to itself (the caller prints a summary). */
  quiet?: boolean;
}

export function runVitest(run: VitestRun): Promise<number> {
  const args = [
    path.join(PROJECT, 'node_modules/vitest/vitest.mjs'), 'run',
    '--config', path.join(PROJECT, 'tests/vitest.config.ts'),
    // Only the results reporter (no grade reporter): silent, for `npm run watch`, which prints its own.
    ...(run.grade ? ['--reporter', path.join(PROJECT, 'tests/support/reporter.ts')] : []),
    ...(run.resultsFile ? ['--reporter', path.join(PROJECT, 'tests/support/results-reporter.ts')] : []),
    ...(run.testNamePattern ? ['-t', run.testNamePattern] : []),
    ...(run.bail ? ['--bail', '1'] : []),
    ...run.files,
  ];
  const env = { ...process.env, WORKBOOK_TARGET: run.target ?? 'chapters', ...(run.gradesFile ? { WORKBOOK_GRADES: run.gradesFile } : {}), ...(run.resultsFile ? { WORKBOOK_RESULTS: run.resultsFile } : {}), ...run.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT, env, stdio: run.quiet ? 'ignore' : 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
