/**
 * In the VM (guest.sh), as root through sudo: the untouched learner files
 * (chapters/NN-x/container.ts as committed) must fail every graded check,
 * each check saying what it saw — the selftest's step 3 (toolkit/cli/selftest.ts),
 * on the same suites, with the same GRADED_ONLY pattern (tests/mutants/prove.ts):
 * the given: blocks are left out, since they judge the toolkit, not the file.
 * One vitest run for every chapter asked for, not one each as the selftest
 * does: under software emulation each start-up costs seconds.
 *
 *   node --import tsx tests/vm/untouched.ts N…
 *
 * Prints one line per chapter, "VM-CHAPTER untouched SLUG PASSED/GRADED T s"
 * (T: its checks' own time), then what is wrong; exits 1 when any chapter is
 * not failed by its checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHAPTERS } from '../../toolkit/chapters.ts';
import { runVitest } from '../../toolkit/cli/vitest.ts';
import { readResults, type CheckResult } from '../../toolkit/grading/results.ts';
import { GRADED_ONLY, suiteOf } from '../mutants/prove.ts';

async function main(numbers: number[]): Promise<number> {
  const chapters = CHAPTERS.filter((c) => numbers.includes(c.number));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-vm-untouched-${process.pid}-`));
  try {
    const resultsFile = path.join(dir, 'results.json');
    await runVitest({ files: chapters.map(suiteOf), target: 'chapters', resultsFile, testNamePattern: GRADED_ONLY });
    const results = fs.existsSync(resultsFile) ? readResults(resultsFile) : { chapters: [] };
    let status = 0;
    for (const chapter of chapters) {
      const r = results.chapters.find((c) => c.slug === chapter.slug);
      const graded: CheckResult[] = r === undefined ? [] : [
        ...r.checks.filter((c) => !c.given),
        ...r.suiteErrors.map((e): CheckResult => ({ name: 'the suite itself', given: false, state: 'failed', message: e, durationMs: 0 })),
      ];
      const passing = graded.filter((c) => c.state === 'passed');
      // A check that never looked (skipped: a hook gave up first; the suite's own error) judged nothing.
      const unjudged = graded.filter((c) => c.state === 'skipped' || c.name === 'the suite itself');
      const wrong = graded.length === 0 ? 'no graded check ran'
        : passing.length > 0 ? `these pass: ${passing.map((c) => c.name).join('; ')}`
        : unjudged.length > 0 ? `not judged by its checks: ${unjudged.map((c) => (c.state === 'skipped' ? `"${c.name}" never ran` : (c.message ?? '').split('\n')[0])).join('; ')}`
        : '';
      const took = ((r?.durationMs ?? 0) / 1000).toFixed(0);
      console.log(`VM-CHAPTER untouched ${chapter.slug} ${passing.length}/${graded.length} ${took} s${wrong ? ` ${wrong}` : ''}`);
      if (wrong) status = 1;
    }
    return status;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const numbers = process.argv.slice(2).map(Number);
if (numbers.length === 0 || numbers.some((n) => !CHAPTERS.some((c) => c.number === n))) {
  console.error(`usage: node --import tsx tests/vm/untouched.ts N… (chapters ${CHAPTERS.map((c) => c.number).join(' ')})`);
  process.exit(2);
}
main(numbers).then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(2);
});
