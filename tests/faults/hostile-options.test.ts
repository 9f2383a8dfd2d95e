/**
 * Defects 5 and 8 of issue 12: options that harm the host or mislead are
 * refused with one line and exit 2, before anything is made.
 */
import { describe, expect, test } from 'vitest';
import { listStates } from '../../toolkit/runtime/state.ts';
import { runToEnd, runnerArgs } from './support.ts';

const workbookLines = (stderr: string) => stderr.trim().split('\n').filter((l) => l.includes('workbook:') && !/left by a runner that was killed/.test(l));

describe('hostile options', () => {
  test.each([
    ['--uidmap 0:0:1 (container root = host root)', 6, ['--uidmap', '0:0:1'], /host uid 0.*--unsafe-map-host-root/],
    ['--gidmap 0:0:65536', 6, ['--gidmap', '0:0:65536'], /host gid 0.*--unsafe-map-host-root/],
    ['--memory 1 (below what Node starts in)', 3, ['--memory', '1'], /at least 16m/],
    ['a 300-character --name', 2, ['--name', 'n'.repeat(300)], /\(300 characters\)/],
  ])('%s: one line, exit 2, nothing made', async (_, chapter, args, want) => {
    const before = new Set(listStates().map((s) => s.container.id));
    const ran = await runToEnd(runnerArgs(chapter as number, [...(args as string[]), '--', '/bin/true']));
    const lines = workbookLines(ran.stderr);
    expect(ran.code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(want as RegExp);
    expect(lines[0]!.length).toBeLessThan(400);
    expect(listStates().filter((s) => !before.has(s.container.id))).toEqual([]);
  });

  test('--unsafe-map-host-root does what it says, for who asks loudly', async () => {
    const ran = await runToEnd(runnerArgs(6, ['--unsafe-map-host-root', '--uidmap', '0:0:1', '--gidmap', '0:0:1', '--', '/bin/cat', '/proc/self/uid_map']));
    expect(ran.code).toBe(0);
    expect(ran.stdout.trim().split(/\s+/)).toEqual(['0', '0', '1']);
  });
});
