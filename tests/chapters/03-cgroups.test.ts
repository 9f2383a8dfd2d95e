/**
 * Chapter 3 — cgroups. The checks read cgroupfs from the host while the
 * container lives: which cgroup its process is in (/proc/PID/cgroup), the
 * limits in that cgroup's files, and the kernel's own counters of what it
 * enforced (OOM kills, refused forks, throttled CPU periods). The accounting
 * line the runner prints is compared with those counters. The v2 (or, on a v2
 * host, v1) code path is also run against a temporary tree laid out like
 * cgroupfs, so both versions are graded on every machine.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { detectCgroups } from '../../toolkit/cgroups/index.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { listStates } from '../../toolkit/runtime/state.ts';
import { check, shown } from '../support/check.ts';
import { cgroupOf, cgroupParents, cpuUsageSeconds, isWorkbookCgroup, kernelAccounting, keyed, parseAccounting, readIn, workbookCgroups, type CgroupController } from '../support/cgroups.ts';
import { Running, TARGET, described, runChapter } from '../support/container.ts';
import { settle } from '../support/host.ts';
import { Observed, diagnose } from '../support/observe.ts';

type Chapter3 = typeof import('../../solutions/03-cgroups/container.ts');
const chapter = (): Promise<Chapter3> => import(process.env.WORKBOOK_CHAPTER_FILE?.startsWith('3:') ? process.env.WORKBOOK_CHAPTER_FILE.slice(2) : path.join(PROJECT, TARGET, '03-cgroups/container.ts'));

const V2 = detectCgroups().version === 2;
const MiB = 1024 ** 2;

const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/mkdir\(/, 'mkdir of the cgroup directory failed (TODO 3.1)'],
  [/workbook-[0-9a-f]+\/[a-z_.]+".*ENOENT/, 'the cgroup directory does not exist when its files are written: create each of allDirs(dirs) first (TODO 3.1)'],
  [/cgroup\.procs/, 'writing the PID to cgroup.procs failed (TODO 3.3)'],
  [/write\(/, 'a limit was refused by the kernel: check the file names and units (TODO 3.2)'],
  [/rmdir|cleanup failed/, 'removing the cgroup failed (TODO 3.5)'],
  [/read\(/, 'reading the accounting failed: check the file names for this cgroup version (TODO 3.4)'],
];

// Bounded on purpose, so a limit that does not hold cannot hurt the machine: dd holds one
// 48 MiB buffer; the bomb makes at most 63 processes, in a subshell that may give up while
// PID 1 lives on.
const HOG = 'dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null; echo "hog $?"';
const BOMB = '(f(){ [ $1 -gt 0 ] && { f $(($1-1)) & f $(($1-1)) & }; sleep 1; }; f 5) 2>/dev/null; wait; echo "bomb ended"';

let box: Observed;
/** The workbook cgroups the box's process was in, while it lived. */
let boxCgroups: string[] = [];
/** The container's id, from the runner's state file, and so the cgroup the chapter names after it. */
let id: string | undefined;
/** The kernel's counters, read just before the box ends (test "the accounting …"). */
let counted: ReturnType<typeof kernelAccounting> | null = null;
/** Every container this suite ran, so afterAll can remove a cgroup a broken cleanupHost() left. */
const made = new Set<string>();
const remember = (runner: number | undefined) => {
  const found = listStates().find((st) => st.runner === runner)?.container.id;
  if (found) made.add(found);
  return found;
};

beforeAll(async () => {
  box = await Observed.start(3, ['--memory', '32m', '--pids', '16', '--cpus', '0.5', '--stats'], `${HOG}; ${BOMB}`);
  id = remember(box.run.process.pid);
  boxCgroups = box.pid === null ? [] : [...new Set(Object.values(cgroupOf(box.pid) ?? {}))].filter(isWorkbookCgroup);
});
afterAll(async () => {
  await box?.stop(); // undefined when the beforeAll itself failed
  // A failed check must not leave a cgroup behind.
  for (const dir of workbookCgroups().filter((d) => made.has(path.basename(d).slice('workbook-'.length)))) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // still busy: npm run clean, run by the selftest's leak check, reports it
    }
  }
});

async function started(expected: string): Promise<number> {
  if (box.pid !== null) return box.pid;
  check(false, { expected, seen: await box.failure(), hint: diagnose(await box.stderr(), WHY) });
  throw new Error('unreachable');
}

