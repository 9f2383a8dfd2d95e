/**
 * The parent stage: the runner, on the host, brings one container to life
 * and waits for it. The chapters' steps are called at their moments, in the
 * order of toolkit/runtime/sequence.ts; this file is the glue between them.
 *
 *   runner (node, from the toolkit's cached build)
 *     │ unshare(the stack's clone flags) on the main thread, then spawn:
 *     ├─▶ child stage (bare node) ─ the setup steps ─ execve(command)
 *     │   or, with a user namespace:
 *     └─▶ nsexec (C) ─ unshare(CLONE_NEWUSER) … fork ─▶ child stage ─ …
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { bundleChildStage } from './bundle.ts';
import { containerCgroups, remaining } from './cgroup-watch.ts';
import type { Container, StartMessage } from './container.ts';
import { EXIT_SETUP_FAILED, describeError } from './errors.ts';
import { saveNamespaces } from './host-namespaces.ts';
import { identify } from './identity.ts';
import { detachLeakedMounts, mountIdsUnder } from './leaks.ts';
import { nsexecBinary } from './nsexec.ts';
import { refuseHostRootfs } from './rootfs-check.ts';
import { relaySignals } from './signals.ts';
import { formatStack, raisedInChapter, todoWhere } from './stack.ts';
import { watchParent } from './parent-watch.ts';
import { pauseForTest } from '../test-pause.ts';
import { loadStack, namespacePlan, runCleanup, runCreate, runWithPid, type StackFiles, type StackModules } from './sequence.ts';
import { reapStaleContainers, removeState, writeState } from './state.ts';
import { LineReader } from './sync-socket.ts';
import { refuseTakenName, withNameLock } from '../lifecycle/names.ts';

export interface RunOptions {
  /** Called with the container's host PID once it exists (tests use it to look from outside). */
  onStart?(pid: number): void;
  /** Short notes for the learner (signals, cleanup); default: stderr. */
  say?(line: string): void;
  /** The container's stdout (1) and stderr (2), when they go somewhere else than ours (a detached container's log). */
  output?(fd: 1 | 2, chunk: Buffer): void;
}

/** Runs the container to its end; resolves to the exit status the runner should exit with. */
export async function runContainer(files: StackFiles, given: Container, options: RunOptions = {}): Promise<number> {
  const stack = await loadStack(files);
  const say = options.say ?? ((line: string) => process.stderr.write(`workbook: ${line}\n`));
  refuseHostRootfs(given.rootfs);
  await reapStaleContainers(say);
  const stage = await bundleChildStage(files);
  const chapterFile = files[Math.max(...Object.keys(files).map(Number))]!;
  let c = given;
  // What is mounted under the rootfs before the run is not the run's to detach afterwards (leaks.ts).
  const mountsBefore = mountIdsUnder(c.rootfs);
  // A name means one running container (lifecycle/names.ts): checked and claimed at once.
  withNameLock(() => {
    refuseTakenName(c);
    writeState({ runner: process.pid, chapterFile, stack: files, container: c, mountsBefore });
  });

  let child: ChildProcess | undefined;
  let stopRelay = () => {};
  let stopWatch = () => {};
  let cgroups: string[] = [];
  try {
    c = runCreate(stack, c);
    writeState({ runner: process.pid, chapterFile, stack: files, container: c, mountsBefore });
    pauseForTest('before-unshare');
    child = spawnFirstProcess(stack, c, stage, options.output !== undefined);
    if (options.output) {
      const output = options.output;
      child.stdout!.on('data', (chunk: Buffer) => output(1, chunk));
      child.stderr!.on('data', (chunk: Buffer) => output(2, chunk));
    }
    pauseForTest('after-spawn');
    let containerPid: number | undefined;
    stopRelay = relaySignals(child, process.stdin.isTTY === true, say, () => containerPid);
    // npm (or whoever started us) gone: stop the container as a SIGTERM would (parent-watch.ts),
    // unless a SIGTERM came already (the parent-death signal, or npm passing its own on).
    let terminated = false;
    const noteTerm = () => (terminated = true);
    process.on('SIGTERM', noteTerm);
    const unwatch = watchParent((why) => {
      say(`${why}: stopping the container`);
      if (!terminated) process.kill(process.pid, 'SIGTERM');
    });
    stopWatch = () => {
      unwatch();
      process.off('SIGTERM', noteTerm);
    };
    const exited = exitOf(child);
    const sync = new LineReader(child.stdio[3] as Duplex);

    const pid = await Promise.race([handshake(stack, c, child, sync), exited.then(() => null)]);
    if (pid === null) return await exited;
    containerPid = pid;
    const identity = identify(pid);
    writeState({ runner: process.pid, chapterFile, stack: files, container: c, mountsBefore, pid, ...(identity ? { process: identity } : {}) });
    options.onStart?.(pid);
    c = runWithPid(stack, 'prepare', c, pid);
    cgroups = containerCgroups(pid);
    const start: StartMessage = { container: c, host: { uts: fs.readlinkSync('/proc/thread-self/ns/uts'), mnt: fs.readlinkSync('/proc/thread-self/ns/mnt') } };
    (child.stdio[3] as Duplex).write(`${JSON.stringify(start)}\n`, () => pauseForTest('after-go'));
    const execed = commandStarted(sync, pid);
    const status = await exited;
    // A log must not lose the last lines: the pipes close once every process of the container is gone.
    if (options.output) await Promise.race([Promise.all([child.stdout, child.stderr].map((s) => new Promise((r) => s!.once('close', r)))), new Promise((r) => setTimeout(r, 2000))]);
    if (await execed) return status;
    // 125 is the child stage's own report of a failed setup, already said.
    if (status !== EXIT_SETUP_FAILED) say(`setupContainer() ended the process before the command ran (${status > 128 ? `signal ${status - 128}` : `exit ${status}`})`);
    return EXIT_SETUP_FAILED;
  } catch (error) {
    say(describeError(error));
    // A bug in a host-side step of the chapter (namespaces, joinCgroup…): where, in .ts lines.
    if (raisedInChapter(error)) process.stderr.write(`${formatStack(error)}\n`);
    const where = todoWhere(error);
    if (where) process.stderr.write(`${where}\n`);
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    return EXIT_SETUP_FAILED;
  } finally {
    stopWatch();
    stopRelay();
    try {
      runCleanup(stack, c);
    } catch (error) {
      // Reported, not thrown: the state file stays, so `npm run clean` can try again.
      say(`cleanup failed: ${describeError(error)} (npm run clean retries it)`);
      detachLeakedMounts(c.rootfs, mountsBefore, say);
      return EXIT_SETUP_FAILED;
    }
    detachLeakedMounts(c.rootfs, mountsBefore, say);
    for (const dir of remaining(cgroups)) say(`cleanupHost() left the container's cgroup behind: ${dir} (npm run clean removes it)`);
    removeState(c.id);
  }
}

