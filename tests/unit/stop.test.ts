/**
 * What `npm run stop` says of a container it had to kill (toolkit/lifecycle/stop.ts).
 * No root needed: the words only.
 */
import { expect, test } from 'vitest';
import { killedHow } from '../../toolkit/lifecycle/stop.ts';

test('a kill after the grace period names the period', () => {
  expect(killedHow(10)).toBe('killed: still running 10 s after SIGTERM');
});

test('-t 0 gives no grace: it does not claim the process outlived one', () => {
  expect(killedHow(0)).toBe('killed: SIGKILL right after SIGTERM, as -t 0 asks');
  expect(killedHow(0)).not.toMatch(/still running/);
});
