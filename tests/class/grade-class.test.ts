/**
 * The instructor's tools, run as an instructor runs them: `npm run grade:class`
 * over three checkouts — one solved, one untouched, one whose edited test file
 * would pass everything — and the grading step of the autograding workflow.
 * Chapter 1 only, to keep it short. `npm run test:class`; CI runs it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PROJECT } from '../../toolkit/paths.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-class-test-${process.pid}-`));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function checkout(name: string, edit: (dir: string) => void): string {
  const dir = path.join(scratch, name);
  fs.cpSync(path.join(PROJECT, 'chapters'), path.join(dir, 'chapters'), { recursive: true });
  edit(dir);
  return dir;
}

describe('instructors', () => {
  test('grade:class takes only chapters/ from each checkout and scores all three right', () => {
    const solved = checkout('solved', (d) => fs.copyFileSync(path.join(PROJECT, 'solutions/01-chroot/container.ts'), path.join(d, 'chapters/01-chroot/container.ts')));
    const untouched = checkout('untouched', () => {});
    const cheater = checkout('cheater', (d) => {
      fs.mkdirSync(path.join(d, 'tests/chapters'), { recursive: true });
      fs.writeFileSync(path.join(d, 'tests/chapters/01-chroot.test.ts'), "import { test } from 'vitest';\ntest('everything passes', () => {});\n");
      fs.mkdirSync(path.join(d, 'toolkit/cli'), { recursive: true });
      fs.writeFileSync(path.join(d, 'toolkit/cli/grade.ts'), 'process.exit(0);\n');
    });
    const out = path.join(scratch, 'out');
    const ran = spawnSync(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/grade-class.ts'), '--chapters', '1', '--out', out, solved, untouched, cheater], { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    const rows = fs.readFileSync(path.join(out, 'class.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['learner', '01-chroot', 'total', 'max', 'problem']);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([['solved', '10'], ['untouched', '0'], ['cheater', '0']]);
    const page = fs.readFileSync(path.join(out, 'class.html'), 'utf8');
    expect(page).toContain('href="#learner-1"');
    expect(page).toContain("the command's root directory is the rootfs");
  }, 240_000);

  test("the autograding workflow's grading step writes JUnit that xmllint accepts, one testcase per check", () => {
    const workflow = fs.readFileSync(path.join(PROJECT, '.github/workflows/classroom.yml'), 'utf8');
    const step = /run: sudo -E env "PATH=\$PATH" (npm test -- .*)$/m.exec(workflow);
    expect(step, 'the workflow has a grading step').not.toBeNull();
    // The same command, as the runner would run it, for chapter 1 and into this test's folder.
    const args = step![1]!.split(/\s+/).slice(3).map((a) => a.replace(/^reports\//, `${scratch}/reports/`));
    const ran = spawnSync('npm', ['test', '--', '1', ...args], { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    expect(ran.status, ran.stdout + ran.stderr).toBe(1); // the untouched chapter fails, and says so
    const junit = path.join(scratch, 'reports/junit.xml');
    execFileSync('xmllint', ['--noout', junit]);
    const json = JSON.parse(fs.readFileSync(path.join(scratch, 'reports/grades.json'), 'utf8')) as { chapters: { checks: unknown[] }[] };
    expect(fs.readFileSync(junit, 'utf8').match(/<testcase /g)?.length).toBe(json.chapters[0]!.checks.length);
    expect(ran.stdout).toMatch(/next: chapter 1/);
  }, 120_000);
});
