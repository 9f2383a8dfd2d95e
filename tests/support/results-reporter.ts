/**
 * A second vitest reporter beside the grader's voice (reporter.ts): it prints
 * nothing and writes every check's result to WORKBOOK_RESULTS as JSON
 * (toolkit/grading/results.ts), for the summary, JUnit and JSON reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { ChapterResult, CheckResult, RunResults } from '../../toolkit/grading/results.ts';

export default class ResultsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const file = process.env.WORKBOOK_RESULTS;
    if (!file) return;
    const results: RunResults = {
      at: new Date().toISOString(),
      target: process.env.WORKBOOK_TARGET === 'solutions' ? 'solutions' : 'chapters',
      chapters: [...modules].sort((a, b) => a.moduleId.localeCompare(b.moduleId)).map(chapterOf),
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  }
}

function chapterOf(module: TestModule): ChapterResult {
  const checks = [...module.children.allTests()].map(checkOf);
  return {
    slug: path.basename(module.moduleId).replace(/\.test\.ts$/, ''),
    checks,
    suiteErrors: module.errors().map((e) => stripVTControlCharacters(e.message)),
    durationMs: checks.reduce((sum, c) => sum + c.durationMs, 0),
  };
}

function checkOf(test: TestCase): CheckResult {
  const result = test.result();
  const state = result.state === 'passed' ? 'passed' : result.state === 'failed' ? 'failed' : 'skipped';
  const message = (result.errors ?? []).map((e) => (e.name === 'CheckFailure' || e.message.startsWith('expected: ') ? e.message : `${e.name}: ${e.message}`)).join('\n');
  return {
    name: test.name,
    given: isGiven(test),
    state,
    ...(message ? { message: stripVTControlCharacters(message) } : {}),
    durationMs: Math.round(test.diagnostic()?.duration ?? 0),
  };
}

/** Inside a describe('given: …') block, at any depth. */
function isGiven(test: TestCase): boolean {
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    if (/^given\b/i.test(parent.name)) return true;
  }
  return false;
}
