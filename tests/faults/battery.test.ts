/**
 * The fault battery (issue 12): the runner SIGKILLed at each stage of a
 * container's start, reached with the test-only pause hook
 * (toolkit/test-pause.ts), and SIGTERM / SIGINT sent to npm and to the
 * runner while the container runs. After each: nothing of the workbook may be
 * left — processes, mounts, cgroups, links, iptables rules, upper
 * directories, state files — once the next run has started, and again after
 * npm run clean.
 *
 * Chapter 5's stages run in a scratch network namespace of their own (links
 * and rules of the real host are shared with everyone). Leftovers are judged
 * by the containers this file started: other people's live containers on
 * the machine are not ours to count.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findLeftovers, type Leftovers } from '../../toolkit/cli/leftovers.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { listStates } from '../../toolkit/runtime/state.ts';
import { Runner, exists, runnerArgs, until } from './support.ts';

/** A network namespace held by a sleep that dies with this file. */
let scratch: ChildProcess | undefined;
const netPrefix = () => ['nsenter', `--net=/proc/${scratch!.pid}/ns/net`, '--'];

beforeAll(async () => {
  const ours = fs.readlinkSync('/proc/self/ns/net');
  scratch = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--', 'sleep', '900'], { stdio: 'ignore' });
  expect(await until(() => {
    try {
      return fs.readlinkSync(`/proc/${scratch!.pid}/ns/net`) !== ours;
    } catch {
      return false;
    }
  })).toBe(true);
  execFileSync(netPrefix()[0]!, [...netPrefix().slice(1), 'ip', 'link', 'set', 'lo', 'up']);
});
afterAll(() => scratch?.kill('SIGKILL'));

/** Runs `node ARGS` (in the scratch namespace if `inScratch`) to its end. */
function node(args: readonly string[], inScratch: boolean): { status: number | null; stdout: string; stderr: string } {
  const [file, ...rest] = inScratch ? [...netPrefix(), process.execPath] : [process.execPath];
  const r = spawnSync(file!, [...rest, ...args], { cwd: PROJECT, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What is left of these containers and runners: findLeftovers(), narrowed to them where the machine is shared. */
function leftOf(ids: readonly string[], pids: readonly number[], inScratch: boolean): string[] {
  let l: Leftovers;
  if (inScratch) {
    const r = node(['--import', 'tsx', path.join(PROJECT, 'tests/faults/report.ts')], inScratch);
    if (r.status !== 0) throw new Error(`leftovers report failed: ${r.stderr}`);
    l = JSON.parse(r.stdout) as Leftovers;
  } else {
    l = findLeftovers();
  }
  const mine = (s: string) => ids.some((id) => s.includes(id)) || pids.some((p) => s.includes(String(p)));
  return [
    ...l.mounts.map((m) => `mount ${m}`),
    ...l.processes.map((p) => `process ${p.pid} ${p.what}`),
    ...l.states.map((s) => `state ${s}`),
    ...l.containerDirs.map((d) => `container dir ${d}`),
    ...l.cgroups.filter(mine).map((c) => `cgroup ${c}`),
    ...l.tempPaths.filter(mine).map((t) => `temp ${t}`),
    // The host's links and rules are everyone's: only the scratch namespace's are all ours.
    ...(inScratch ? l.network.map((n) => `network ${n}`) : []),
  ];
}

/** The next run (any chapter reaps what killed runners left), then npm run clean: nothing may be left after either. */
function expectNothingLeft(ids: string[], pids: number[], inScratch: boolean): void {
  const next = node(runnerArgs(2, ['--', '/bin/true']), inScratch);
  expect(next.status, next.stderr).toBe(0);
  expect(leftOf(ids, pids, inScratch)).toEqual([]);
  const clean = node([path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/clean.ts')], inScratch);
  expect(leftOf(ids, pids, inScratch), clean.stdout + clean.stderr).toEqual([]);
}

const newStates = (before: Set<string>) => listStates().filter((s) => !before.has(s.container.id));

describe('SIGKILL of the runner at each stage', () => {
  const stages: [string, number, string[], boolean][] = [
    ['before-unshare', 2, [], false],
    ['after-spawn', 2, [], false],
    ['after-cgroup', 3, ['--memory', '64m', '--pids', '64'], false],
    ['after-overlay', 4, [], false],
    ['after-veth', 5, [], true],
    ['after-dnat', 5, ['--publish', '18190:80'], true],
  ];
  test.each(stages)('%s (chapter %i): after the next run and after npm run clean, nothing is left', async (stage, chapter, args, inScratch) => {
    const before = new Set(listStates().map((s) => s.container.id));
    const runner = new Runner(runnerArgs(chapter, [...args, '--', '/bin/sh', '-c', 'echo container-ran; sleep 30']), {
      pause: stage,
      ...(inScratch ? { prefix: netPrefix() } : {}),
    });
    const paused = await runner.paused(stage);
    const ids = newStates(before).map((s) => s.container.id);
    expect(ids).toHaveLength(1);
    const runnerPid = listStates().find((s) => s.container.id === ids[0])!.runner;
    process.kill(runnerPid, 'SIGKILL');
    // A child stage paused there dies with its runner (PR_SET_PDEATHSIG).
    expect(await until(() => !exists(runnerPid) && !exists(paused), 10000)).toBe(true);
    await runner.done;
    expect(runner.stdout).not.toContain('container-ran');
    expectNothingLeft(ids, [runnerPid], inScratch);
  });
});

describe('signals to npm and to the runner', () => {
  // SIGINT to npm is sent to its whole process group, as a terminal's Ctrl-C is: npm passes a SIGINT
  // of its own only to its shell, which (POSIX "wait and cooperative exit") waits for its child, so
  // nothing ends — and nothing is orphaned either. SIGKILL of npm leaves the shell waiting: the runner's watch ends it.
  test.each([
    ['npm', 'SIGTERM'],
    ['npm\'s process group', 'SIGINT'],
    ['npm', 'SIGKILL'],
    ['the runner', 'SIGTERM'],
    ['the runner', 'SIGINT'],
  ] as const)('%s gets %s while the container runs: the container ends, nothing is left', async (target, signal) => {
    const before = new Set(listStates().map((s) => s.container.id));
    const npm = spawn('npm', ['run', '-s', 'chapter', '2', '--', '--solution', '--', '/bin/sh', '-c', 'echo started; exec sleep 60'], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    npm.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    npm.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    expect(await until(() => out.includes('started'), 30000)).toBe(true);
    const state = newStates(before).find((s) => s.process !== undefined)!;
    const container = state.process!.pid;
    process.kill(target === 'npm' ? npm.pid! : target === 'the runner' ? state.runner : -npm.pid!, signal);
    // PID 1 ignores SIGTERM without a handler: the runner's stop timeout (5 s) ends it with SIGKILL.
    expect(await until(() => !exists(container) && !exists(state.runner), 15000), out).toBe(true);
    expectNothingLeft([state.container.id], [state.runner], false);
  });
});
