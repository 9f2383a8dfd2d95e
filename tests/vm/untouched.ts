/**
 * In the VM (guest.sh), as root through sudo: the untouched learner files
 * (chapters/NN-x/container.ts as committed) must fail every graded check,
 * each check saying what it saw — the selftest's step 3 (toolkit/cli/selftest.ts),
 * with the same grade() (tests/mutants/prove.ts): its GRADED_ONLY pattern
 * leaves the given: blocks out, since they judge the toolkit, not the file,
 * and under software emulation they would cost minutes.
 *
 *   node --import tsx tests/vm/untouched.ts N…
 *
 * Prints one line per chapter, "VM-CHAPTER untouched SLUG PASSED/GRADED T s",
 * then what is wrong; exits 1 when any chapter is not failed by its checks.
 */
import { CHAPTERS } from '../../toolkit/chapters.ts';
import { grade } from '../mutants/prove.ts';

async function main(numbers: number[]): Promise<number> {
  let status = 0;
  for (const chapter of CHAPTERS.filter((c) => numbers.includes(c.number))) {
    const started = Date.now();
    const g = await grade(chapter, undefined, { gradedOnly: true });
    const took = ((Date.now() - started) / 1000).toFixed(0);
    const passing = g.graded.filter((c) => c.state === 'passed');
    // A check that never looked (skipped: a hook gave up first; the suite's own error) judged nothing.
    const unjudged = g.graded.filter((c) => c.state === 'skipped' || c.name === 'the suite itself');
    const wrong = g.graded.length === 0 ? 'no graded check ran'
      : passing.length > 0 ? `these pass: ${passing.map((c) => c.name).join('; ')}`
      : unjudged.length > 0 ? `not judged by its checks: ${unjudged.map((c) => (c.state === 'skipped' ? `"${c.name}" never ran` : (c.message ?? '').split('\n')[0])).join('; ')}`
      : '';
    console.log(`VM-CHAPTER untouched ${chapter.slug} ${passing.length}/${g.graded.length} ${took} s${wrong ? ` ${wrong}` : ''}`);
    if (wrong) status = 1;
  }
  return status;
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
