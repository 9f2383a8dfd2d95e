/**
 * The grader's eyes on a living container, from the host: its first process is
 * found by a command line no one else runs (`sleep 3000.xxxx`), and everything
 * a check judges is read from /proc/PID/… and cgroupfs, or by a helper that
 * joins one of its namespaces — never taken from what the container printed.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Running, TIME_SCALE, described, type Ran, type RunAs } from './container.ts';
import { processesWith, settle } from './host.ts';

/** A sleep the grader can recognise among all processes of the machine. */
export function uniqueSleep(): string {
  return `sleep ${3000 + crypto.randomInt(1, 999_999) / 1_000_000}`;
}

export class Observed {
  /** The host PID of the process running `sleep` (null: it never appeared). */
  pid: number | null = null;
  private ran: Ran | null = null;

  private constructor(readonly run: Running, readonly sleep: string) {}

  /**
   * Starts chapter `chapter` with `options`, its command `script` (sh) ending in
   * `exec sleep …`, or only that sleep, and waits for the sleep to appear.
   */
  static async start(chapter: number, options: readonly string[], script: string | null = null, prefix: readonly string[] = [], as: RunAs = {}): Promise<Observed> {
    const sleep = uniqueSleep();
    // The script's last line on stdout: once it has arrived, so has everything the script printed.
    const done = `observed ${sleep.slice(6)}`;
    const command = script === null ? sleep.split(' ') : ['/bin/sh', '-c', `${script}; echo "${done}"; exec ${sleep}`];
    const o = new Observed(new Running(chapter, [...options, ...command], prefix, as), sleep);
    let ended = false;
    void o.run.done.then((ran) => {
      ended = true;
      o.ran = ran;
    });
    // Below the hook's own limit (60 s × WORKBOOK_TIME_SCALE), so a start that never comes fails the checks, not the suite.
    const found = await settle(() => processesWith(sleep), (pids) => pids.length > 0 || ended, 50_000);
    // The script echoes its last line before it execs the sleep: once the sleep runs, that line is a pipe's
    // read away. A file that prints elsewhere (a cheater's setup code, whose stdout goes to stderr) waits no longer.
    if (script !== null && found.length > 0) await settle(() => o.run.stdout.includes(done), (arrived) => arrived || ended, 5_000);
    o.pid = ended ? null : (found[0] ?? null);
    return o;
  }

  /** Ends the container (SIGKILL to its sleep, then the runner if need be) and waits for the runner. */
  async stop(): Promise<Ran> {
    if (this.pid !== null && processesWith(this.sleep).includes(this.pid)) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => this.run.kill('SIGKILL'), 10_000 * TIME_SCALE);
    const ran = await this.run.done;
    clearTimeout(timer);
    return ran;
  }

  /** How the run looked if the sleep never appeared: its exit and stderr (after it ended). */
  async failure(): Promise<string> {
    const ran = this.ran ?? (await this.stop());
    return `the container's command never ran: ${described(ran)}`;
  }

  async stderr(): Promise<string> {
    return (this.ran ?? (await this.stop())).stderr;
  }
}

/** "mnt:[4026531841]" of a process (the test's own with 'self'). */
export function namespaceOf(pid: number | 'self', kind: string): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return '(gone)';
  }
}

/** The PID of a process in each nested PID namespace, the host's first (NSpid in /proc/PID/status). */
export function nsPids(pid: number): number[] {
  const line = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line ? line[1]!.trim().split(/\s+/).map(Number) : [];
}

/** Mount points as the process sees them (mountinfo field 5, relative to its root). */
export function mountPoints(pid: number): string[] {
  return mountInfo(pid).map((m) => m.point);
}

export interface MountLine {
  point: string;
  root: string;
  type: string;
  source: string;
  options: string;
  superOptions: string;
  propagation: string;
}

/** /proc/PID/mountinfo, parsed (proc(5)). */
export function mountInfo(pid: number | 'self'): MountLine[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n').map((line) => {
    const [left, right = ''] = line.split(' - ');
    const f = left!.split(' ');
    const [type = '', source = '', superOptions = ''] = right.split(' ');
    return { point: f[4]!, root: f[3]!, options: f[5]!, propagation: f.slice(6).join(' '), type, source, superOptions };
  });
}

/** The hostname in the process's UTS namespace, asked by a helper that joins it (nsenter(1)). */
export function hostnameOf(pid: number): string {
  const r = spawnSync('nsenter', [`--uts=/proc/${pid}/ns/uts`, 'hostname'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `(nsenter failed: ${r.stderr.trim()})`;
}

/** The PIDs listed by the proc mounted at /proc inside the process's root, as the host reads them. */
export function pidsInsideProc(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/root/proc`).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** Host PIDs of every process in the PID namespace `link` — the host's view of that namespace. */
export function processesInPidNamespace(link: string): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => namespaceOf(p, 'pid') === link);
}

/** Whether two paths are the same file (device and inode). */
export function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Why a container never got to its command, as a hint naming the step:
 * the first rule whose pattern matches the runner's stderr. An unfinished
 * step names itself (todo() says "not done yet: 2.3 …").
 */
export function diagnose(stderr: string, rules: ReadonlyArray<readonly [RegExp, string]>): string {
  const todo = /not done yet: (\d+\.\d+)(?:[–-](\d+\.\d+))?/.exec(stderr);
  if (todo) return `your file still has TODO ${todo[1]} to do${todo[2] ? ` (to TODO ${todo[2]})` : ''}`;
  for (const [pattern, hint] of rules) if (pattern.test(stderr)) return hint;
  if (/setupContainer\(\) ended the process/.test(stderr)) return 'setupContainer() must return: the runner then execs the command as the container\'s first process';
  return 'read the runner\'s error above: it names the system call that failed';
}
