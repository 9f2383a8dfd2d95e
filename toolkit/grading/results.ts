/**
 * What one grading run found, check by check: written by the results reporter
 * (tests/support/results-reporter.ts) as JSON, read by `npm test`'s summary,
 * its --junit and --json reports, and `npm run grade:class`.
 *
 * A "given" check tests the toolkit's own behaviour (option validation and the
 * like, in a describe('given: …') block): it is shown, never counted as the
 * learner's progress.
 */
import fs from 'node:fs';

export type CheckState = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  given: boolean;
  state: CheckState;
  /** The failure as the grader shows it: expected / seen / hint lines. */
  message?: string;
  durationMs: number;
}

export interface ChapterResult {
  /** The chapter folder's name, e.g. 02-namespaces. */
  slug: string;
  checks: CheckResult[];
  /** The suite could not run at all (e.g. it failed to load): counts as one failed check. */
  suiteErrors: string[];
  durationMs: number;
}

export interface RunResults {
  at: string;
  target: 'chapters' | 'solutions';
  chapters: ChapterResult[];
}

export function readResults(file: string): RunResults {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunResults;
}

/** Graded checks only: passed, and the total a chapter is marked out of. */
export function gradedScore(chapter: ChapterResult): { passed: number; total: number } {
  const graded = chapter.checks.filter((c) => !c.given);
  return {
    passed: chapter.suiteErrors.length > 0 ? 0 : graded.filter((c) => c.state === 'passed').length,
    total: graded.length + chapter.suiteErrors.length,
  };
}

export function chapterPassed(chapter: ChapterResult): boolean {
  const { passed, total } = gradedScore(chapter);
  return total > 0 && passed === total && chapter.checks.every((c) => c.state !== 'failed');
}

/** The step a failed check blames, from its hint's "TODO N.M" (the convention every suite follows). */
export function blamedStep(check: CheckResult): string | undefined {
  const hint = check.message?.split('\n').find((l) => l.trimStart().startsWith('hint:')) ?? check.message ?? '';
  return /\bTODO\s+(\d+\.\d+)/.exec(hint)?.[1] ?? /\bTODO\s+(\d+\.\d+)/.exec(check.message ?? '')?.[1];
}
