/**
 * Defect 1 of issue 12: after every run the runner detached every mount at or
 * below the rootfs — with `--rootfs /` the host's /proc, /dev and /sys. These
 * checks run the runner inside a private mount namespace of their own
 * (unshare -m), so that a regression harms only that namespace.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROJECT, ROOTFS } from '../../toolkit/paths.ts';
import { runToEnd, runnerArgs } from './support.ts';

/** Runs `script` (sh) in a new private mount namespace; $RUNNER is the runner's command line. */
function inPrivateMountNamespace(script: string, runner: string[]): { code: number; out: string } {
  const quoted = [process.execPath, ...runner].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  try {
    const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script.replaceAll('$RUNNER', quoted)], { cwd: PROJECT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

const made: string[] = [];
/** A scratch folder for the shell's notes (not named workbook-*: npm run clean would count it). */
function scratch(): string {
  const dir = fs.mkdtempSync('/tmp/faults-');
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
// On a fresh clone the rootfs may not be built yet: one ordinary run builds it (as npm run chapter does).
beforeAll(async () => {
  if (!fs.existsSync(`${ROOTFS}/home`)) await runToEnd(runnerArgs(2, ['--', '/bin/true']));
}, 300_000);

describe('--rootfs is never the host', () => {
  test.each(['/', '/dev', '/proc/self', '/usr', path.dirname(PROJECT)])('--rootfs %s is refused with one line, and the mount table is unchanged', (dir) => {
    const { out } = inPrivateMountNamespace(
      'cat /proc/self/mountinfo > "$T/before"; $RUNNER > "$T/out" 2>&1; echo "exit $?" >> "$T/out"; cat /proc/self/mountinfo > "$T/after"; cat "$T/out"; diff "$T/before" "$T/after" && echo "mounts unchanged"'
        .replaceAll('$T', scratch()),
      runnerArgs(2, ['--rootfs', dir, '--', '/bin/true']),
    );
    const lines = out.trim().split('\n');
    expect(lines.at(-1)).toBe('mounts unchanged');
    expect(lines).toContain('exit 2');
    expect(lines.filter((l) => l.startsWith('workbook:'))).toHaveLength(1);
    expect(out).toMatch(/refused/);
  });

  test('a mount under the rootfs that was there before the run is still there after it', () => {
    const { out } = inPrivateMountNamespace(
      `mount -t tmpfs workbook-faults-probe "${ROOTFS}/home" && $RUNNER >/dev/null 2>&1; echo "exit $?"; grep -c workbook-faults-probe /proc/self/mountinfo`,
      runnerArgs(2, ['--', '/bin/true']),
    );
    expect(out.trim().split('\n').slice(-2)).toEqual(['exit 0', '1']);
  });
});
