/**
 * What a pull shows while it downloads, as `docker pull` does: one line per
 * blob with bytes so far, the total (the descriptor's size) and the rate.
 * On a terminal the lines are redrawn in place; otherwise (a log, a test)
 * each blob gets one plain line when it is done.
 */
import { colors } from '../cli/colors.ts';
import { short } from '../image/digest.ts';

interface Line {
  what: string;
  done: number;
  total: number;
  started: number;
  state: 'downloading' | 'done' | 'in store' | 'failed';
}

export interface Progress {
  /** A blob is about to be downloaded (`what`: "layer", "config"). */
  start(digest: string, what: string, total: number): void;
  /** `bytes` more arrived. */
  advance(digest: string, bytes: number): void;
  finish(digest: string): void;
  /** The store has it already: not downloaded. */
  skip(digest: string, what: string, total: number): void;
  fail(digest: string): void;
  /** A line of its own ("pulling …", "digest: …"). */
  note(line: string): void;
}

export function createProgress(out: NodeJS.WriteStream = process.stderr, tty = out.isTTY === true): Progress {
  const lines = new Map<string, Line>();
  let drawn = 0;
  let last = 0;
  const text = (digest: string, l: Line) => {
    const secs = Math.max((Date.now() - l.started) / 1000, 0.001);
    const head = `${l.what.padEnd(6)} ${short(digest)}…`;
    if (l.state === 'in store') return `${head} ${colors.dim(`already in the store (${bytes(l.total)}), not downloaded`)}`;
    if (l.state === 'failed') return `${head} ${colors.red('failed')} after ${bytes(l.done)}`;
    const rate = `${bytes(l.done / secs)}/s`;
    if (l.state === 'done') return `${head} ${colors.green('done')} ${bytes(l.done)} in ${secs.toFixed(2)} s (${rate})`;
    return `${head} ${bytes(l.done)} / ${bytes(l.total)} ${colors.dim(rate)}`;
  };
  const redraw = (force: boolean) => {
    if (!tty || (!force && Date.now() - last < 100)) return;
    last = Date.now();
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    for (const [digest, l] of lines) out.write(`\x1b[2K${text(digest, l)}\n`);
    drawn = lines.size;
  };
  const settle = (digest: string, state: Line['state']) => {
    const l = lines.get(digest);
    if (!l) return;
    l.state = state;
    if (tty) redraw(true);
    else out.write(`${text(digest, l)}\n`);
  };
  return {
    start(digest, what, total) {
      lines.set(digest, { what, done: 0, total, started: Date.now(), state: 'downloading' });
      redraw(true);
    },
    advance(digest, n) {
      const l = lines.get(digest);
      if (l) l.done += n;
      redraw(false);
    },
    finish: (digest) => settle(digest, 'done'),
    fail: (digest) => settle(digest, 'failed'),
    skip(digest, what, total) {
      lines.set(digest, { what, done: 0, total, started: Date.now(), state: 'in store' });
      settle(digest, 'in store');
    },
    note(line) {
      out.write(`${line}\n`);
      if (tty) drawn = 0, lines.clear();
    },
  };
}

/** A progress that shows nothing (a pull inside a test of something else). */
export const SILENT: Progress = { start() {}, advance() {}, finish() {}, skip() {}, fail() {}, note() {} };

export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
