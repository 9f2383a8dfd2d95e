/**
 * The stage design carries a user namespace: nsexec (the single-threaded
 * stage) makes it, the runner maps container root to an unprivileged host
 * uid, and the rest of the setup runs unchanged. Chapter 6 builds on this.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { PROJECT } from '../../toolkit/paths.ts';
import { HOST_ID } from './userns-chapter.ts';

test('container root is an unprivileged uid on the host', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT, 'tests/kernel/run-userns.ts'), '/bin/sh', '-c', 'trap "exit 42" TERM; id -u; id -g; cat /proc/self/uid_map; echo ready; sleep 30 & wait'],
    { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

  for (let i = 0; i < 300 && !stdout.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
  const hostPid = Number(/host-pid (\d+)/.exec(stderr)?.[1]);
  const status = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8');
  const hostUid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  child.kill('SIGTERM');
  const code = await done;

  const [uid, gid, map] = stdout.trim().split('\n');
  expect({ uid, gid, map: map?.trim().split(/\s+/) }).toEqual({ uid: '0', gid: '0', map: ['0', String(HOST_ID), '65536'] });
  expect(hostUid).toBe(String(HOST_ID));
  expect(code).toBe(42); // SIGTERM went runner → nsexec → PID 1, and its exit status came back
});
