/**
 * One live demo: the chapter runner as a subprocess, exactly as a learner
 * starts it (`npm run chapter N -- --solution …`, minus npm), its output
 * passed on as it comes, and a way to stop it that always ends it.
 *
 * Stopping is the runner's own `docker stop` deal: SIGTERM to the runner,
 * which passes it on to the container and sends SIGKILL after
 * STOP_TIMEOUT_MS, then cleans up (mounts, cgroups, network). Only if the
 * runner itself is still there well after that does it get SIGKILL; its
 * container then dies with it (PR_SET_PDEATHSIG) and `npm run clean`
 * removes the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PROJECT } from '../paths.ts';
import { STOP_TIMEOUT_MS } from '../runtime/signals.ts';
import type { Demo } from './demos.ts';

/** The runner's grace (STOP_TIMEOUT_MS) plus time for its cleanup. */
const RUNNER_KILL_MS = STOP_TIMEOUT_MS + 5000;

export type DemoEvent =
  | { type: 'start'; id: string; chapter: number; pid: number }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'end'; status: number; expected: boolean; why: string; seconds: number };

export class DemoRun {
  readonly demo: Demo;
  readonly runner: ChildProcess;
  /** Resolves with the last event once the runner has exited (and so has its container). */
  readonly ended: Promise<Extract<DemoEvent, { type: 'end' }>>;
  private stopReason: string | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(demo: Demo, emit: (event: DemoEvent) => void) {
    this.demo = demo;
    const started = Date.now();
    this.runner = spawn(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/chapter.ts'), String(demo.chapter), '--solution', ...demo.args], {
      cwd: PROJECT,
      // Plain text for the slide; CI=true skips the runner's once-per-machine note.
      env: { ...process.env, FORCE_COLOR: '0', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: Ctrl-C at the server's terminal reaches the
      // server only, which then stops the demo the one orderly way, below.
      detached: true,
    });
    emit({ type: 'start', id: demo.id, chapter: demo.chapter, pid: this.runner.pid ?? 0 });
    for (const stream of ['stdout', 'stderr'] as const) {
      this.runner[stream]!.setEncoding('utf8').on('data', (text: string) => emit({ type: 'output', stream, text }));
    }
    this.timers.push(setTimeout(() => this.stop(`time limit (${demo.timeLimitMs / 1000} s) reached`), demo.timeLimitMs));

    this.ended = new Promise((resolve) => {
      let finished = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (finished) return; // 'error' can come before 'close'
        finished = true;
        for (const timer of this.timers) clearTimeout(timer);
        const status = code ?? 128 + signalNumber(signal);
        const why = this.stopReason ? `stopped: ${this.stopReason}` : 'exited';
        const expected = status === demo.expectedStatus && this.stopReason === undefined;
        const end = { type: 'end' as const, status, expected, why, seconds: (Date.now() - started) / 1000 };
        emit(end);
        resolve(end);
      };
      // 'close', not 'exit': all output has been read by then.
      this.runner.once('close', finish);
      this.runner.once('error', () => finish(127, null));
    });
  }

  /** Asks the runner to stop the container; idempotent. */
  stop(reason: string): void {
    if (this.stopReason !== undefined || this.runner.exitCode !== null || this.runner.signalCode !== null) return;
    this.stopReason = reason;
    this.runner.kill('SIGTERM');
    this.timers.push(setTimeout(() => this.runner.kill('SIGKILL'), RUNNER_KILL_MS));
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? os.constants.signals[signal] : 0;
}
