/**
 * npm run ps [-- -a] — the running containers (and with -a the stopped
 * detached ones, until `rm`): name, ID, image, command, status, uptime.
 */
import fs from 'node:fs';
import chalk from 'chalk';
import { listRecords, readExit, runningStates } from '../lifecycle/records.ts';
import { UsageError } from '../runtime/errors.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

/** sysconf(_SC_CLK_TCK): 100 on every Linux that Node runs on (USER_HZ). */
const CLOCK_TICKS = 100;

runLifecycleCommand('usage: npm run ps [-- -a]', async (argv) => {
  const all = argv.includes('-a') || argv.includes('--all');
  const unknown = argv.find((a) => a !== '-a' && a !== '--all');
  if (unknown !== undefined) throw new UsageError(`Unknown option ${unknown} (npm run ps [-- -a])`);
  const rows: string[][] = [];
  const running = runningStates();
  for (const s of running) {
    const started = s.process ? bootTimeMs() + (Number(s.process.startTime) * 1000) / CLOCK_TICKS : undefined;
    rows.push([s.container.name, s.container.id, s.container.image ?? '-', command(s.container.command), started !== undefined ? `Up ${ago(started)}` : 'Starting', s.container.init ? 'init' : '']);
  }
  if (all) {
    const live = new Set(running.map((s) => s.container.id));
    for (const r of listRecords().filter((x) => !live.has(x.id)).sort((a, b) => b.started - a.started)) {
      const exit = readExit(r.id);
      rows.push([r.name, r.id, r.image, command(r.command), exit ? `Exited (${exit.code}) ${ago(exit.finished)} ago` : 'Gone (runner killed)', '']);
    }
  }
  const head = ['NAME', 'CONTAINER ID', 'IMAGE', 'COMMAND', 'STATUS', 'PID 1'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(chalk.bold(line(head)));
  for (const r of rows) console.log(line(r));
  return 0;
});

function bootTimeMs(): number {
  const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - up * 1000;
}

function command(argv: readonly string[]): string {
  const text = JSON.stringify(argv.join(' '));
  return text.length > 32 ? `${text.slice(0, 30)}…"` : text;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

