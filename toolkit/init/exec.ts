/**
 * exec: one more process in a running container, the way `docker exec` and
 * nsenter(1) do it — nothing is created, everything is joined:
 *
 *   exec command (Node, host)                      nsenter (C, single-threaded)
 *   namespacesToJoin(pid): which, in what order
 *   spawn nsenter --ns … --root … --cwd … ──────▶  "ready"
 *   joinCgroup(c, nsenter's pid)  ◀──────────────  waits
 *   "go" ──────────────────────────────────────▶  opens, setns(2) each, chroot, fork
 *                                    ◀───────────  "pid N"; the child execs the command
 *   wait, pass signals on  ◀───────────────────── its exit status
 *
 * The two decisions are the chapter's steps (8.5, 8.6); the C stage only
 * performs them, because Node cannot join a mount or user namespace.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { importChapter } from '../build/chapter.ts';
import { processEnv } from '../image/process.ts';
import { resolveUser } from '../image/users.ts';
import type { SockFilter } from '../kernel/seccomp.ts';
import { joinDevicesCgroup } from './stack.ts';
import type { Container, IdMapping } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { stillRuns } from '../runtime/identity.ts';
import { buildCStage } from '../runtime/nsexec.ts';
import type { ContainerState } from '../runtime/state.ts';
import { LineReader } from '../runtime/sync-socket.ts';
import { requireMapped } from '../userns/id-maps.ts';

const SOURCE = fileURLToPath(new URL('./nsenter.c', import.meta.url));

/** What a chapter file exports for exec (chapter 8). */
export interface ExecSteps {
  namespacesToJoin?(pid: number): string[];
  joinCgroup?(c: Container, pid: number): void;
}

/** The exec steps of the container's stack: those of its top chapter that has them (chapter 8's, also under chapter 9). */
async function execStepsOf(state: ContainerState): Promise<ExecSteps> {
  const files = Object.entries(state.stack ?? {}).sort(([a], [b]) => Number(b) - Number(a)).map(([, f]) => f);
  for (const file of [state.chapterFile, ...files]) {
    const steps = (await importChapter(file)) as ExecSteps;
    if (steps.namespacesToJoin !== undefined) return steps;
  }
  return {};
}

export function nsenterBinary(): string {
  return buildCStage(SOURCE, 'nsenter');
}

/** docker exec's options: -i (our stdin to it), -t (a terminal), --user (a user of the container). */
export interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  user?: string;
}

/**
 * One of the container's account files, read from the host through /proc/PID/root. Its files are
 * the container's to make: a symlink there would be followed from the host's root, so none is
 * (lstat of etc/, O_NOFOLLOW on the file). Absent: null, as for an image without one.
 */
function readContainerFile(pid: number, name: 'passwd' | 'group'): string | null {
  const etc = `/proc/${pid}/root/etc`;
  try {
    if (!fs.lstatSync(etc).isDirectory()) return null;
    const fd = fs.openSync(`${etc}/${name}`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return null;
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UsageError(`--user: /etc/${name} in the container is a symlink, which the exec command does not follow from the host`);
    return null;
  }
}

/**
 * The container's privileges (chapter 7) for the exec'd process, as the kernel shows them on its
 * PID 1 (/proc/PID/status): the bounding set, no_new_privs, and — when PID 1 is filtered — the
 * same seccomp program, built again by the stack's chapter 7 (its filter cannot be read back).
 * docker exec does the same from the container's config.
 */
async function privilegeArgs(state: ContainerState, pid: number): Promise<string[]> {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1];
  const args = ['--caps', field('CapBnd') ?? '0'];
  if (field('NoNewPrivs') === '1') args.push('--no-new-privs');
  if (field('Seccomp') === '2') {
    const file = state.stack?.[7];
    const ch7 = file !== undefined ? ((await importChapter(file)) as { buildSeccompFilter?(arch: string): SockFilter[] }) : {};
    if (ch7.buildSeccompFilter === undefined) throw new UsageError(`container ${state.container.name} has a seccomp filter, and its stack no chapter 7 to build it again for exec`);
    const program = ch7.buildSeccompFilter(process.arch);
    // struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }, in this machine's byte order (little-endian).
    const bytes = Buffer.alloc(program.length * 8);
    program.forEach((f, i) => {
      bytes.writeUInt16LE(f.code, i * 8);
      bytes.writeUInt8(f.jt, i * 8 + 2);
      bytes.writeUInt8(f.jf, i * 8 + 3);
      bytes.writeUInt32LE(f.k >>> 0, i * 8 + 4);
    });
    args.push('--seccomp', bytes.toString('hex'));
  }
  return args;
}

/** The container PID 1's /proc/PID/uid_map or gid_map, the kernel's own: "INSIDE OUTSIDE COUNT" a line. */
function procIdMap(pid: number, kind: 'uid' | 'gid'): IdMapping[] {
  return fs.readFileSync(`/proc/${pid}/${kind}_map`, 'utf8').trim().split('\n').map((l) => {
    const [inside = 0, outside = 0, count = 0] = l.trim().split(/\s+/).map(Number);
    return { inside, outside, count };
  });
}

/** Runs `command` in the running container of `state`; resolves to its exit status. */
export async function execInContainer(state: ContainerState, command: readonly string[], options: ExecOptions = {}): Promise<number> {
  const c = state.container;
  const steps = await execStepsOf(state);
  if (steps.namespacesToJoin === undefined || steps.joinCgroup === undefined) {
    throw new UsageError(`container ${c.name} runs ${state.chapterFile}, which has no exec steps (exec is chapter 8's)`);
  }
  if (state.pid === undefined || state.process === undefined || !stillRuns(state.process)) {
    throw new UsageError(`container ${c.name} is not running (its first process is gone or not started yet)`);
  }
  const pid = state.pid;
  const namespaces = steps.namespacesToJoin(pid);
  // --user: resolved in the container's own /etc/passwd and /etc/group, as for the image's User (chapter 4).
  const user = options.user !== undefined ? resolveUser(options.user, readContainerFile(pid, 'passwd'), readContainerFile(pid, 'group')) : undefined;
  if (user !== undefined) {
    // An id the container's user namespace does not map: one line here, not nsenter's bare EINVAL.
    requireMapped('uid', [user.uid], procIdMap(pid, 'uid'), `--user ${options.user}`);
    requireMapped('gid', [user.gid, ...user.groups], procIdMap(pid, 'gid'), `--user ${options.user}`);
  }
  const args = [
    ...namespaces.flatMap((ns) => ['--ns', ns]), '--root', `/proc/${pid}/root`, '--cwd', `/proc/${pid}/cwd`,
    ...(user ? ['--user', [user.uid, user.gid, user.groups.join(',')].filter((x) => x !== '').join(':')] : []),
    ...(options.tty ? ['--tty'] : []),
    ...(await privilegeArgs(state, pid)),
    '--', ...command,
  ];
  const vars = user ? processEnv(c.env, user) : c.env;
  const env = Object.fromEntries(vars.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  // Without -i, stdin is /dev/null, as docker exec's (and a terminal's input goes nowhere).
  const child = spawn(nsenterBinary(), args, { stdio: [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit', 'pipe'], env });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
  // Passed on to nsenter, which passes them to the process in the container.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const sync = new LineReader(child.stdio[3] as Duplex);
    const ready = await Promise.race([sync.next(), exited.then(() => null)]);
    if (ready === 'ready') {
      try {
        steps.joinCgroup(c, child.pid!);
        joinDevicesCgroup(c, child.pid!);
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
      (child.stdio[3] as Duplex).write('go\n');
    }
    return await exited;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}
