/**
 * Chapter 8 — PID 1 and exec. The checks look at the container's PID
 * namespace from the host: which process is PID 1, what its children are,
 * how many zombies (state Z in /proc/PID/stat) it holds, and what status and
 * signals come back. Containers run with --network none: nothing here needs
 * the bridge, and the host's network stays untouched.
 */
import fs from 'node:fs';
import { describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, described, runChapter } from '../support/container.ts';
import { hostNamespace, settle } from '../support/host.ts';

const NO_NET = ['--network', 'none'];
const init = (...args: string[]) => [...NO_NET, '--init', '--', ...args];
const bare = (...args: string[]) => [...NO_NET, '--', ...args];

/** The children of a host process (/proc/PID/task/*\/children). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function link(pid: number, kind: string): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return null;
  }
}

/** The container's PID 1 as the host sees it: the runner's child in another PID namespace. */
function containerInit(run: Running): number | null {
  const host = hostNamespace('pid');
  return childrenOf(run.process.pid!).find((p) => { const l = link(p, 'pid'); return l !== null && l !== host; }) ?? null;
}

interface Task { pid: number; ppid: number; state: string; comm: string }

function stat(pid: number): Task | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** Every process in PID namespace `ns` (a link such as "pid:[4026532…]"), found from the host. */
function processesIn(ns: string): Task[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    const pid = Number(n);
    if (link(pid, 'pid') !== ns) return [];
    const t = stat(pid);
    return t ? [t] : [];
  });
}

const zombies = (ns: string) => processesIn(ns).filter((t) => t.state === 'Z');

/**
 * Starts a container whose app orphans 50 children (each subshell exits at once, leaving its
 * `sleep 2` to PID 1), then becomes `sleep 20`, which never waits for anything.
 */
async function orphanFifty(args: (...a: string[]) => string[]): Promise<{ run: Running; ns: string | null }> {
  const run = new Running(8, args('/bin/sh', '-c', 'for i in $(seq 50); do (sleep 2 &); done; echo ready; exec sleep 20'));
  const ready = await run.waitFor('ready', 30000);
  const pid = ready ? containerInit(run) : null;
  return { run, ns: pid !== null ? link(pid, 'pid') : null };
}

