/**
 * The grader's voice: per chapter, each check with ✓ or ✗, and under a
 * failed one what was expected, what was seen, and a hint. With
 * WORKBOOK_GRADES=path it also records each chapter's score there, which
 * `npm run chapter` shows in its picker.
 *
 * Checks inside a `describe('given: …')` block judge the toolkit, not the
 * learner: they are shown apart and never counted in "N/M checks pass".
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** Whether a check sits in a describe('given: …') block (as results-reporter.ts decides too). */
function isGiven(test: TestCase): boolean {
  for (let p: TestCase['parent'] | undefined = test.parent; p && p.type === 'suite'; p = p.parent) {
    if (/^given\b/i.test(p.name)) return true;
  }
  return false;
}

export default class GradeReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const grades: Record<string, { passed: number; failed: number; at: string }> = {};
    for (const module of [...modules].sort((a, b) => a.moduleId.localeCompare(b.moduleId))) {
      const slug = path.basename(module.moduleId).replace(/\.test\.ts$/, '');
      let passed = 0;
      let failed = 0;
      const lines: string[] = [];
      const given: string[] = [];
      for (const test of module.children.allTests()) {
        const result = test.result();
        const out = isGiven(test) ? given : lines;
        const message = (result.errors ?? []).map((error) =>
          error.name === 'CheckFailure' || error.message.startsWith('expected: ') ? error.message : `${error.name}: ${error.message}`).join('\n');
        if (result.state === 'passed') {
          if (out === lines) passed++;
          out.push(`  ${chalk.green('✓')} ${test.name}`);
        } else if (result.state === 'failed') {
          if (out === lines) failed++;
          out.push(`  ${chalk.red('✗')} ${test.name}`);
          for (const line of message.split('\n')) out.push(chalk.dim('      ') + colour(line));
        } else {
          out.push(`  ${chalk.dim('-')} ${chalk.dim(test.name)} ${chalk.dim(`(${result.state})`)}`);
        }
      }
      if (given.length > 0) lines.push(chalk.dim('  given — the toolkit\'s own behaviour, not counted:'), ...given);
      for (const error of module.errors()) {
        failed++;
        lines.push(`  ${chalk.red('✗')} the suite itself failed: ${error.message}`);
      }
      const total = passed + failed;
      const head = failed === 0 && total > 0 ? chalk.green(`${passed}/${total} checks pass`) : chalk.yellow(`${passed}/${total} checks pass`);
      console.log(`\n${chalk.bold(slug)}  ${head}`);
      for (const line of lines) console.log(line);
      grades[slug] = { passed, failed, at: new Date().toISOString() };
    }
    const file = process.env.WORKBOOK_GRADES;
    if (file) {
      // Keep the grades of chapters not run this time.
      let previous = {};
      try {
        previous = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        // first grading
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ ...previous, ...grades }, null, 2));
    }
    console.log('');
  }
}

function colour(line: string): string {
  if (line.startsWith('expected:')) return chalk.green(line);
  if (line.startsWith('seen:')) return chalk.red(line);
  if (line.startsWith('hint:')) return chalk.cyan(line);
  return line;
}
