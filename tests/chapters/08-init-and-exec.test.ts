/**
 * Chapter 8 — PID 1 and exec. The checks look at the container's PID
 * namespace from the host: which process is PID 1, what its children are,
 * how many zombies (state Z in /proc/PID/stat) it holds, and what status and
 * signals come back. Containers run with --network none: nothing here needs
 * the bridge, and the host's network stays untouched.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, TIME_SCALE, described, runChapter, type Ran } from '../support/container.ts';
import { hostNamespace, settle, untilHandled } from '../support/host.ts';
import { PROJECT, RUN_DIR } from '../../toolkit/paths.ts';

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

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function link(pid: number, kind: string): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return null;
  }
}

/** The first descendant of `pid` (children before grandchildren) that `found` accepts. */
function descendant(pid: number, found: (p: number) => boolean, depth = 3): number | null {
  let level = [pid];
  for (let d = 0; d < depth && level.length > 0; d++) {
    level = level.flatMap(childrenOf);
    const hit = level.find(found);
    if (hit !== undefined) return hit;
  }
  return null;
}

/** The container's PID 1 as the host sees it: the runner's descendant (through nsexec) in another PID namespace. */
function containerInit(run: Running): number | null {
  const host = hostNamespace('pid');
  return descendant(run.process.pid!, (p) => { const l = link(p, 'pid'); return l !== null && l !== host; });
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
 * `sleep 4` to PID 1), then becomes `sleep 20`, which never waits for anything. 4 s: the orphans
 * must outlive the loop, or the shell — PID 1 itself without --init — reaps them while it loops.
 */
async function orphanFifty(args: (...a: string[]) => string[]): Promise<{ run: Running; ns: string | null }> {
  const run = new Running(8, args('/bin/sh', '-c', 'for i in $(seq 50); do (sleep 4 &); done; echo ready; exec sleep 20'));
  const ready = await run.waitFor('ready', 30000);
  const pid = ready ? containerInit(run) : null;
  return { run, ns: pid !== null ? link(pid, 'pid') : null };
}

