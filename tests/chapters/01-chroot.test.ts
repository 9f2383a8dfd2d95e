/**
 * Chapter 1 — chroot. The checks look at the living container from the host:
 * its root directory and working directory through /proc/PID/root and
 * /proc/PID/cwd, and what its command could reach (a host file, the breakout
 * probe) — output of the command itself, never of the setup.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ROOTFS } from '../../toolkit/paths.ts';
import { check, shown } from '../support/check.ts';
import { described, runChapter } from '../support/container.ts';
import { hostMarker } from '../support/host.ts';
import { Observed, diagnose, sameFile } from '../support/observe.ts';

const marker = hostMarker();

const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/chroot/, 'chroot(c.rootfs) failed: is c.rootfs the path you gave it? (TODO 1.1)'],
  [/chdir/, 'after chroot, the rootfs is "/": chdir("/"), not to the host path (TODO 1.2)'],
];

let box: Observed;
beforeAll(async () => {
  box = await Observed.start(1, [], `test -e ${marker.path} && echo visible || echo hidden; breakout ${marker.path}; echo "breakout exit $?"`);
});
afterAll(async () => {
  await box?.stop(); // undefined when the beforeAll itself failed
  marker.remove();
});

async function started(expected: string): Promise<number> {
  if (box.pid !== null) return box.pid;
  check(false, { expected, seen: await box.failure(), hint: diagnose(await box.stderr(), WHY) });
  throw new Error('unreachable');
}

describe('chapter 1: chroot', () => {
  test("the command's root directory is the rootfs", async () => {
    const pid = await started(`the command runs with ${ROOTFS} as its root`);
    check(sameFile(`/proc/${pid}/root`, ROOTFS), {
      expected: `/proc/${pid}/root is ${ROOTFS}`,
      seen: `/proc/${pid}/root is ${describeLink(`/proc/${pid}/root`)}`,
      hint: 'setupContainer() must chroot(c.rootfs): the process, and the command it becomes, then see the rootfs as "/" (TODO 1.1)',
    });
  });

  test('files of the host outside the rootfs are out of sight', async () => {
    const pid = await started('the command runs in the rootfs');
    const out = box.run.stdout;
    check(sameFile(`/proc/${pid}/root`, ROOTFS) && out.startsWith('hidden\n'), {
      expected: `${marker.path} (a host file) is not visible to the command: "hidden"`,
      seen: `stdout: ${shown(out.split('\n')[0] ?? '')}`,
      hint: 'after chroot(c.rootfs), "/" is the rootfs: paths no longer reach the host tree (TODO 1.1)',
    });
  });

  test('the working directory is the new /', async () => {
    const pid = await started('the command runs in the rootfs');
    const rooted = sameFile(`/proc/${pid}/root`, ROOTFS);
    check(rooted && sameFile(`/proc/${pid}/cwd`, `/proc/${pid}/root`), {
      expected: `/proc/${pid}/cwd is its root, ${ROOTFS}`,
      seen: `cwd ${describeLink(`/proc/${pid}/cwd`)}, root ${describeLink(`/proc/${pid}/root`)}`,
      hint: rooted
        ? 'chroot(2) does not change the working directory: chdir("/") after it, or the command starts outside its root (TODO 1.2)'
        : 'chdir alone moves nothing but the working directory: chroot(c.rootfs) first (TODO 1.1)',
    });
  });

  test('root can escape a bare chroot: the breakout probe reaches a host file', async () => {
    const pid = await started('the breakout probe runs in the rootfs');
    const out = box.run.stdout;
    check(sameFile(`/proc/${pid}/root`, ROOTFS) && out.includes(marker.content), {
      expected: `inside the chroot, /bin/breakout ${marker.path} climbs out and prints the host file's secret`,
      seen: `stdout: ${shown(out)}`,
      hint: 'this passes once chroot works (TODO 1.1): it shows why chapter 2 replaces chroot with pivot_root',
    });
  });
});

describe('given: the runner (toolkit code, not graded)', () => {
  test("the command's exit status comes back", async () => {
    const ran = await runChapter(1, ['/bin/sh', '-c', 'exit 7']);
    check(ran.code === 7, {
      expected: 'exit 7 (from `sh -c "exit 7"`)',
      seen: described(ran),
      hint: 'the runner returns what the command returns — unless setupContainer() failed (125)',
    });
  });

  test('a command that does not exist: one line, exit 127', async () => {
    const ran = await runChapter(1, ['no-such-command']);
    const lines = ran.stderr.trim().split('\n');
    check(ran.code === 127 && lines.length === 1 && lines[0]!.includes('no-such-command'), {
      expected: 'exit 127 and one line on stderr naming "no-such-command"',
      seen: described(ran),
      hint: 'the lookup happens after setupContainer(), in the new root: finish the setup first',
    });
  });
});

function describeLink(link: string): string {
  try {
    return fs.readlinkSync(link);
  } catch {
    return '(gone)';
  }
}
