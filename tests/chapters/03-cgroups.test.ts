/**
 * Chapter 3 — cgroups. The checks prove enforcement, not file contents: a
 * memory hog meets the OOM killer, a fork bomb meets pids.max, a busy loop
 * gets half a CPU — and afterwards the cgroup is gone. The v2 (or, on a v2
 * host, v1) code path is also run against a temporary tree laid out like
 * cgroupfs, so both versions are graded on every machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { cpuUsageSeconds, parseAccounting, workbookCgroups } from '../support/cgroups.ts';
import { Running, TARGET, TIME_SCALE, described, runChapter } from '../support/container.ts';
import { PROJECT } from '../../toolkit/paths.ts';

type Chapter3 = typeof import('../../solutions/03-cgroups/container.ts');
const chapter = (): Promise<Chapter3> => import(path.join(PROJECT, TARGET, '03-cgroups/container.ts'));

afterEach(() => {
  // A failed check must not leave a cgroup for the next one to trip over.
  for (const dir of workbookCgroups()) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // still busy: npm run clean, run by the selftest's leak check, reports it
    }
  }
});

describe('chapter 3: cgroups', () => {
  test('a memory hog is OOM-killed at --memory, and the runner says so', async () => {
    const ran = await runChapter(3, ['--memory', '32m', '--', 'tail', '/dev/zero']);
    const acc = parseAccounting(ran.stderr);
    check(ran.code === 137 && acc !== null && acc.oomKills >= 1 && acc.peakMiB <= 32.5, {
      expected: 'exit 137 (SIGKILL from the OOM killer), an accounting line with OOM kills ≥ 1 and a peak ≤ 32 MiB',
      seen: `${described(ran)}${acc ? `; accounting ${JSON.stringify(acc)}` : ''}`,
      hint: 'write memory.max (v2) or memory.limit_in_bytes (v1), and move the process in before "go" (3.2, 3.3)',
    });
  });

  test('a fork bomb stops at --pids, and the container still ends cleanly', async () => {
    // Bounded (at most 511 processes), so a limit that does not hold cannot hurt the machine. It runs
    // in a subshell: a shell whose fork() fails gives up, and PID 1 must live on to say "ended".
    const bomb = '(f(){ [ $1 -gt 0 ] && { f $(($1-1)) & f $(($1-1)) & }; sleep 2; }; f 8) 2>/dev/null; echo ended';
    const started = Date.now();
    const ran = await runChapter(3, ['--pids', '16', '--stats', '--', '/bin/sh', '-c', bomb], 30000);
    const acc = parseAccounting(ran.stderr);
    check(ran.code === 0 && ran.stdout.includes('ended') && acc !== null && acc.forksRefused > 0 && Date.now() - started < 20000 * TIME_SCALE, {
      expected: `exit 0 within ${20 * TIME_SCALE} s, "ended", and forks refused > 0 in the accounting line`,
      seen: `${described(ran)} after ${((Date.now() - started) / 1000).toFixed(1)} s${acc ? `; accounting ${JSON.stringify(acc)}` : ''}`,
      hint: 'pids.max caps the number of tasks in the cgroup; fork() fails with EAGAIN beyond it',
    });
  });

  test('a busy loop under --cpus 0.5 gets about half a CPU', async () => {
    // Measured from the host, in the cgroup's own CPU accounting, over the loop alone: the
    // container's start-up (Node, until it execs) is charged to the cgroup too, and must not count.
    const run = new Running(3, ['--cpus', '0.5', '--', '/bin/sh', '-c', 'echo start; timeout 3 sh -c "while :; do :; done"; echo end; sleep 30']);
    const started = await run.waitFor('start');
    const dirs = workbookCgroups();
    const cpu0 = cpuUsageSeconds(dirs);
    const t0 = performance.now();
    const ended = started && (await run.waitFor('end'));
    const cpu1 = cpuUsageSeconds(dirs);
    const wall = (performance.now() - t0) / 1000;
    run.kill('SIGTERM');
    const ran = await run.done;
    const ratio = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / wall : NaN;
    // The quota is a ceiling the kernel enforces every 100 ms period; the floor is loose on
    // purpose: a busy 2-core machine may give the loop less than its share.
    check(ended && ratio >= 0.25 && ratio <= 0.6, {
      expected: 'between 0.25 and 0.6 CPU over the 3 s loop (0.5 CPU), by the cgroup\'s CPU accounting',
      seen: !ended ? `the loop never ran to its end: ${described(ran)}` : `${ratio.toFixed(2)} CPU (${cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0).toFixed(2) : '?'} s in ${wall.toFixed(2)} s), cgroup: ${dirs.join(' ') || '(none)'}`,
      hint: 'cpu.max "50000 100000" (v2) or cpu.cfs_quota_us 50000 with cpu.cfs_period_us 100000 (v1)',
    });
  });

  test("the container's cgroup sits below the runner's own, and is gone afterwards — also after SIGKILL of the container", async () => {
    const run = new Running(3, ['--memory', '64m', '--', '/bin/sh', '-c', 'echo ready; sleep 30']);
    const ready = await run.waitFor('ready');
    const during = workbookCgroups();
    const procs = during.flatMap((dir) => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean));
    for (const pid of new Set(procs)) process.kill(Number(pid), 'SIGKILL');
    const ran = await run.done;
    const after = workbookCgroups();
    check(ready && during.length > 0 && procs.length > 0 && ran.code === 137 && after.length === 0, {
      expected: 'while running: workbook-<id> cgroup(s) below the runner\'s own, holding the container; after SIGKILL of the container: exit 137 and no cgroup left',
      seen: ready ? `during: ${during.join(' ') || '(none)'}; ${described(ran)}; after: ${after.join(' ') || '(none)'}` : `never ready: ${described(ran)}`,
      hint: 'cleanupHost() must remove the cgroup whatever way the container ended (3.5)',
    });
  });

  test('the cgroup is gone after SIGINT of the runner', async () => {
    const run = new Running(3, ['--pids', '50', '--', '/bin/sh', '-c', 'trap "exit 3" INT; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready');
    const during = workbookCgroups();
    run.kill('SIGINT');
    const ran = await run.done;
    const after = workbookCgroups();
    check(ready && during.length > 0 && ran.code === 3 && after.length === 0, {
      expected: 'a cgroup while running; SIGINT reaches PID 1 (exit 3); no cgroup left',
      seen: ready ? `during: ${during.length} cgroup(s); ${described(ran)}; after: ${after.join(' ') || '(none)'}` : `never ready: ${described(ran)}`,
      hint: 'the runner calls cleanupHost() after every ending; it must remove what prepareHost() made',
    });
  });

  test('bad limits are refused with one line, before anything is created', async () => {
    const bad = [['--memory', '12X'], ['--cpus', '-1'], ['--pids', '0']];
    const runs = await Promise.all(bad.map((args) => runChapter(3, [...args, 'true'])));
    const wrong = runs.filter((r) => r.code !== 2 || r.stderr.trim().split('\n').length !== 1 || !/Expected --/.test(r.stderr));
    check(wrong.length === 0 && workbookCgroups().length === 0, {
      expected: '--memory 12X, --cpus -1, --pids 0: each exit 2 with one line "Expected --…", and no cgroup',
      seen: wrong.map(described).join('; ') || `cgroups: ${workbookCgroups().join(' ')}`,
      hint: 'the runner validates options up front; this check fails only if that is broken',
    });
  });

  for (const version of [2, 1] as const) {
    test(`cgroup v${version}: the limits land in v${version}'s files (a temporary tree laid out like cgroupfs)`, async () => {
      const ch = await chapter();
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-cgroupfs-${process.pid}-`));
      try {
        const dirs = version === 2
          ? ch.cgroupDirs({ version: 2, parent: root }, 'abc')
          : ch.cgroupDirs({ version: 1, parents: { memory: `${root}/memory`, cpu: `${root}/cpu`, cpuacct: `${root}/cpuacct`, pids: `${root}/pids` } }, 'abc');
        for (const c of ['memory', 'cpu', 'cpuacct', 'pids']) fs.mkdirSync(`${root}/${c}`, { recursive: true });
        let error = '';
        try {
          ch.createCgroup(dirs);
          ch.writeLimits(dirs, { memoryBytes: 32 * 1024 ** 2, cpus: 0.5, pids: 20 });
          ch.addProcess(dirs, 4242);
        } catch (e) {
          error = (e as Error).message;
        }
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '(missing)');
        const files: Record<string, string> = version === 2
          ? { 'memory.max': `${root}/workbook-abc/memory.max`, 'cpu.max': `${root}/workbook-abc/cpu.max`, 'pids.max': `${root}/workbook-abc/pids.max`, 'cgroup.procs': `${root}/workbook-abc/cgroup.procs` }
          : { 'memory.limit_in_bytes': `${root}/memory/workbook-abc/memory.limit_in_bytes`, 'cpu.cfs_quota_us': `${root}/cpu/workbook-abc/cpu.cfs_quota_us`, 'cpu.cfs_period_us': `${root}/cpu/workbook-abc/cpu.cfs_period_us`, 'pids.max': `${root}/pids/workbook-abc/pids.max`, 'memory cgroup.procs': `${root}/memory/workbook-abc/cgroup.procs` };
        const expected: Record<string, string> = version === 2
          ? { 'memory.max': '33554432', 'cpu.max': '50000 100000', 'pids.max': '20', 'cgroup.procs': '4242' }
          : { 'memory.limit_in_bytes': '33554432', 'cpu.cfs_quota_us': '50000', 'cpu.cfs_period_us': '100000', 'pids.max': '20', 'memory cgroup.procs': '4242' };
        const seen = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, read(f)]));
        check(error === '' && JSON.stringify(seen) === JSON.stringify(expected), {
          expected: Object.entries(expected).map(([k, v]) => `${k} = ${v}`).join(', '),
          seen: error ? `an error: ${error}` : Object.entries(seen).map(([k, v]) => `${k} = ${shown(v)}`).join(', '),
          hint: version === 2 ? 'v2 has one directory and one set of files: memory.max, cpu.max "QUOTA PERIOD", pids.max' : 'v1 has a directory per controller, each with its own files',
        });
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
