/**
 * Chapter 8 — PID 1 and exec. Reference solution. Lesson: chapters/08-init-and-exec/README.md
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { P_ALL, WEXITED, WNOHANG, WNOWAIT, waitid, waitpid } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
import { EXIT_COMMAND_NOT_EXECUTABLE, EXIT_COMMAND_NOT_FOUND } from '../../toolkit/runtime/errors.ts';
// The container is chapter 7's (namespaces, cgroup, image, network, user namespace, privileges), from the
// reference solutions (--mine: yours); see `npm run chapter 8 -- --explain`. This chapter is graded on its own steps.
import { addProcessToCgroup, cgroupOf } from '../../toolkit/init/stack.ts';
import { CLONE_NEWTIME } from '../../toolkit/kernel/index.ts';

// Host side, before the spawn: a pod's namespaces, opened for nsexec to join (8.7); the time
// namespace's flag, then its offsets written while nsexec waits (8.8). sequence.ts, phases
// "enter", "namespaces" and "idmaps".

/**
 * The kinds a pod shares, in the order nsexec joins them. The app's user namespace among them:
 * its network, IPC and PID namespaces are owned by it, and the sidecar's root can administer them
 * (bring up lo, mount a /proc of that PID namespace) only as a member of it — a pod has one user
 * namespace (Kubernetes gives it one). First, as nsenter(1) does: it gives the caller its capabilities there.
 */
export const POD_ORDER = ['user', 'net', 'ipc', 'pid'] as const;

/**
 * A pod: --network/--ipc/--pid container:NAME. Each namespace of the other container, open: the
 * file descriptor holds it, and its link is compared with the one recorded, since the PID may
 * be someone else's now. nsexec setns(2)s into each, in this order, instead of making that kind.
 */
export function openPodNamespaces(c: Container): number[] {
  const fds: number[] = [];
  for (const kind of POD_ORDER) {
    const ns = c.join?.[kind];
    if (ns === undefined) continue;
    const file = `/proc/${ns.pid}/ns/${kind}`;
    const fd = fs.openSync(file, 'r');
    if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== ns.link) {
      for (const open of [...fds, fd]) fs.closeSync(open);
      throw new Error(`container ${ns.container} has ended: ${file} is not ${ns.link} any more`);
    }
    fds.push(fd);
  }
  return fds;
}

/**
 * --monotonic-offset/--boottime-offset: CLOCK_MONOTONIC and CLOCK_BOOTTIME shifted for the
 * container (time_namespaces(7)). nsexec makes it with the user namespace, which then owns it.
 */
export function timeNamespace(c: Container): number {
  return c.timeOffsets !== undefined ? CLONE_NEWTIME : 0;
}

/**
 * The offsets, from the host, while nsexec waits: unshare(CLONE_NEWTIME) moved only its future
 * children, and the kernel freezes the offsets when the first of them enters (then EACCES).
 */
export function writeTimeOffsets(c: Container, pid: number): void {
  const lines = Object.entries(c.timeOffsets ?? {}).map(([clock, seconds]) => `${clock} ${seconds} 0\n`).join('');
  fs.writeFileSync(`/proc/${pid}/timens_offsets`, lines);
}

/** What a user sends to stop, reload or resize an app: PID 1 passes each on (tini's list). */
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** PID 1 with --init: the command as a child, signals passed on, orphans reaped, its status as ours. */
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

/** The command as PID 1's child, with the container's environment and PID 1's stdin, stdout and stderr. */
export function startCommand(c: Container, argv: readonly string[]): ChildProcess {
  const env = Object.fromEntries(c.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
}

/**
 * PID 1 gets no default action for a signal (pid_namespaces(7)): without a
 * handler, SIGTERM from `docker stop` would do nothing. A handler for each,
 * passing it to the app, makes the app see exactly what the user sent.
 */
export function forwardSignals(app: ChildProcess): void {
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      if (app.exitCode === null && app.signalCode === null) app.kill(signal);
    });
  }
}

/**
 * Collects every exited child except the app: orphans re-parented to PID 1.
 * waitid(2) with WNOWAIT looks without collecting, because the app's status
 * belongs to Node (libuv waits for the children it spawned, by PID): taking
 * it with waitpid(-1) would leave the app's 'exit' event waiting forever.
 */
export function reapOrphans(app: ChildProcess): number {
  let reaped = 0;
  for (;;) {
    const child = waitid(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT);
    if (child === null || child.pid === app.pid) return reaped;
    waitpid(child.pid, 0);
    reaped++;
  }
}

/** The shell's convention, and docker's: the exit code, or 128 + the number of the signal that killed it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal !== null ? os.constants.signals[signal] : 0);
}

/**
 * exec (host side): the container's namespaces to join, in order. The user
 * namespace first — it owns the others, and joining it gives the caller its
 * capabilities there; the mount namespace last — once in it, the host's /proc
 * is out of sight. A namespace we already share is left out: setns(2) into
 * our own user namespace is EINVAL.
 */
export function namespacesToJoin(pid: number): string[] {
  return NAMESPACE_ORDER.filter((kind) => fs.readlinkSync(`/proc/${pid}/ns/${kind}`) !== fs.readlinkSync(`/proc/self/ns/${kind}`))
    .map((kind) => `/proc/${pid}/ns/${kind}`);
}

/** The kinds of /proc/PID/ns, user first and mnt last (setns(2), nsenter(1)). */
export const NAMESPACE_ORDER = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'time', 'mnt'] as const;

/** exec (host side): the new process counts against the container's limits — into its cgroup, before it runs anything. */
export function joinCgroup(c: Container, pid: number): void {
  addProcessToCgroup(cgroupOf(c), pid);
}
