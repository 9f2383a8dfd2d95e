/**
 * Chapter 8 — PID 1 and exec.  Lesson: chapters/08-init-and-exec/README.md
 *
 * Give the container a real PID 1 — one that passes signals on and reaps the
 * orphans every PID namespace collects — and let other processes join a
 * running container with setns(2).
 *
 *   npm run chapter 8 -- --init -- /bin/sh -c 'ps -o pid,comm'     your init as PID 1, sh as 2
 *   npm run chapter 8 -- -d --name web --image web --publish 18081:80 -- httpd -f -p 80
 *   npm run exec web -- ps      npm run ps      npm run stop web
 *   npm test
 *
 *   PID 1 (your init, Node)                    the app (the command)
 *   runInit(c, argv)
 *     startCommand() ──── spawn ─────────────▶ PID 2 … forks, exits, leaves orphans
 *     forwardSignals()  SIGTERM … ───────────▶ its own handlers, or the default: it dies
 *     SIGCHLD → reapOrphans()  ◀── orphans re-parented to PID 1, zombies until waited for
 *     app's exit → exitStatus() → process.exit
 */
import type { ChildProcess } from 'node:child_process';
// For your steps: fs (readlinkSync), and spawn (8.1), waitid/waitpid (8.3), addProcessToCgroup/cgroupOf (8.6).
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { P_ALL, WEXITED, WNOHANG, WNOWAIT, waitid, waitpid } from '../../toolkit/kernel/index.ts';
import { addProcessToCgroup, cgroupOf } from '../../toolkit/init/stack.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';
import { EXIT_COMMAND_NOT_EXECUTABLE, EXIT_COMMAND_NOT_FOUND } from '../../toolkit/runtime/errors.ts';
// The container is chapter 7's (namespaces, cgroup, image, network, user namespace, privileges), from the
// reference solutions (--mine: yours); see `npm run chapter 8 -- --explain`. This chapter is graded on its own steps.
import { CLONE_NEWTIME } from '../../toolkit/kernel/index.ts';

// Host side, before the spawn (sequence.ts): a pod's namespaces, opened for nsexec to join (8.7);
// a time namespace's flag, then its offsets, written while nsexec waits (8.8). The container has a
// user namespace (chapter 6), so nsexec — single-threaded C — makes or joins its namespaces.

/** The kinds a pod shares, in the order nsexec joins them (its setns(2) in toolkit/runtime/nsexec.c). */
export const POD_ORDER = ['user', 'net', 'ipc', 'pid'] as const;

/** A pod (--network/--ipc/--pid container:NAME): the other container's namespaces, open, in the order to join them. */
export function openPodNamespaces(c: Container): number[] {
  if (c.join === undefined) return [];
  // TODO(8.7): for each kind of POD_ORDER that c.join has (ns = c.join[kind]): open
  //            `/proc/${ns.pid}/ns/${kind}` (fs.openSync(file, 'r')) and check that the open file is
  //            still that namespace — fs.readlinkSync(`/proc/self/fd/${fd}`) === ns.link, else close
  //            what you opened and throw (the PID may be another process by now). Return the fds in
  //            order: nsexec setns(2)s into each instead of making that kind. The user namespace
  //            must be among them, first: the app's network, IPC and PID namespaces are owned by it,
  //            and only its members' root may administer them (bring lo up, mount that PID
  //            namespace's /proc). Then delete the line below.
  return todo(`8.7 open ${Object.keys(c.join).join(', ')} of another container, user first`);
}

/** --monotonic-offset/--boottime-offset: the clone flag of a time namespace (time_namespaces(7)). */
export function timeNamespace(c: Container): number {
  if (c.timeOffsets === undefined) return 0;
  // TODO(8.8): return CLONE_NEWTIME: nsexec makes it with the user namespace, which owns it; like
  //            CLONE_NEWPID it moves only the children made after it. Then delete the line below.
  return todo(`8.8 the clone flag of a time namespace`);
}

/** The offsets, from the host, while nsexec waits in its new time namespace (`pid`: nsexec). */
export function writeTimeOffsets(c: Container, pid: number): void {
  // TODO(8.8): write the offsets to /proc/${pid}/timens_offsets in one write, one line per clock:
  //            "monotonic SECONDS 0\n", "boottime SECONDS 0\n" (from Object.entries(c.timeOffsets)).
  //            They must be written before the first process enters the namespace (nsexec's fork,
  //            after you are done); then the kernel freezes them (EACCES). Then delete the line below.
  todo(`8.8 write the offsets ${JSON.stringify(c.timeOffsets)} for PID ${pid}`);
}