describe('chapter 8: PID 1 and exec', () => {
  test('with --init, PID 1 is the init and the command runs as its child', async () => {
    const run = new Running(8, init('/bin/sh', '-c', 'echo "pid $$"; echo ready; exec sleep 20'));
    const ready = await run.waitFor('ready', 30000);
    const pid1 = ready ? containerInit(run) : null;
    // `echo ready` comes just before the shell's exec of sleep: give the exec a moment.
    const kids = pid1 !== null ? await settle(() => childrenOf(pid1).map(stat).filter((t) => t !== null), (k) => k.some((t) => t.comm === 'sleep'), 3000) : [];
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
    const tasks = ns !== null ? await settle(() => processesIn(ns), (t) => t.filter((x) => x.comm === 'sleep').length === 1, 10000) : [];
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
    // The app can print "ready" before PID 1 has run on past spawn() to its handlers: wait for the
    // kernel to show PID 1's SIGTERM handler (SigCgt), or the runner's SIGTERM could be dropped.
    const handled = ready && (await untilHandled(containerInit(run), ['SIGTERM']));
    const sent = Date.now();
    run.kill('SIGTERM');
    const ran = await run.done;
    const seconds = (Date.now() - sent) / 1000;
    check(ready && ran.code === 143 && seconds < 4, {
      expected: 'exit 143 (128 + SIGTERM) within 4 s: sleep, as PID 2, dies of the forwarded SIGTERM',
      seen: ready ? `${described(ran)} after ${seconds.toFixed(1)} s; PID 1 ${handled ? 'had' : 'never had'} a SIGTERM handler (SigCgt)` : described(ran),
      hint: ran.code === 137 || seconds >= 4
        ? 'SIGTERM never reached the app, so the runner killed it after 5 s: forwardSignals() must pass each signal on (TODO 8.2)'
        : `the app died of SIGTERM at once, but PID 1 exited ${ran.code}: exitStatus() must give 128 + the signal's number (TODO 8.4)`,
    });
  });

  test('every signal of the list reaches the app', async () => {
    const names = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH'];
    const traps = names.map((n) => `trap "echo got-${n}" ${n};`).join(' ');
    const run = new Running(8, init('/bin/sh', '-c', `${traps} trap "exit 42" TERM; echo "pid $$"; echo ready; while :; do sleep 0.05; done`));
    const ready = await run.waitFor('ready', 30000);
    const pid1 = ready ? containerInit(run) : null;
    const pid1Stat = pid1 !== null ? stat(pid1) : null;
    // On a loaded machine the app can print "ready" before PID 1 has run past spawn() to its handlers:
    // wait until the kernel shows them (SigCgt of /proc/PID/status). An init that forwards only some never gets there.
    await untilHandled(pid1, names.map((n) => `SIG${n}` as NodeJS.Signals));
    const got: string[] = [];
    for (const n of names) {
      if (pid1 === null) break;
      process.kill(pid1, `SIG${n}` as NodeJS.Signals); // straight to PID 1, as `docker kill -s` does
      // Once one is missing, the rest get a short wait: the suite's time limit holds six misses too.
      if (await run.waitFor(`got-${n}`, got.length === names.indexOf(n) ? 5000 : 1000)) got.push(n);
    }
    if (pid1 !== null) process.kill(pid1, 'SIGTERM');
    const timer = setTimeout(() => run.kill('SIGKILL'), 10000 * TIME_SCALE);
    const ran = await run.done;
    clearTimeout(timer);
    const missing = names.filter((n) => !got.includes(n));
    // Seen from the host: PID 1 is not the trapping shell (a shell as PID 1 has handlers, so it would get them all).
    const pid1Comm = pid1 !== null ? pid1Stat?.comm : undefined;
    check(ready && pid1Comm !== undefined && pid1Comm !== 'sh' && missing.length === 0 && ran.code === 42, {
      expected: `the app — a shell, not PID 1 — has its traps print got-${names.join(', got-')} for signals sent to PID 1, and its TERM trap's exit 42 comes back`,
      seen: ready ? `PID 1 is ${pid1Comm}; missing: ${missing.join(', ') || 'none'}; ${described(ran)}` : described(ran),
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
    const seen = ns !== null ? await settle(() => zombies(ns), (z) => z.length >= 50, 8000) : [];
    run.kill('SIGKILL');
    const ran = await run.done;
    check(seen.length >= 10, {
      expected: 'zombies pile up (10 or more of the 50): the orphans\' parent is PID 1, `sleep`, which never calls wait(2)',
      seen: ns === null ? described(ran) : `${seen.length} zombies`,
      hint: 'this is the kernel\'s doing, not your code: it is why --init exists',
    });
  });
});

/** A toolkit command (ps, stop, logs, rm, exec) as a learner runs it: `npm run NAME -- args`. */
function tool(name: string, args: readonly string[], timeoutMs = 60000, stdin: 'ignore' | 'pipe' = 'ignore'): Running & { done: Promise<Ran> } {
  const run = Object.create(Running.prototype) as Running;
  const child = spawn(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, `toolkit/cli/${name}.ts`), ...args], { cwd: PROJECT, stdio: [stdin, 'pipe', 'pipe'] });
  Object.assign(run, { process: child, stdout: '', stderr: '' });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (run.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (run.stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  Object.assign(run, {
    done: new Promise<Ran>((resolve) => child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: run.stdout, stderr: run.stderr });
    })),
  });
  return run as Running & { done: Promise<Ran> };
}

/** The process `exec` started in the container: the exec command's grandchild (exec → nsenter → it). */
function execedProcess(execRun: Running): number | null {
  for (const stage of childrenOf(execRun.process.pid!)) {
    const [inside] = childrenOf(stage);
    if (inside !== undefined) return inside;
  }
  return null;
}

const oneLine = (ran: Ran) => stripVTControlCharacters(ran.stderr).trim().split('\n').length === 1;
const KINDS = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user'];

