/**
 * How signals reach the container, and how the runner can always be stopped.
 *
 * - At a terminal, Ctrl-C and Ctrl-\ go to the whole foreground process
 *   group, which includes the container: the runner must not send them a
 *   second time. It only counts them: PID 1 ignores signals it has no
 *   handler for (pid_namespaces(7)), so three Ctrl-C within two seconds kill
 *   the container instead of leaving the learner stuck.
 * - SIGTERM, SIGHUP (and SIGINT without a terminal, e.g. from a test or
 *   `kill`) are forwarded to the container. If it is still running after
 *   STOP_TIMEOUT_MS, or a second such signal arrives, it gets SIGKILL — the
 *   same deal as `docker stop`.
 */
import type { ChildProcess } from 'node:child_process';

export const STOP_TIMEOUT_MS = 5000;
const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export function relaySignals(child: ChildProcess, atTerminal: boolean, say: (line: string) => void): () => void {
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
        const now = Date.now();
        ctrlC.push(now);
        while (ctrlC.length > 0 && now - ctrlC[0]! > 2000) ctrlC.shift();
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
