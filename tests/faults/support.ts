/**
 * The fault battery's tools: the runner started as a learner starts it
 * (always the reference solution: the faults are the runner's, not the
 * learner's), stopped at an exact stage with the test-only pause hook, and a
 * look at everything the workbook could leave behind.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT } from '../../toolkit/paths.ts';
import { findLeftovers, isClean, type Leftovers } from '../../toolkit/cli/leftovers.ts';

export const CHAPTER_CLI = path.join(PROJECT, 'toolkit/cli/chapter.ts');

/** The npm scripts' way to run a program of the toolkit (toolkit/run.mjs: a cached build, no tsx). */
const RUN = path.join(PROJECT, 'toolkit/run.mjs');

/** argv for `node` that runs chapter N's reference solution with `args`, as `npm run chapter` does. */
export function runnerArgs(chapter: number, args: readonly string[]): string[] {
  return [RUN, CHAPTER_CLI, String(chapter), '--solution', ...args];
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Runner {
  readonly process: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<Ended>;

  /**
   * `argv`: node's arguments (runnerArgs). `pause`: the stages to stop at (WORKBOOK_TEST_PAUSE).
   * `prefix`: a command that runs node, e.g. nsenter into a scratch network namespace.
   */
  constructor(argv: readonly string[], options: { pause?: string; env?: NodeJS.ProcessEnv; prefix?: readonly string[] } = {}) {
    const env = { ...process.env, ...options.env, ...(options.pause ? { WORKBOOK_TEST_PAUSE: options.pause } : {}) };
    const [file, ...before] = [...(options.prefix ?? []), process.execPath];
    this.process = spawn(file!, [...before, ...argv], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'], env });
    this.process.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.done = new Promise((resolve) => {
      this.process.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves to the PID the pause hook announced at `stage` ("workbook-test: paused at STAGE pid N"), or throws. */
  async paused(stage: string, ms = 30000): Promise<number> {
    const pattern = new RegExp(`workbook-test: paused at ${stage} pid (\\d+)`);
    let ended = false;
    void this.done.then(() => (ended = true));
    for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
      const match = pattern.exec(this.stderr);
      if (match) return Number(match[1]);
      if (ended) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`never paused at ${stage}; stderr: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

/** Runs the runner to its end. */
export function runToEnd(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ended> {
  return new Runner(argv, { env }).done;
}

/**
 * npm run clean, as a learner runs it; its output (stdout and stderr), whatever its exit status: on a
 * machine shared with other runs it may count their live cgroups as "still left".
 */
export function clean(): string {
  const r = spawnSync(process.execPath, [RUN, path.join(PROJECT, 'toolkit/cli/clean.ts')], { cwd: PROJECT, encoding: 'utf8', timeout: 60000 });
  return `${r.stdout}${r.stderr}`;
}

/** What the workbook left on the machine (its own state folders only: WORKBOOK_* in the environment). */
export function leftovers(): Leftovers {
  return findLeftovers();
}

export function nothingLeft(): { clean: boolean; left: Leftovers } {
  const left = findLeftovers();
  return { clean: isClean(left), left };
}

/** Whether a process with this PID exists (a zombie counts as gone). */
export function exists(pid: number): boolean {
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return ok();
}

/** Lets a process paused by WORKBOOK_TEST_PAUSE go on (see toolkit/test-pause.ts); returns a function that tidies up. */
export function resume(pid: number): () => void {
  const file = `/tmp/workbook-resume-${pid}`;
  fs.writeFileSync(file, '');
  return () => fs.rmSync(file, { force: true });
}