/**
 * Spawns the container's first process inside the stack's namespaces. They
 * are made on this thread just before the spawn and left right after it
 * (host-namespaces.ts), so the runner itself stays on the host. A user
 * namespace cannot be made by a multithreaded process: then nsexec makes it,
 * and every other namespace after it, so that the user namespace owns them.
 */
function spawnFirstProcess(stack: StackModules, c: Container, stage: string, piped = false): ChildProcess {
  // The child stage needs nothing from our environment; NODE_OPTIONS could load tsx, extra CA certs cost 60 ms.
  // WORKBOOK_* settings (other state folders, e.g. in tests) must mean the same to the child stage.
  const settings = Object.entries(process.env).filter(([k]) => k.startsWith('WORKBOOK_'));
  const env = { ...Object.fromEntries(settings), PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  const stdio = piped ? ['ignore', 'pipe', 'pipe', 'pipe'] as const : ['inherit', 'inherit', 'inherit', 'pipe'] as const;
  const node = [process.execPath, stage];

  const plan = namespacePlan(stack, c);
  if (plan.nsexec !== undefined) {
    // A pod's namespaces to join, open: nsexec's fds 4, 5, … (closed here once it has them).
    const join = plan.join();
    try {
      const args = join.flatMap((_, i) => ['--join', String(4 + i)]);
      return spawn(nsexecBinary(), [...args, String(plan.nsexec), ...node], { env, stdio: [...stdio, ...join] });
    } finally {
      for (const fd of join) fs.closeSync(fd);
    }
  }
  const saved = saveNamespaces();
  try {
    plan.onMainThread();
    return spawn(node[0]!, node.slice(1), { env, stdio: [...stdio] });
  } finally {
    saved.restore();
  }
}

/** The nsexec conversation, if any; resolves to the container's first process as the host sees it. */
async function handshake(stack: StackModules, c: Container, child: ChildProcess, sync: LineReader): Promise<number> {
  if (namespacePlan(stack, c).nsexec === undefined) return child.pid!;
  if ((await sync.next()) !== 'userns') throw new Error('nsexec ended before making the user namespace');
  runWithPid(stack, 'idmaps', c, child.pid!);
  (child.stdio[3] as Duplex).write('mapped\n');
  const line = await sync.next();
  const match = /^pid (\d+)$/.exec(line ?? '');
  if (!match) throw new Error('nsexec ended before starting the container');
  return Number(match[1]);
}

/**
 * Whether the command really started: the child stage says "exec" just before
 * execve(2), and execve closes the socket (close-on-exec). At that end of file
 * the process must no longer be running node — else it only said so.
 */
async function commandStarted(sync: LineReader, pid: number): Promise<boolean> {
  const said = await sync.next();
  if (said === 'init') return true; // PID 1 stays node on purpose: the chapter's init (chapter 8)
  if (said !== 'exec') return false;
  while ((await sync.next()) !== null) {
    // nothing else is expected after "exec"
  }
  try {
    const exe = fs.statSync(`/proc/${pid}/exe`);
    const node = fs.statSync(process.execPath);
    return !(exe.dev === node.dev && exe.ino === node.ino);
  } catch {
    return true; // already ended (or a zombie): it did exec, and the command ended
  }
}

/** Resolves to the exit status, shell style: the code, or 128 + the signal number. */
function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}