/** The container's cgroup directories, or a failed check saying which step is missing. */
async function containerCgroup(expected: string): Promise<Record<CgroupController, string>> {
  const pid = await started(expected);
  const cg = cgroupOf(pid);
  const controllers = V2 ? (['memory'] as const) : (['memory', 'cpu', 'pids'] as const);
  const outside = controllers.filter((c) => !cg || !isWorkbookCgroup(cg[c]));
  if (cg && outside.length === 0) return cg;
  const made = cgroupParents().map((p) => path.join(p, `workbook-${id}`)).filter((d) => fs.existsSync(d));
  const procs = made.map((d) => readIn(d, 'cgroup.procs') ?? '').join(' ').trim().split(/\s+/).filter(Boolean).map(Number);
  const runner = box.run.process.pid!;
  check(false, {
    expected,
    seen: `the container's process (host PID ${pid}) is in ${outside.map((c) => `${c}: ${cg?.[c]}`).join(', ')}; cgroups made for it: ${made.join(' ') || '(none)'}${made.length ? `, cgroup.procs: ${procs.join(' ') || '(empty)'}` : ''}`,
    hint: made.length === 0
      ? 'no cgroup directory was made for the container: mkdir each of allDirs(dirs) (TODO 3.1)'
      : procs.includes(runner)
        ? `the container's process is not in the cgroup you created: cgroup.procs holds ${runner}, the runner's PID — write the container's \`pid\`, not process.pid (TODO 3.3)`
        : `the cgroup exists but the container's process is not in it: write \`pid\` to cgroup.procs in each directory (TODO 3.3)`,
  });
  throw new Error('unreachable');
}

