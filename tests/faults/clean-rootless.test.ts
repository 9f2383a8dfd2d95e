/**
 * Issue 12, defect 8: root's npm run clean said "nothing left" while a
 * rootless user's state remained. It must say what it found, and leave it.
 */
import fs from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { clean } from './support.ts';

const uid = 4242_0 + (process.pid % 1000); // no such user needed: the folder's owner is what counts
const base = `/tmp/workbook-run-${uid}`;
const dir = `${base}/workbook/containers`;
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

test('root\'s npm run clean names a rootless user\'s state it did not touch', () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/abcdef123456.json`, '{}');
  for (const p of [base, `${base}/workbook`, dir, `${dir}/abcdef123456.json`]) fs.chownSync(p, uid, uid);
  const out = clean();
  expect(out).toMatch(new RegExp(`not touched: 1 state file\\(s\\) of rootless runs by uid ${uid} in ${dir}`));
  expect(out).not.toMatch(/nothing of the workbook is left/);
  expect(fs.existsSync(`${dir}/abcdef123456.json`)).toBe(true);
});
