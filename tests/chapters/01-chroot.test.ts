/**
 * Chapter 1 — chroot. Each check runs the learner's program as a subprocess
 * and judges what the command inside could see and do.
 */
import { afterAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { described, runChapter } from '../support/container.ts';
import { hostMarker } from '../support/host.ts';

const marker = hostMarker();
afterAll(() => marker.remove());

describe('chapter 1: chroot', () => {
  test('the command runs inside the root filesystem', async () => {
    const ran = await runChapter(1, ['cat', '/etc/workbook-release']);
    check(ran.code === 0 && ran.stdout.startsWith('workbook-rootfs '), {
      expected: '`cat /etc/workbook-release` prints the rootfs stamp "workbook-rootfs …" and exits 0',
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'setupContainer() must chroot(c.rootfs) — that file exists only in the workbook rootfs',
    });
  });

  test('files of the host outside the rootfs are out of sight', async () => {
    const ran = await runChapter(1, ['/bin/sh', '-c', `test -e ${marker.path} && echo visible || echo hidden`]);
    check(ran.code === 0 && ran.stdout.trim() === 'hidden', {
      expected: `${marker.path} (a host file) is not visible inside: "hidden"`,
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'after chroot(c.rootfs), "/" is the rootfs: paths no longer reach the host tree',
    });
  });

  test('the working directory is the new /', async () => {
    const ran = await runChapter(1, ['/bin/sh', '-c', 'pwd; ls']);
    check(ran.code === 0 && ran.stdout.split('\n')[0] === '/' && ran.stdout.includes('busybox') === false && ran.stdout.includes('bin'), {
      expected: '`pwd` prints "/" and `ls` lists the rootfs (bin, etc, proc…)',
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'chroot(2) does not change the working directory: chdir("/") after it',
    });
  });

  test("the command's exit status comes back", async () => {
    const ran = await runChapter(1, ['/bin/sh', '-c', 'exit 7']);
    check(ran.code === 7, {
      expected: 'exit 7 (from `sh -c "exit 7"`)',
      seen: described(ran),
      hint: 'the runner returns what the command returns — unless setupContainer() failed (125)',
    });
  });

  test('root can escape a bare chroot: the breakout probe reaches a host file', async () => {
    const ran = await runChapter(1, ['breakout', marker.path]);
    check(ran.code === 0 && ran.stdout.includes(marker.content), {
      expected: `/bin/breakout ${marker.path} climbs out of the chroot and prints the host file's secret`,
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'this passes once chroot works: it shows why chapter 2 replaces chroot with pivot_root',
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