describe('chapter 8: detached containers and exec', () => {
  const name = `grader8-${process.pid}`;
  let started: Ran;
  let id = '';
  let pid1: number | null = null;

  beforeAll(async () => {
    started = await runChapter(8, ['-d', '--name', name, '--init', '--network', 'none', '--', '/bin/sh', '-c', 'echo hello-from-the-log; exec sleep 120'], 60000);
    id = started.stdout.trim();
    const state = (() => {
      try {
        return JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'containers', `${id}.json`), 'utf8')) as { pid?: number };
      } catch {
        return {};
      }
    })();
    pid1 = state.pid ?? null;
  });

  afterAll(async () => {
    // Whatever a failed check left: stop and forget the container.
    await tool('rm', ['-f', name]).done;
  });

  const running = () => started.code === 0 && /^[0-9a-f]{12}$/.test(id) && pid1 !== null;

  test('exec joins every namespace of the container', async () => {
    const run = tool('exec', [name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 30']);
    const ready = running() && (await run.waitFor('ready', 30000));
    const inside = ready ? execedProcess(run) : null;
    const differ = inside !== null ? KINDS.filter((k) => link(inside, k) !== link(pid1!, k)) : KINDS;
    const cgroups = inside !== null ? [inside, pid1!].map((p) => { try { return fs.readFileSync(`/proc/${p}/cgroup`, 'utf8'); } catch { return '(gone)'; } }) : ['', ''];
    const cgroupSame = inside !== null && cgroups[0] === cgroups[1];
    run.kill('SIGTERM');
    const ran = await run.done;
    check(ready && inside !== null && differ.length === 0, {
      expected: `the exec'd process's /proc/PID/ns/{${KINDS.join(',')}} equal those of the container's PID 1`,
      seen: !running() ? `the container did not start: ${described(started)}` : inside === null ? `no process in the container: ${described(ran)}` : `different: ${differ.map((k) => `${k} ${link(inside, k)} vs ${link(pid1!, k)}`).join('; ')}`,
      hint: 'namespacesToJoin() must list /proc/PID/ns/KIND of every kind the container has of its own, user first, mnt last (TODO 8.5)',
    });
    check(cgroupSame, {
      expected: "the exec'd process's /proc/PID/cgroup equal to the container's PID 1's",
      seen: inside === null ? 'no exec\'d process to look at' : `exec'd: ${shown(cgroups[0]!.split('\n').filter((l) => /memory|pids|^0::/.test(l)).join(' '))}; container: ${shown(cgroups[1]!.split('\n').filter((l) => /memory|pids|^0::/.test(l)).join(' '))}`,
      hint: 'joinCgroup() must write the exec stage\'s PID into the container\'s cgroup.procs (TODO 8.6)',
    });
  });

  test("the exec'd process shows up in the container's ps, with a PID of its own", async () => {
    const ran = running() ? await tool('exec', [name, '--', '/bin/sh', '-c', 'echo "me $$"; ps -o pid,comm']).done : started;
    const me = /me (\d+)/.exec(ran.stdout)?.[1];
    const rows = ran.stdout.split('\n').map((l) => l.trim().split(/\s+/));
    const pids = new Set(rows.map((r) => r[0]));
    const few = rows.filter((r) => /^\d+$/.test(r[0] ?? '')).length < 30; // the container's handful, not the host's hundreds
    check(ran.code === 0 && few && me !== undefined && me !== '1' && pids.has(me) && rows.some((r) => r[0] === '1' && r[1] === 'node') && rows.some((r) => r[1] === 'sleep'), {
      expected: "ps in the exec'd shell lists only the container's processes: PID 1 (the init, node), the app (sleep) and the shell itself, by its PID in the container",
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: "the exec'd process must be in the container's PID namespace (forked after setns) and see its /proc (mount namespace) (TODO 8.5)",
    });
  });

  describe('given: the lifecycle (-d, ps, logs, stop, rm) and exec\'s errors', () => {
    test('-d prints the ID and returns while the container runs; ps lists it; logs shows its output', async () => {
      const [ps, logs] = await Promise.all([tool('ps', []).done, tool('logs', [name]).done]);
      check(running() && ps.stdout.includes(name) && ps.stdout.includes(id) && logs.stdout.includes('hello-from-the-log'), {
        expected: `an ID, ${name} in npm run ps, and "hello-from-the-log" in npm run logs ${name}`,
        seen: `start: ${described(started)}, ${shown(started.stdout)}; ps: ${shown(ps.stdout)}; logs: ${shown(logs.stdout)}`,
        hint: 'the workbook runs detached containers (toolkit/lifecycle); the container itself needs your init (TODO 8.1)',
      });
    });

    test('a second container with a running one\'s name is refused, in one line', async () => {
      const again = await runChapter(8, ['-d', '--name', name, '--network', 'none', '--', 'true'], 60000);
      check(running() && again.code !== 0 && oneLine(again) && again.stderr.includes('already running'), {
        expected: 'a non-zero exit and one line saying the name is taken',
        seen: described(again),
        hint: 'names are unique among running containers (toolkit/lifecycle/names.ts)',
      });
    });

    test('exec into an unknown container is one line', async () => {
      const ran = await tool('exec', [`no-such-${process.pid}`, '--', 'true']).done;
      check(ran.code !== 0 && oneLine(ran) && ran.stderr.includes('no running container'), {
        expected: 'a non-zero exit and one line',
        seen: described(ran),
        hint: 'the exec command finds running containers by name in the state files',
      });
    });

    test("the exec'd process has the container's privileges: its bounding set, capabilities, no_new_privs and seccomp filter (chapter 7)", async () => {
      const run = tool('exec', [name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 30']);
      const ready = running() && (await run.waitFor('ready', 30000));
      const inside = ready ? execedProcess(run) : null;
      // Seen from the host: /proc/PID/status of the exec'd process and of the container's PID 1.
      const fields = ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'NoNewPrivs', 'Seccomp'];
      const of = (p: number | null) => { const st = p !== null ? readOr(`/proc/${p}/status`) : ''; return fields.map((f) => new RegExp(`^${f}:\\s+(\\S+)`, 'm').exec(st)?.[1] ?? '?'); };
      const [mine, theirs] = [of(inside), of(pid1)];
      run.kill('SIGTERM');
      await run.done;
      const differ = fields.filter((_, i) => mine[i] !== theirs[i]);
      check(inside !== null && differ.length === 0 && theirs[5] === '2', {
        expected: `the exec'd process's ${fields.join(', ')} equal to the container's PID 1's (Seccomp 2: filtered)`,
        seen: inside === null ? 'no exec\'d process' : `exec'd: ${fields.map((f, i) => `${f} ${mine[i]}`).join(', ')}; PID 1: ${fields.map((f, i) => `${f} ${theirs[i]}`).join(', ')}`,
        hint: 'the exec command gives nsenter PID 1\'s bounding set and no_new_privs, and chapter 7\'s seccomp program (toolkit/init/exec.ts)',
      });
    });

    test('exec -t gives the process a terminal of its own; exec --user runs it as that user of the container, with no capability', async () => {
      const tty = tool('exec', ['-t', name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 30']);
      const asUser = tool('exec', ['--user', 'user', name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 30']);
      const ready = running() && (await tty.waitFor('ready', 30000)) && (await asUser.waitFor('ready', 30000));
      // Seen from the host: the exec'd processes' /proc/PID/stat (session, tty_nr) and /proc/PID/status.
      const [withTty, user] = ready ? [execedProcess(tty), execedProcess(asUser)] : [null, null];
      const fields = withTty !== null ? readOr(`/proc/${withTty}/stat`).slice(readOr(`/proc/${withTty}/stat`).lastIndexOf(')') + 2).split(' ') : [];
      const session = Number(fields[3]);
      const ttyNr = Number(fields[4]);
      const status = user !== null ? readOr(`/proc/${user}/status`) : '';
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const capEff = /^CapEff:\s+(\w+)/m.exec(status)?.[1];
      const outside = pid1 !== null ? Number(readOr(`/proc/${pid1}/uid_map`).trim().split(/\s+/)[1]) : NaN;
      tty.kill('SIGTERM');
      asUser.kill('SIGTERM');
      await Promise.all([tty.done, asUser.done]);
      check(ready && withTty !== null && ttyNr !== 0 && session === withTty && uid === String(outside + 1000) && capEff !== undefined && /^0+$/.test(capEff), {
        expected: `with -t: a session leader (session = its PID) with a controlling terminal (tty_nr ≠ 0); with --user user: uid 1000 of the container — ${outside + 1000} on the host — and CapEff 0`,
        seen: !ready ? `not ready: ${described({ code: null, signal: null, stdout: tty.stdout + asUser.stdout, stderr: tty.stderr + asUser.stderr })}` : `-t: PID ${withTty}, session ${session}, tty_nr ${ttyNr}; --user: uid ${uid ?? '?'} on the host, CapEff ${capEff ?? '?'}`,
        hint: 'the exec command\'s -t and --user (toolkit/init/exec.ts, nsenter.c: a new pty, setsid and TIOCSCTTY; setgroups, setresgid, setresuid after the joins)',
      });
    });

    test('exec -i passes its stdin to the process; without -i the process reads /dev/null, as docker exec\'s', async () => {
      const readLine = 'if read line; then echo "got:$line"; else echo eof; fi';
      const piped = tool('exec', ['-i', name, '--', '/bin/sh', '-c', `echo ready; ${readLine}`], 60000, 'pipe');
      const closed = tool('exec', [name, '--', '/bin/sh', '-c', `${readLine}; echo ready; exec sleep 30`]);
      const ready = running() && (await piped.waitFor('ready', 30000)) && (await closed.waitFor('ready', 30000));
      // Seen from the host: what fd 0 of each exec'd process is (/proc/PID/fd/0).
      const fd0 = (p: number | null) => { try { return p !== null ? fs.readlinkSync(`/proc/${p}/fd/0`) : '?'; } catch { return '(gone)'; } };
      const [pipedFd, closedFd] = ready ? [fd0(execedProcess(piped)), fd0(execedProcess(closed))] : ['?', '?'];
      const execStdin = fd0(piped.process.pid!); // the exec command's own stdin: Node's 'pipe' is a socketpair
      piped.process.stdin!.end('hello-stdin\n');
      closed.kill('SIGTERM');
      const [a, b] = await Promise.all([piped.done, closed.done]);
      check(ready && pipedFd === execStdin && /^(pipe|socket):/.test(pipedFd) && closedFd === '/dev/null' && a.code === 0 && a.stdout.includes('got:hello-stdin') && b.stdout.includes('eof'), {
        expected: 'with -i: fd 0 of the exec\'d process the exec command\'s own stdin, and the line written to exec\'s stdin read inside ("got:hello-stdin"); without: fd 0 is /dev/null and read gets end of file at once ("eof")',
        seen: `-i: fd 0 ${pipedFd} (exec's: ${execStdin}), ${described(a)}, stdout ${shown(a.stdout)}; without -i: fd 0 ${closedFd}, stdout ${shown(b.stdout)}`,
        hint: 'the exec command passes its stdin on only with -i, else /dev/null (toolkit/init/exec.ts)',
      });
    });

    test('SIGKILL of an exec leaves nothing of it in the container', async () => {
      const run = tool('exec', [name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 77']);
      const ready = running() && (await run.waitFor('ready', 30000));
      const inside = ready ? execedProcess(run) : null;
      run.kill('SIGKILL');
      await run.done;
      const ns = pid1 !== null ? link(pid1, 'pid') : null;
      const left = ns !== null ? await settle(() => processesIn(ns).filter((t) => t.pid === inside), (l) => l.length === 0, 3000) : [];
      check(inside !== null && left.length === 0, {
        expected: "the exec'd `sleep 77` gone within 3 s of SIGKILL to its exec command",
        seen: inside === null ? 'no exec\'d process' : `${left.length} left`,
        hint: 'nsenter dies with its parent and the exec\'d process with nsenter (PR_SET_PDEATHSIG)',
      });
    });

    test('stop ends it within the grace period, its cleanup runs, exec into it is then one line, rm forgets it', async () => {
      const exec = tool('exec', [name, '--', '/bin/sh', '-c', 'echo ready; exec sleep 99']);
      await exec.waitFor('ready', 30000);
      await untilHandled(pid1, ['SIGTERM']); // -d returns once PID 1 exists, maybe before the init's handlers
      const t0 = Date.now();
      const stop = await tool('stop', ['-t', '8', name]).done;
      const seconds = (Date.now() - t0) / 1000;
      const execEnd = await exec.done;
      const stateGone = !fs.existsSync(path.join(RUN_DIR, 'containers', `${id}.json`));
      const after = await tool('exec', [name, '--', 'true']).done;
      const ps = await tool('ps', ['-a']).done;
      const rm = await tool('rm', [name]).done;
      const psAfter = await tool('ps', ['-a']).done;
      check(running() && stop.code === 0 && !stop.stdout.includes('killed') && stateGone, {
        expected: `stop -t 8 returns within the grace period, having not needed SIGKILL, and the runner's state file is gone (cleanup ran)`,
        seen: `${described(stop)} ${shown(stop.stdout)} after ${seconds.toFixed(1)} s; state file ${stateGone ? 'gone' : 'still there'}`,
        hint: 'stop sends SIGTERM to PID 1; your init must pass it to the app (TODO 8.2)',
      });
      check(execEnd.code !== 0 && after.code !== 0 && oneLine(after) && /not running/.test(after.stderr), {
        expected: 'the running exec ends with the container; a new exec into the stopped container is one line',
        seen: `running exec: ${described(execEnd)}; new exec: ${described(after)}`,
        hint: 'when PID 1 ends, the kernel kills every process of its PID namespace, exec\'d ones too',
      });
      check(ps.stdout.includes('Exited (143)') && rm.code === 0 && !psAfter.stdout.includes(name), {
        expected: `ps -a shows ${name} "Exited (143)"; after rm it is gone`,
        seen: `ps -a: ${shown(ps.stdout)}; rm: ${described(rm)}; then: ${shown(psAfter.stdout)}`,
        hint: 'stopped detached containers are kept until rm (toolkit/lifecycle/records.ts)',
      });
    });
  });
});

describe('chapter 8: pods and the time namespace', () => {
  const app = `grader8-app-${process.pid}`;
  let appPid1: number | null = null;

  beforeAll(async () => {
    // The app: the web image's httpd on 8080, loopback only (--network none), detached.
    const started = await runChapter(8, ['-d', '--name', app, '--network', 'none', '--image', 'web', '--', 'httpd', '-f', '-p', '8080', '-h', '/var/www'], 60000);
    const id = started.stdout.trim();
    try {
      appPid1 = (JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'containers', `${id}.json`), 'utf8')) as { pid?: number }).pid ?? null;
    } catch {
      appPid1 = null;
    }
  });

  afterAll(async () => {
    await tool('rm', ['-f', app]).done;
  });

  test("a sidecar in the app's network, IPC and PID namespaces reaches its server on 127.0.0.1", async () => {
    const sidecar = new Running(8, ['--network', `container:${app}`, '--ipc', `container:${app}`, '--pid', `container:${app}`, '--',
      '/bin/sh', '-c', 'wget -qO- http://127.0.0.1:8080/; echo; echo ready; exec sleep 30']);
    const ready = appPid1 !== null && (await sidecar.waitFor('ready', 30000));
    // The sidecar's first process: the runner's descendant (through nsexec) in the app's network namespace, or its PID 1.
    const host = hostNamespace('pid');
    const first = ready ? descendant(sidecar.process.pid!, (p) => link(p, 'net') === link(appPid1!, 'net') && link(p, 'pid') !== host) ?? containerInit(sidecar) ?? undefined : undefined;
    const differ = first !== undefined ? ['net', 'ipc', 'pid'].filter((k) => link(first, k) !== link(appPid1!, k)) : ['net', 'ipc', 'pid'];
    sidecar.kill('SIGTERM');
    const ran = await sidecar.done;
    check(ready && differ.length === 0 && ran.stdout.includes('Hello from the web image'), {
      expected: "the sidecar's /proc/PID/ns/{net,ipc,pid} equal the app's, and wget of http://127.0.0.1:8080/ gets the app's page",
      seen: appPid1 === null ? 'the app container did not start' : !ready ? described(ran) : `not shared: ${differ.join(', ') || 'none'}; wget: ${shown(ran.stdout)}`,
      hint: 'openPodNamespaces() must open /proc/PID/ns/KIND of the other container for each kind of POD_ORDER in c.join, user first, and return the fds for nsexec to join (TODO 8.7)',
    });
  });

  describe('given: the refusals around pods', () => {
    const stopped = `grader8-gone-${process.pid}`;
    afterAll(async () => {
      await tool('rm', ['-f', stopped]).done;
    });

    test('joining a container that does not exist, or has stopped, or with options that conflict, is one line and starts nothing', async () => {
      // A detached container that ends at once: its record stays (ps -a) and its runner's state file goes.
      const gone = await runChapter(8, ['-d', '--name', stopped, '--network', 'none', '--', 'true'], 60000);
      const goneId = gone.stdout.trim();
      await settle(() => fs.existsSync(path.join(RUN_DIR, 'containers', `${goneId}.json`)), (there) => !there, 15000);
      // Each try has a name of its own: afterwards no state file or record may name it.
      const tag = `grader8-try-${process.pid}`;
      const left = () => ['containers', 'lifecycle'].flatMap((dir) => {
        const files = fs.existsSync(path.join(RUN_DIR, dir)) ? fs.readdirSync(path.join(RUN_DIR, dir), { recursive: true, encoding: 'utf8' }) : [];
        return files.filter((f) => readOr(path.join(RUN_DIR, dir, f)).includes(tag)).map((f) => `${dir}/${f}`);
      });
      const tries: [string, string[], RegExp][] = [
        ['an unknown container', ['--network', `container:no-such-${process.pid}`], /no running container named/],
        ['a stopped one', ['--pid', `container:${stopped}`], /not running \(it exited/],
        ['--publish with a shared network', ['--network', `container:${app}`, '--publish', '18089:80'], /--publish with --network container:/],
        ['--userns host', ['--pid', `container:${app}`, '--userns', 'host'], /one user namespace/],
        ['--uidmap', ['--network', `container:${app}`, '--uidmap', '0:2000000000:65536'], /shares its user namespace/],
      ];
      const ran = await Promise.all(tries.map(([, args], i) => runChapter(8, ['--name', `${tag}${i}`, ...args, '--', 'true'], 60000)));
      const after = left();
      const wrong = tries.filter(([, , says], i) => !(ran[i]!.code === 2 && oneLine(ran[i]!) && says.test(ran[i]!.stderr) && !/\n\s+at /.test(ran[i]!.stderr)));
      check(appPid1 !== null && gone.code === 0 && wrong.length === 0 && after.length === 0, {
        expected: `exit 2 and one line for each (${tries.map(([what]) => what).join('; ')}), and no state file or record left by any`,
        seen: `${wrong.map(([what]) => `${what}: ${described(ran[tries.findIndex(([w]) => w === what)]!)}`).join('; ') || 'each refused in one line'}; state files or records naming them: ${after.join(', ') || 'none'}`,
        hint: 'the runner resolves --network/--ipc/--pid container:NAME before anything is made (toolkit/lifecycle/detach.ts resolveJoins, toolkit/runtime/options.ts)',
      });
    });
  });

  test('--boottime-offset and --monotonic-offset shift the container\'s clocks, not the host\'s', async () => {
    // The sleep a child of PID 1, whose trap ends the container at SIGTERM at once (a bare sleep as PID 1 ignores it: 5 s to SIGKILL).
    const run = new Running(8, ['--network', 'none', '--boottime-offset', '86400', '--monotonic-offset', '3600', '--', '/bin/sh', '-c', 'trap "exit 0" TERM; cat /proc/uptime; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready', 30000);
    const pid1 = ready ? containerInit(run) : null;
    let offsets = '';
    try {
      offsets = pid1 !== null ? fs.readFileSync(`/proc/${pid1}/timens_offsets`, 'utf8') : '';
    } catch {
      // gone
    }
    const own = pid1 !== null && link(pid1, 'time') !== hostNamespace('time');
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const inside = Number(run.stdout.trim().split(/\s+/)[0]);
    run.kill('SIGTERM');
    const ran = await run.done;
    check(own && /boottime\s+86400\s+0/.test(offsets) && /monotonic\s+3600\s+0/.test(offsets) && inside > hostUptime + 86000, {
      expected: "a time namespace of its own whose /proc/PID/timens_offsets hold boottime 86400 and monotonic 3600; uptime inside a day ahead of the host's",
      seen: !ready ? described(ran) : `own time namespace: ${own}; offsets: ${shown(offsets.replace(/\s+/g, ' '))}; uptime inside ${inside}, host ${hostUptime}`,
      hint: 'timeNamespace() must return CLONE_NEWTIME, and writeTimeOffsets() write the offsets to /proc/PID/timens_offsets while nsexec waits (TODO 8.8)',
    });
  });
});