describe('chapter 8: PID 1 and exec', () => {
  test('with --init, PID 1 is the init and the command runs as its child', async () => {
    const run = new Running(8, init('/bin/sh', '-c', 'echo "pid $$"; echo ready; exec sleep 20'));
    const ready = await run.waitFor('ready', 30000);
    const pid1 = ready ? containerInit(run) : null;
    const kids = pid1 !== null ? childrenOf(pid1).map(stat).filter((t) => t !== null) : [];
    const inside = /pid (\d+)/.exec(run.stdout)?.[1];
    run.kill('SIGKILL');
    const ran = await run.done;
    check(ready && inside !== '1' && kids.some((k) => k.comm === 'sleep'), {
      expected: 'the command is not PID 1 (its $$ is not 1) and, seen from the host, a child of the container\'s PID 1',
      seen: ready ? `$$ inside: ${inside}; PID 1's children: ${kids.map((k) => `${k.pid} ${k.comm}`).join(', ') || 'none'}` : described(ran),
      hint: 'startCommand() must spawn the command as a child of PID 1, not exec it (TODO 8.1)',
    });
  });

  test('50 orphans leave no zombie with --init', async () => {
    const { run, ns } = await orphanFifty(init);
    // Done when the 50 have exited: only the app's `sleep 20` is left of them, and no zombie.
    const tasks = ns !== null ? await settle(() => processesIn(ns), (t) => t.filter((x) => x.comm === 'sleep').length === 1, 8000) : [];
    const left = tasks.filter((t) => t.state === 'Z');
    run.kill('SIGKILL');
    const ran = await run.done;
    check(ns !== null && left.length === 0 && tasks.length > 0, {
      expected: 'no process in state Z in the container\'s PID namespace once the 50 orphans have exited',
      seen: ns === null ? `the container did not start: ${described(ran)}` : `${left.length} zombies (${shown(left.slice(0, 5).map((z) => `${z.pid} ${z.comm}, parent ${z.ppid}`).join('; '))})`,
      hint: 'orphans are re-parented to PID 1, which must wait(2) for them: on SIGCHLD, reapOrphans() collects every exited child but the app (TODO 8.3)',
    });
  });

  test('SIGTERM to the container reaches an app that is not PID 1', async () => {
    const run = new Running(8, init('/bin/sh', '-c', 'echo ready; exec sleep 30'));
    const ready = await run.waitFor('ready', 30000);
    const sent = Date.now();
    run.kill('SIGTERM');
    const ran = await run.done;
    const seconds = (Date.now() - sent) / 1000;
    check(ready && ran.code === 143 && seconds < 4, {
      expected: 'exit 143 (128 + SIGTERM) within 4 s: sleep, as PID 2, dies of the forwarded SIGTERM',
      seen: ready ? `${described(ran)} after ${seconds.toFixed(1)} s` : described(ran),
      hint: ran.code === 137
        ? 'SIGTERM never reached the app, so the runner killed it after 5 s: forwardSignals() must pass each signal on (TODO 8.2)'
        : 'PID 1 must pass SIGTERM to the app (TODO 8.2) and exit with 128 + the signal that killed it (TODO 8.4)',
    });
  });

  test('every signal of the list reaches the app', async () => {
    const names = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH'];
    const traps = names.map((n) => `trap "echo got-${n}" ${n};`).join(' ');
    const run = new Running(8, init('/bin/sh', '-c', `${traps} trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`));
    const ready = await run.waitFor('ready', 30000);
    const pid1 = ready ? containerInit(run) : null;
    const got: string[] = [];
    for (const n of names) {
      if (pid1 === null) break;
      process.kill(pid1, `SIG${n}` as NodeJS.Signals); // straight to PID 1, as `docker kill -s` does
      if (await run.waitFor(`got-${n}`, 5000)) got.push(n);
    }
    if (pid1 !== null) process.kill(pid1, 'SIGTERM');
    const timer = setTimeout(() => run.kill('SIGKILL'), 10000);
    const ran = await run.done;
    clearTimeout(timer);
    const missing = names.filter((n) => !got.includes(n));
    check(ready && missing.length === 0 && ran.code === 42, {
      expected: `the app's traps print got-${names.join(', got-')}, and its TERM trap's exit 42 comes back`,
      seen: ready ? `missing: ${missing.join(', ') || 'none'}; ${described(ran)}` : described(ran),
      hint: 'forwardSignals() needs a handler for each of FORWARDED_SIGNALS that sends it to the app (TODO 8.2)',
    });
  });

  test('exit codes come back: the app\'s code, or 128 + the signal that killed it', async () => {
    const [seven, killed] = await Promise.all([
      runChapter(8, init('/bin/sh', '-c', 'exit 7'), 45000),
      runChapter(8, init('/bin/sh', '-c', 'kill -KILL $$'), 45000),
    ]);
    check(seven.code === 7 && killed.code === 137, {
      expected: '`exit 7` → exit 7; an app killed by SIGKILL → exit 137',
      seen: `${described(seven)}; ${described(killed)}`,
      hint: 'exitStatus(): the code if the app exited, else 128 + os.constants.signals[signal] (TODO 8.4)',
    });
  });
});

describe('given: without --init, the app is PID 1 and nobody reaps', () => {
  test('50 orphans stay zombies when the command is PID 1 and never waits', async () => {
    const { run, ns } = await orphanFifty(bare);
    // The shell reaps those that exit while it still runs its loop (busybox ash waits with waitpid(-1));
    // every one that exits after `exec sleep 20` stays a zombie.
    const seen = ns !== null ? await settle(() => zombies(ns), (z) => z.length >= 50, 6000) : [];
    run.kill('SIGKILL');
    const ran = await run.done;
    check(seen.length >= 10, {
      expected: 'zombies pile up (10 or more of the 50): the orphans\' parent is PID 1, `sleep`, which never calls wait(2)',
      seen: ns === null ? described(ran) : `${seen.length} zombies`,
      hint: 'this is the kernel\'s doing, not your code: it is why --init exists',
    });
  });
});
