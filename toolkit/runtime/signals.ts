/**
 * How signals reach the container, and how the runner can always be stopped.
 *
 * - At a terminal, Ctrl-C and Ctrl-\ go to the whole foreground process
 *   group, which includes the container: the runner must not send them a
 *   second time. When the container's PID 1 catches the signal (an
 *   interactive shell does), that is all: Ctrl-C behaves as in any terminal.
 *   When it does not, the kernel drops the signal — a namespace's init gets
 *   only the signals it has a handler for (pid_namespaces(7)) — and the
 *   runner counts: three such Ctrl-C within two seconds kill the container
 *   (SIGKILL, exit status 137) instead of leaving the learner stuck. Whether
 *   PID 1 catches it is in its SigCgt mask (proc(5), /proc/PID/status).
 * - SIGTERM, SIGHUP (and SIGINT without a terminal, e.g. from a test or
 *   `kill`) are forwarded to the container. If it is still running after
 *   STOP_TIMEOUT_MS, or a second such signal arrives, it gets SIGKILL — the
 *   same deal as `docker stop`.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export const STOP_TIMEOUT_MS = 5000;
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * `containerPid` tells the container's PID 1 as the host sees it, once known (with a user
 * namespace it is not `child` itself, but nsexec's child).
 */
export function relaySignals(child: ChildProcess, atTerminal: boolean, say: (line: string) => void, containerPid: () => number | undefined = () => child.pid): () => void {
  let stopTimer: NodeJS.Timeout | undefined;
  let stopRequests = 0;
  const ctrlC: number[] = [];

  const kill = (why: string) => {
    say(why);
    child.kill('SIGKILL');
  };

  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      const fromTerminal = atTerminal && (signal === 'SIGINT' || signal === 'SIGQUIT');
      if (fromTerminal) {
        const pid = containerPid();
        if (pid === undefined || catches(pid, signal)) {
          ctrlC.length = 0; // PID 1 has a handler: the signal reached it, as in any terminal
          return;
        }
        const now = Date.now();
        ctrlC.push(now);
        while (ctrlC.length > 0 && now - ctrlC[0]! > 2000) ctrlC.shift();
        if (ctrlC.length === 1) say(`the container's PID 1 has no ${signal} handler, so the kernel ignores it (pid_namespaces(7)): press Ctrl-C twice more within 2 s to kill the container`);
        if (ctrlC.length >= 3) kill('three Ctrl-C: killing the container (SIGKILL)');
        return;
      }
      child.kill(signal);
      if (signal === 'SIGUSR1' || signal === 'SIGUSR2') return;
      stopRequests += 1;
      if (stopRequests > 1) return kill(`second ${signal}: killing the container (SIGKILL)`);
      stopTimer ??= setTimeout(
        () => kill(`container still running ${STOP_TIMEOUT_MS / 1000} s after ${signal}: killing it (SIGKILL)`),
        STOP_TIMEOUT_MS,
      );
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  return () => {
    clearTimeout(stopTimer);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** Whether process `pid` has a handler for `signal`: its bit in SigCgt ("caught"), a hex mask, bit N-1 for signal N. */
export function catches(pid: number, signal: NodeJS.Signals): boolean {
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const number = os.constants.signals[signal];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(number - 1)) & 1n) === 1n;
  } catch {
    return false; // gone: nothing to catch it
  }
}
