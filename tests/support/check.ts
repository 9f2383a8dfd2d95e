/**
 * A grading check fails with three things a learner can act on: what was
 * expected, what was seen, and a hint. The reporter (reporter.ts) prints them.
 */
export interface Verdict {
  expected: string;
  seen: string;
  hint: string;
}

export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  constructor(verdict: Verdict) {
    super(`expected: ${verdict.expected}\nseen:     ${verdict.seen}\nhint:     ${verdict.hint}`);
  }
}

export function check(ok: boolean, verdict: Verdict): void {
  if (!ok) throw new CheckFailure(verdict);
}

/** Output as a learner would want to see it in a failure: trimmed, shortened, never empty. */
export function shown(text: string, max = 300): string {
  const t = text.trim();
  if (t === '') return '(nothing)';
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