/** What a user sends to stop, reload or resize an app: PID 1 passes each on (tini's list). */
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Given: PID 1 with --init — the command as a child, signals passed on, orphans reaped, its status as ours. */
export async function runInit(c: Container, argv: readonly string[]): Promise<never> {
  const app = startCommand(c, argv);
  forwardSignals(app);
  process.on('SIGCHLD', () => reapOrphans(app));
  const status = await new Promise<number>((resolve) => {
    app.once('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(`workbook: ${argv[0]}: ${error.code === 'ENOENT' ? 'command not found in the container' : `cannot run: ${error.code}`}\n`);
      resolve(error.code === 'ENOENT' ? EXIT_COMMAND_NOT_FOUND : EXIT_COMMAND_NOT_EXECUTABLE);
    });
    app.once('exit', (code, signal) => resolve(exitStatus(code, signal)));
  });
  reapOrphans(app);
  // When PID 1 ends, the kernel SIGKILLs every other process of the namespace (pid_namespaces(7)).
  process.exit(status);
}

/** PID 1 stays; the command runs as its child (PID 2), with the container's environment. */
export function startCommand(c: Container, argv: readonly string[]): ChildProcess {
  // TODO(8.1): start argv[0] with the arguments argv.slice(1) as a child of this process:
  //            spawn() from node:child_process, with stdio 'inherit' (the app writes where PID 1
  //            writes) and env made from c.env ("NAME=value" strings → an object). Return it.
  //            Not execve(2): that would make the app PID 1 again. Then delete the line below.
  return todo(`8.1 start ${argv[0]} as a child of PID 1`);
}

/** Signals sent to the container reach PID 1; the app must get them. */
export function forwardSignals(app: ChildProcess): void {
  // TODO(8.2): PID 1 of a PID namespace has no default action for a signal it has no handler
  //            for (pid_namespaces(7)): SIGTERM would simply be dropped. For every name in
  //            FORWARDED_SIGNALS, install a handler — process.on(signal, …) — that sends the same
  //            signal to the app (app.kill(signal)) while it still runs. signal(7) lists them.
  //            Then delete the line below.
  todo(`8.2 forward ${FORWARDED_SIGNALS.join(', ')} to the app (PID ${app.pid})`);
}

/** On SIGCHLD: collect every exited child except the app — the orphans re-parented to PID 1. */
export function reapOrphans(app: ChildProcess): number {
  // TODO(8.3): a child that has exited stays a zombie (state Z) until its parent waits for it, and
  //            PID 1 is the parent of every orphan. Loop: look at one exited child without collecting
  //            it — waitid(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT) from toolkit/kernel (wait(2)). Stop
  //            when there is none (null) or when it is the app (pid === app.pid): the app's status
  //            belongs to Node, which waits for the children it spawned by PID — take it with
  //            waitpid(-1) and the app's 'exit' never comes. Otherwise collect it: waitpid(pid, 0).
  //            Return how many you reaped. Then delete the line below.
  return todo(`8.3 reap the orphans (every exited child but the app, PID ${app.pid})`);
}

/** What PID 1 exits with once the app has ended: the container's exit status. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  // TODO(8.4): the shell's convention, and docker's: the app's exit code if it exited, or
  //            128 + the signal's number if a signal killed it (os.constants.signals[signal];
  //            SIGKILL → 137). Then delete the line below.
  return todo(`8.4 the exit status (code ${code}, signal ${signal})`);
}

/** The kinds of /proc/PID/ns (namespaces(7)), in the order exec joins them: user first, mnt last. */
export const NAMESPACE_ORDER = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'time', 'mnt'] as const;

/** exec, host side: which of the container's namespaces the new process joins, in order (toolkit/init/exec.ts performs it). */
export function namespacesToJoin(pid: number): string[] {
  // TODO(8.5): return `/proc/${pid}/ns/${kind}` for each kind of NAMESPACE_ORDER in which the
  //            container differs from us: compare fs.readlinkSync of its link with /proc/self/ns/KIND
  //            (setns(2) into our own user namespace is EINVAL). Keep the order: the user namespace
  //            first (it owns the others; joining it makes us root there), mnt last (after it the
  //            host's /proc is out of sight). setns(2), nsenter(1). Then delete the line below.
  return todo(`8.5 the namespaces of PID ${pid} to join, user first, mnt last`);
}

/** exec, host side: `pid` (the waiting C stage) joins the container's cgroup, so what it runs counts against its limits. */
export function joinCgroup(c: Container, pid: number): void {
  // TODO(8.6): write pid into the container's cgroup, as chapter 3 did for its first process:
  //            addProcessToCgroup(cgroupOf(c), pid) from toolkit/init/stack.ts (cgroups(7): writing a
  //            PID to cgroup.procs moves it; children are born where their parent is). Then delete the line below.
  todo(`8.6 move the exec stage (PID ${pid}) into container ${c.id}'s cgroup`);
}
