/**
 * How the selftest proves the grading honest (README.md here):
 *   - every graded check fails on the untouched learner file;
 *   - every mutant (a solution with one step broken) fails a graded check,
 *     and the first to fail names that step in its hint;
 *   - every cheater (fakes the output, skips the mechanism) fails every graded check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHAPTERS, type ChapterInfo } from '../../toolkit/chapters.ts';
import { runVitest } from '../../toolkit/cli/vitest.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { readResults, type CheckResult } from '../../toolkit/grading/results.ts';
import { MUTANTS, PROVEN, type Mutant } from './mutants.ts';

export const MUTANTS_DIR = path.join(PROJECT, '.mutants');

export function chapterOf(number: number): ChapterInfo {
  const c = CHAPTERS.find((x) => x.number === number);
  if (!c) throw new Error(`no chapter ${number} in toolkit/chapters.ts`);
  return c;
}

export function suiteOf(chapter: ChapterInfo): string {
  return `tests/chapters/${chapter.slug}.test.ts`;
}

/** "2.3-no-bind-mount-of-the-rootfs" */
export function mutantId(m: Mutant): string {
  return `${m.step}-${m.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

/** Writes the mutant's file; throws, naming the pattern, when an edit finds nothing to change. */
export function writeMutant(m: Mutant): string {
  const source = path.join(PROJECT, m.file ?? path.join('solutions', chapterOf(m.chapter).slug, 'container.ts'));
  let text = fs.readFileSync(source, 'utf8');
  for (const [from, to] of m.replace) {
    const at = text.indexOf(from);
    if (at < 0) throw new Error(`mutant ${mutantId(m)}: ${JSON.stringify(from)} is not in ${path.relative(PROJECT, source)} — update tests/mutants/mutants.ts`);
    text = text.slice(0, at) + to + text.slice(at + from.length);
  }
  // A sibling import ('../02-namespaces/…') would not resolve from .mutants/<id>/: point it at its folder.
  const tree = path.basename(path.dirname(path.dirname(source)));
  text = text.replace(/(from\s+['"])\.\.\/(\d\d-[^/'"]+\/)/g, `$1../../${tree}/$2`);
  const file = path.join(MUTANTS_DIR, mutantId(m), 'container.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** The TODO steps a learner file asks for: "TODO(2.3)" → "2.3". */
export function stepsOf(chapter: ChapterInfo): string[] {
  const text = fs.readFileSync(path.join(PROJECT, 'chapters', chapter.slug, 'container.ts'), 'utf8');
  return [...new Set([...text.matchAll(/TODO\((\d+\.\d+)\)/g)].map((m) => m[1]!))];
}

export interface Graded {
  checks: CheckResult[];
  graded: CheckResult[];
  /** The first graded check that failed, in the suite's order. */
  firstFailed?: CheckResult;
}

/**
 * vitest -t for the graded checks only: it matches a check's full name (its
 * describe blocks' names, then its own), and leaves out whatever sits in a
 * describe('given: …') block. The untouched files and the cheaters are judged
 * on graded checks alone, so their given checks — a cheater's often wait out
 * a sleep of 30 s — need not run.
 */
export const GRADED_ONLY = '^(?!(?:.* )?given: )';

/** Grades `file` as `chapter` (the learner's file when undefined), and reads every check's outcome. */
export async function grade(chapter: ChapterInfo, file: string | undefined, options: { bail?: boolean; checks?: string; gradedOnly?: boolean } = {}): Promise<Graded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-selftest-${process.pid}-`));
  const resultsFile = path.join(dir, 'results.json');
  try {
    await runVitest({
      files: [suiteOf(chapter)],
      target: file === undefined ? 'chapters' : 'solutions',
      resultsFile,
      quiet: true,
      ...(options.bail ? { bail: true } : {}),
      ...(options.checks ? { testNamePattern: options.checks } : options.gradedOnly ? { testNamePattern: GRADED_ONLY } : {}),
      env: file === undefined ? {} : { WORKBOOK_CHAPTER_FILE: `${chapter.number}:${file}` },
    });
    let checks: CheckResult[] = [];
    try {
      const result = readResults(resultsFile).chapters.find((c) => c.slug === chapter.slug);
      checks = result ? [...result.checks, ...result.suiteErrors.map((e): CheckResult => ({ name: 'the suite itself', given: false, state: 'failed', message: e, durationMs: 0 }))] : [];
    } catch {
      // vitest never reached its reporter: no results
    }
    const graded = checks.filter((c) => !c.given);
    // A graded check whose own name holds "given: " would be left out by GRADED_ONLY unseen: say so.
    const hidden = options.gradedOnly ? graded.find((c) => c.state === 'skipped' && /(?:^| )given: /.test(c.name)) : undefined;
    if (hidden !== undefined) checks.push({ name: 'the suite itself', given: false, state: 'failed', message: `the graded check "${hidden.name}" has "given: " in its name, so the proofs skip it: rename it`, durationMs: 0 });
    return { checks, graded: checks.filter((c) => !c.given), firstFailed: graded.find((c) => c.state === 'failed') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    // --bail ends vitest's workers before their afterAll hooks: a suite's host marker file
    // (/tmp/workbook-marker-<pid>-…, tests/support/host.ts) then outlives its dead worker.
    for (const name of fs.readdirSync(os.tmpdir())) {
      const pid = /^workbook-marker-(\d+)-/.exec(name)?.[1];
      if (pid !== undefined && !processLives(Number(pid))) fs.rmSync(path.join(os.tmpdir(), name), { force: true });
    }
  }
}

function processLives(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a hint blames `step`: "TODO 2.3", not "TODO 2.30". */
export function blames(message: string, step: string): boolean {
  return new RegExp(`TODO ${step.replace('.', '\\.')}(?!\\d)`).test(message);
}

export function hintOf(message: string): string {
  return /^hint:\s*(.*)$/m.exec(message)?.[1] ?? message.split('\n')[0] ?? '';
}

export { MUTANTS, PROVEN };
