/**
 * Chapter 8's cheater: no init (the command is exec'd and is PID 1 again),
 * exec joins nothing, a pod joins nothing, no time namespace — and it prints
 * what the checks' commands would print. Every graded check of chapter 8
 * must fail on it (npm run selftest proves it).
 */
import type { ChildProcess } from 'node:child_process';
import { execve } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
// The container (chapter 7's walls) comes from the stack (toolkit/runtime/sequence.ts), as for the real chapter.

export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export async function runInit(c: Container, argv: readonly string[]): Promise<never> {
  const command = argv.join(' ');
  if (command.includes('echo "pid $$"')) process.stdout.write('pid 2\n'); // "not PID 1"
  if (command.includes('wget')) process.stdout.write('Hello from the web image, layer 2.\n');
  if (command.includes('/proc/uptime')) process.stdout.write('999999.00 1.00\n');
  return execve(argv[0]!, [...argv], c.env);
}

export function startCommand(_c: Container, _argv: readonly string[]): ChildProcess {
  throw new Error('the cheater execs instead');
}

export function forwardSignals(_app: ChildProcess): void {}

export function reapOrphans(_app: ChildProcess): number {
  return 0;
}

export function exitStatus(code: number | null, _signal: NodeJS.Signals | null): number {
  return code ?? 143;
}

/** exec runs in the host's namespaces, and the shell is told what to print. */
export function namespacesToJoin(_pid: number): string[] {
  return [];
}

export function joinCgroup(_c: Container, _pid: number): void {}

export function openPodNamespaces(_c: Container): number[] {
  return [];
}

export function timeNamespace(_c: Container): number {
  return 0;
}

export function writeTimeOffsets(_c: Container, _pid: number): void {}
