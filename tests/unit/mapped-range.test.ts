/** Issue 12, defect 7: mapped mode's host IDs are a range no user owns, now or after the next useradd. */
import { describe, expect, test } from 'vitest';
import { chooseRange, grantedToAnyone, mappedRange, userAddPoolEnd } from '../../toolkit/userns/mapped-range.ts';

describe('mapped mode\'s range', () => {
  test('above useradd\'s pool: not the 100000–165535 the first useradd hands out', () => {
    expect(chooseRange([], 600100000)).toEqual({ inside: 0, outside: 1_000_000_000, count: 65536 });
    expect(chooseRange([], 2_000_000_000).outside).toBeGreaterThan(2_000_000_000);
  });

  test('skips a range /etc/subuid or /etc/subgid grants anyone', () => {
    const taken = [{ first: 1_000_000_100, count: 10, owner: 'alice (/etc/subgid)' }];
    expect(chooseRange(taken, 600100000).outside).toBe(1_000_000_000 + 65536);
  });

  test('on this machine: overlaps no grant, lies above useradd\'s pool', () => {
    const { outside, count } = mappedRange();
    expect(outside).toBeGreaterThan(userAddPoolEnd());
    expect(grantedToAnyone().filter((g) => outside < g.first + g.count && g.first < outside + count)).toEqual([]);
  });
});