describe('chapter 3: cgroups', () => {
  test("the container's process is in a cgroup of its own, below the runner's", async () => {
    await containerCgroup('the container\'s process in workbook-<id> cgroup(s) below the runner\'s own');
  });

  test('the limits are in its cgroup: memory, CPU and pids', async () => {
    const cg = await containerCgroup('the container in its cgroup, with the limits');
    const seen: Record<string, string | null> = V2
      ? { 'memory.max': readIn(cg.memory, 'memory.max'), 'cpu.max': readIn(cg.cpu, 'cpu.max'), 'pids.max': readIn(cg.pids, 'pids.max') }
      : { 'memory.limit_in_bytes': readIn(cg.memory, 'memory.limit_in_bytes'), 'cpu.cfs_quota_us': readIn(cg.cpu, 'cpu.cfs_quota_us'), 'cpu.cfs_period_us': readIn(cg.cpu, 'cpu.cfs_period_us'), 'pids.max': readIn(cg.pids, 'pids.max') };
    const expected: Record<string, string> = V2
      ? { 'memory.max': String(32 * MiB), 'cpu.max': '50000 100000', 'pids.max': '16' }
      : { 'memory.limit_in_bytes': String(32 * MiB), 'cpu.cfs_quota_us': '50000', 'cpu.cfs_period_us': '100000', 'pids.max': '16' };
    const wrong = Object.keys(expected).filter((k) => seen[k] !== expected[k]);
    check(wrong.length === 0, {
      expected: `with --memory 32m --cpus 0.5 --pids 16: ${Object.entries(expected).map(([k, v]) => `${k} = ${v}`).join(', ')}`,
      seen: wrong.map((k) => `${k} = ${seen[k] ?? '(missing)'}`).join(', '),
      hint: `write each limit that is set, in this cgroup version's own files and units (TODO 3.2)`,
    });
  });

  test('the container sees its own cgroup as "/": a cgroup namespace rooted at its cgroup', async () => {
    await containerCgroup('the container in its cgroup, in a cgroup namespace of its own');
    const pid = box.pid!;
    const host = fs.readlinkSync('/proc/self/ns/cgroup');
    let inside = '(unreadable)';
    let view = '';
    try {
      inside = fs.readlinkSync(`/proc/${pid}/ns/cgroup`);
      // nsenter joins only that cgroup namespace: the path the kernel then shows is relative to its root.
      view = execFileSync('nsenter', [`--cgroup=/proc/${pid}/ns/cgroup`, 'cat', `/proc/${pid}/cgroup`], { encoding: 'utf8' });
    } catch {
      // gone: seen as not isolated
    }
    const line = view.split('\n').find((l) => (V2 ? l.startsWith('0::') : /:memory:/.test(l))) ?? '(none)';
    check(inside !== host && line.endsWith(':/'), {
      expected: `a cgroup namespace other than the host's (${host}), whose root is the container's cgroup: its /proc/PID/cgroup reads "${V2 ? '0::/' : 'N:memory:/'}" from inside`,
      seen: `cgroup namespace ${inside}; from inside it: ${shown(line)}`,
      hint: inside === host
        ? 'the container shares the host\'s cgroup namespace: unshare(CLONE_NEWCGROUP) in the container, first thing (TODO 3.6)'
        : 'the cgroup namespace\'s root is not the container\'s cgroup: it must be made after the runner moved the process in — inside, not with chapter 2\'s namespaces (TODO 3.6)',
    });
  });

  test('a memory hog meets the OOM killer at --memory', async () => {
    const cg = await containerCgroup('the memory hog runs in the container\'s cgroup');
    const acc = kernelAccounting(cg);
    const hog = /hog (\d+)/.exec(box.run.stdout)?.[1];
    check(hog === '137' && (acc.oomKills ?? 0) >= 1 && acc.peakBytes !== null && acc.peakBytes <= 32.5 * MiB, {
      expected: 'dd with a 48 MiB buffer is SIGKILLed ("hog 137"); the cgroup counts an OOM kill, and its memory peak stays ≤ 32 MiB',
      seen: `hog ${hog ?? '(no verdict)'}; the kernel counted ${acc.oomKills} OOM kill(s), peak ${acc.peakBytes === null ? '?' : (acc.peakBytes / MiB).toFixed(1)} MiB`,
      hint: V2 ? 'memory.max (and memory.swap.max 0), before "go" (TODO 3.2)' : 'memory.limit_in_bytes (then memory.memsw.limit_in_bytes), before "go" (TODO 3.2)',
    });
  });

  test('a fork bomb stops at --pids, and the container lives on', async () => {
    const cg = await containerCgroup('the fork bomb runs in the container\'s cgroup');
    const refused = keyed(cg.pids, 'pids.events', 'max');
    check(box.run.stdout.includes('bomb ended') && (refused ?? 0) > 0, {
      expected: 'the bomb ends ("bomb ended"), and pids.events counts refused forks (max > 0)',
      seen: `stdout: ${shown(box.run.stdout, 120)}; pids.events max ${refused ?? '(missing)'}`,
      hint: 'pids.max caps the tasks in the cgroup; fork() fails with EAGAIN beyond it (TODO 3.2)',
    });
  });

  test('a busy loop under --cpus 0.5 gets at most about half a CPU', async () => {
    // Measured from the host, in the cgroup's own CPU accounting, over the loop alone: the
    // container's start-up (Node, until it execs) is charged to the cgroup too, and must not count.
    // The trap and `sleep & wait`: PID 1 ends at SIGTERM at once (without a handler it ignores it: 5 s to SIGKILL).
    const run = new Running(3, ['--cpus', '0.5', '--', '/bin/sh', '-c', 'trap "exit 0" TERM; echo start; timeout 3 sh -c "while :; do :; done"; echo end; sleep 30 & wait']);
    const begun = await run.waitFor('start');
    remember(run.process.pid);
    const pid = listStates().find((s) => s.runner === run.process.pid)?.pid;
    const cg = pid === undefined ? null : cgroupOf(pid);
    const inside = cg !== null && isWorkbookCgroup(cg.cpu);
    const dirs = cg ? [cg.cpu, cg.cpuacct] : [];
    const cpu0 = cpuUsageSeconds(dirs);
    const t0 = performance.now();
    const ended = begun && (await run.waitFor('end'));
    const cpu1 = cpuUsageSeconds(dirs);
    const wall = (performance.now() - t0) / 1000;
    const throttled = cg ? keyed(cg.cpu, 'cpu.stat', 'nr_throttled') : null;
    run.kill('SIGTERM');
    const ran = await run.done;
    const ratio = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / wall : NaN;
    // The quota is a ceiling the kernel enforces every 100 ms period; a busy machine may give
    // the loop less than its share, so there is no floor beyond "it ran".
    check(ended && inside && ratio >= 0.05 && ratio <= 0.6, {
      expected: 'at most 0.6 CPU over the 3 s loop (--cpus 0.5), by the cgroup\'s CPU accounting',
      seen: !ended ? `the loop never ran to its end: ${described(ran)}` : !inside ? `the loop is not in a workbook cgroup: ${cg?.cpu ?? '(gone)'}` : `${ratio.toFixed(2)} CPU (${(cpu1! - cpu0!).toFixed(2)} s in ${wall.toFixed(2)} s), ${throttled ?? '?'} periods throttled`,
      hint: !ended ? diagnose(ran.stderr, WHY) : !inside ? 'the container is not in its cgroup (TODO 3.3)' : V2 ? 'cpu.max "50000 100000": QUOTA then PERIOD, in µs (TODO 3.2)' : 'cpu.cfs_period_us 100000, then cpu.cfs_quota_us 50000, in µs (TODO 3.2)',
    });
  });

  test('the accounting the runner prints is what the kernel counted', async () => {
    const cg = await containerCgroup('the container in its cgroup');
    counted = kernelAccounting(cg);
    const ran = await box.stop();
    const acc = parseAccounting(ran.stderr);
    const peak = counted.peakBytes === null ? NaN : counted.peakBytes / MiB;
    check(acc !== null && Math.abs(acc.peakMiB - peak) <= 1 && acc.oomKills === counted.oomKills && acc.forksRefused === counted.forksRefused, {
      expected: `with --stats, "memory peak ${peak.toFixed(1)} MiB … OOM kills ${counted.oomKills}, forks refused ${counted.forksRefused}" — the kernel's counters, read by the grader`,
      seen: acc ? `the runner printed peak ${acc.peakMiB} MiB, OOM kills ${acc.oomKills}, forks refused ${acc.forksRefused}` : `no accounting line: ${described(ran)}`,
      hint: V2 ? 'readAccounting(): memory.peak, oom_kill in memory.events, max in pids.events (TODO 3.4)' : 'readAccounting(): memory.max_usage_in_bytes, oom_kill in memory.oom_control, max in pids.events (TODO 3.4)',
    });
  });

  test('the cgroup is gone once the container has ended', async () => {
    await started('the container ran');
    await box.stop();
    const left = await settle(() => boxCgroups.filter((d) => fs.existsSync(d)), (l) => l.length === 0, 3000);
    check(boxCgroups.length > 0 && left.length === 0, {
      expected: 'the cgroup the container ran in is gone after it ended',
      seen: `while it ran: ${boxCgroups.join(' ') || '(no workbook cgroup)'}; left: ${left.join(' ') || '(none)'}`,
      hint: 'cleanupHost() must remove each of allDirs(dirs) (TODO 3.5)',
    });
  });

  test('the cgroup is gone after SIGINT of the runner', async () => {
    const o = await Observed.start(3, ['--pids', '50'], 'trap "exit 3" INT');
    remember(o.run.process.pid);
    const during = o.pid === null ? null : cgroupOf(o.pid);
    const dirs = during ? [...new Set(Object.values(during))].filter(isWorkbookCgroup) : [];
    o.run.kill('SIGINT');
    const ran = await o.stop();
    const left = await settle(() => dirs.filter((d) => fs.existsSync(d)), (l) => l.length === 0, 3000);
    check(o.pid !== null && dirs.length > 0 && left.length === 0, {
      expected: 'a cgroup of its own while it runs; none once the runner has stopped at SIGINT',
      seen: o.pid === null ? `never ran: ${described(ran)}` : `during: ${dirs.join(' ') || '(not in a workbook cgroup)'}; left: ${left.join(' ') || '(none)'}`,
      hint: o.pid === null ? diagnose(ran.stderr, WHY) : dirs.length === 0 ? 'the container is not in its cgroup (TODO 3.3)' : 'the runner calls cleanupHost() after every ending; removeCgroup() must remove what prepareHost() made (TODO 3.5)',
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
        let stage = '3.1';
        try {
          ch.createCgroup(dirs);
          stage = '3.2';
          ch.writeLimits(dirs, { memoryBytes: 32 * MiB, cpus: 0.5, pids: 20 });
          stage = '3.3';
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
        const wrong = Object.keys(expected).filter((k) => seen[k] !== expected[k]);
        const blamed = error ? stage : wrong.some((k) => !k.includes('cgroup.procs')) ? '3.2' : '3.3';
        check(error === '' && wrong.length === 0, {
          expected: Object.entries(expected).map(([k, v]) => `${k} = ${v}`).join(', '),
          seen: error ? `an error: ${error}` : wrong.map((k) => `${k} = ${shown(seen[k]!)}`).join(', '),
          hint: `${version === 2 ? 'v2 has one directory and one set of files: memory.max, cpu.max "QUOTA PERIOD", pids.max' : 'v1 has a directory per controller, each with its own files'} (TODO ${blamed})`,
        });
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

describe('given: the runner (toolkit code, not graded)', () => {
  test('bad limits are refused with one line, before anything is created', async () => {
    const bad = [['--memory', '12X'], ['--cpus', '-1'], ['--pids', '0']];
    const runs = await Promise.all(bad.map((args) => runChapter(3, [...args, 'true'])));
    const wrong = runs.filter((r) => r.code !== 2 || r.stderr.trim().split('\n').length !== 1 || !/Expected --/.test(r.stderr));
    check(wrong.length === 0, {
      expected: '--memory 12X, --cpus -1, --pids 0: each exit 2 with one line "Expected --…"',
      seen: wrong.map(described).join('; '),
      hint: 'the runner validates options up front; this check fails only if that is broken',
    });
  });
});

