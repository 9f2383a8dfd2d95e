/**
 * Runs a chapter's container program the way a learner does — as a
 * subprocess, `npm run chapter N -- …` minus npm's own start-up — against the
 * learner's file, or the reference solution when WORKBOOK_TARGET=solutions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { PROJECT } from '../../toolkit/paths.ts';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const TARGET = process.env.WORKBOOK_TARGET === 'solutions' ? 'solutions' : 'chapters';

/** Multiplies every time limit below (runChapter, waitFor) on a slow machine, e.g. 15 under QEMU's software emulation (tests/v2-guest). Default 1. */
export const TIME_SCALE = Number(process.env.WORKBOOK_TIME_SCALE) > 0 ? Number(process.env.WORKBOOK_TIME_SCALE) : 1;

export function chapterArgs(chapter: number, args: readonly string[]): string[] {
  return [
    // The runner's fast path, as npm run chapter takes it (toolkit/run.mjs: built once, no tsx).
    path.join(PROJECT, 'toolkit/run.mjs'),
    path.join(PROJECT, 'toolkit/cli/chapter.ts'),
    String(chapter),
    ...(TARGET === 'solutions' ? ['--solution'] : []),
    ...args,
  ];
}

export interface RunAs {
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

export class Running {
  readonly process: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<Ran>;

  /**
   * `prefix`: a command that runs the runner, e.g. ['nsenter', '--net=/proc/123/ns/net', '--'] (chapter 5's scratch host).
   * `as`: another user and environment to run it with (chapter 6's rootless user).
   */
  constructor(chapter: number, args: readonly string[], prefix: readonly string[] = [], as: RunAs = {}) {
    const [file, ...before] = [...prefix, process.execPath];
    this.process = spawn(file!, [...before, ...chapterArgs(chapter, args)], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    this.process.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.done = new Promise((resolve) => {
      this.process.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stdout contains `text`; null if the program ended (or timed out) first. */
  async waitFor(text: string, timeoutMs = 15000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs * TIME_SCALE;
    let ended = false;
    void this.done.then(() => (ended = true));
    while (!this.stdout.includes(text)) {
      if (ended || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}

/** Runs to the end (killed after `timeoutMs`, so a hung learner program fails its check instead of the suite). */
export async function runChapter(chapter: number, args: readonly string[], timeoutMs = 20000, prefix: readonly string[] = []): Promise<Ran> {
  const run = new Running(chapter, args, prefix);
  const timer = setTimeout(() => run.kill('SIGKILL'), timeoutMs * TIME_SCALE);
  const ran = await run.done;
  clearTimeout(timer);
  return ran;
}

/** "exit 0" / "exit 125, stderr: …" — how a run looked, for a failure message. */
export function described(ran: Ran): string {
  const status = ran.signal ? `killed by ${ran.signal}` : `exit ${ran.code}`;
  const err = stripVTControlCharacters(ran.stderr).trim();
  // The runner's code frame (the line, the caret under it) is for a terminal; "at FILE:LINE" says it here.
  const lines = err.split('\n').filter((l) => !/^\s+(\d+\s)?│/.test(l));
  return err ? `${status}, stderr: ${lines.slice(0, 3).join(' | ')}` : status;
}
