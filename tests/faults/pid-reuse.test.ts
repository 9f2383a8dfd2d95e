/**
 * Defect 2 of issue 12: the reaper SIGKILLed the PID a dead runner's state
 * file named, whoever had that PID by now. Here the "container" of a state
 * file is an unrelated process this test starts itself: after PID reuse, that
 * is what the number means. It must survive the next run and npm run clean;
 * a state whose recorded identity does match is still reaped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PROJECT } from '../../toolkit/paths.ts';
import { identify } from '../../toolkit/runtime/identity.ts';
import { listStates, stateFile, writeState } from '../../toolkit/runtime/state.ts';
import { clean, exists, runToEnd, runnerArgs, until } from './support.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

/** A process of our own, standing in for whatever got the PID. */
function bystander(): number {
  const p = spawn('sleep', ['300'], { stdio: 'ignore' });
  started.push(p);
  return p.pid!;
}

/** The PID of a process that has already ended: a runner that was killed. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

function staleState(id: string, record: { pid: number; process?: { pid: number; startTime: string; pidns?: string } }): void {
  const rootfs = fs.mkdtempSync('/tmp/faults-rootfs-');
  writeState({
    runner: deadPid(),
    runnerStart: '1',
    chapterFile: path.join(PROJECT, 'solutions/01-chroot/container.ts'),
    container: { id, name: id, hostname: id, rootfs, command: ['/bin/true'], env: [], limits: {}, stats: false, keep: false, network: 'none', publish: [], uidMap: [], gidMap: [], rootless: false, plainRootfs: true },
    ...record,
  });
  fs.rmSync(rootfs, { recursive: true });
}

describe('PID reuse', () => {
  test.each([
    ['the next run', () => runToEnd(runnerArgs(2, ['--', '/bin/true']))],
    ['npm run clean', async () => clean()],
  ])('%s leaves alone a process that merely has the PID a dead runner recorded', async (_, next) => {
    const pid = bystander();
    const me = identify(pid)!;
    staleState('faultsreuse1', { pid }); // the old format: a bare PID
    staleState('faultsreuse2', { pid, process: { ...me, startTime: String(Number(me.startTime) - 1) } }); // started at another time
    staleState('faultsreuse3', { pid, process: { ...me, pidns: 'pid:[1]' } }); // in another PID namespace
    await next();
    expect(exists(pid)).toBe(true);
    expect(listStates().map((s) => s.container.id).filter((id) => id.startsWith('faultsreuse'))).toEqual([]);
  });

  test('a container that is still the recorded process is reaped', async () => {
    const pid = bystander();
    staleState('faultsreuse4', { pid, process: identify(pid)! });
    await runToEnd(runnerArgs(2, ['--', '/bin/true']));
    expect(await until(() => !exists(pid))).toBe(true);
    expect(fs.existsSync(stateFile('faultsreuse4'))).toBe(false);
  });
});
