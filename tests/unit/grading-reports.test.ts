import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseGradeArgs } from '../../toolkit/grading/args.ts';
import { toJsonReport } from '../../toolkit/grading/json-report.ts';
import { toJUnit } from '../../toolkit/grading/junit.ts';
import { blamedStep, chapterPassed, gradedScore, type RunResults } from '../../toolkit/grading/results.ts';
import { summaryLines } from '../../toolkit/grading/summary.ts';
import { stripVTControlCharacters } from 'node:util';

const results: RunResults = {
  at: '2026-12-01T00:00:00.000Z',
  target: 'chapters',
  chapters: [
    { slug: '01-chroot', suiteErrors: [], durationMs: 10, checks: [
      { name: 'the command runs <inside> & "quoted"', given: false, state: 'passed', durationMs: 5 },
      { name: 'options are checked', given: true, state: 'passed', durationMs: 5 },
    ] },
    { slug: '02-namespaces', suiteErrors: [], durationMs: 20, checks: [
      { name: 'the command is PID 1', given: false, state: 'failed', message: 'expected: 1\nseen:     4242\nhint:     unshare CLONE_NEWPID (TODO 2.1)', durationMs: 20 },
      { name: 'the hostname', given: false, state: 'passed', durationMs: 1 },
    ] },
  ],
};

describe('grading reports', () => {
  test('given checks are not counted; a chapter passes only when every graded check does', () => {
    expect(gradedScore(results.chapters[0]!)).toEqual({ passed: 1, total: 1 });
    expect(chapterPassed(results.chapters[0]!)).toBe(true);
    expect(gradedScore(results.chapters[1]!)).toEqual({ passed: 1, total: 2 });
    expect(chapterPassed(results.chapters[1]!)).toBe(false);
    expect(blamedStep(results.chapters[1]!.checks[0]!)).toBe('2.1');
  });

  test('the summary names the next step and its hint command', () => {
    const text = stripVTControlCharacters(summaryLines(results).join('\n'));
    expect(text).toMatch(/01-chroot\s+1\/1 graded checks\s+\(\+1 given\)/);
    expect(text).toMatch(/02-namespaces\s+1\/2 graded checks/);
    expect(text).toContain('next: chapter 2, TODO 2.1 — npm run hint 2.1');
  });

  test('a chapter that does not compile is named once, with where', () => {
    const broken: RunResults = { ...results, chapters: [{ slug: '02-namespaces', suiteErrors: [], durationMs: 1, checks: [
      { name: 'the command is PID 1', given: false, state: 'failed', message: 'expected: 1\nseen:     exit 125, stderr: workbook: the chapter does not compile (npm run typecheck lists every type error) | chapters/02-namespaces/container.ts:23:13: Unexpected ";" |   23 │   const x = ;\nhint:     x', durationMs: 1 },
    ] }] };
    const text = stripVTControlCharacters(summaryLines(broken).join('\n'));
    expect(text).toContain('next: chapter 2 does not compile — chapters/02-namespaces/container.ts:23:13: Unexpected ";" — fix that first');
  });

  test('JUnit XML: one testcase per check, escaped, accepted by xmllint', () => {
    const xml = toJUnit(results);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('&lt;inside&gt; &amp; &quot;quoted&quot;');
    expect(xml).toContain('<failure message="expected: 1">');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-junit-')), 'out.xml');
    fs.writeFileSync(file, xml);
    try {
      execFileSync('xmllint', ['--noout', file], { stdio: 'pipe' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // xmllint absent: the checks above stand
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  test('JSON report: points per chapter, shared by graded checks', () => {
    const report = toJsonReport(results);
    expect(report.chapters.map((c) => c.points)).toEqual([{ earned: 10, max: 10 }, { earned: 5, max: 10 }]);
    expect(report.points).toEqual({ earned: 15, max: 20 });
  });

  test('npm test takes options before or after the chapter numbers', () => {
    const a = parseGradeArgs(['1', '2', '--junit', 'out.xml']);
    const b = parseGradeArgs(['--junit', 'out.xml', '1', '--', '2']);
    expect(a.chapters.map((c) => c.number)).toEqual([1, 2]);
    expect(b.chapters.map((c) => c.number)).toEqual([1, 2]);
    expect(a.junit).toBe(b.junit);
    expect(() => parseGradeArgs(['--junit'])).toThrow(/Expected a file name after --junit/);
    expect(() => parseGradeArgs(['99'])).toThrow(/Expected chapter numbers/);
  });
});
