/**
 * When whoever started the runner dies, the container must end too. `npm run
 * chapter` starts the runner through a shell (npm → sh -c → node); a SIGTERM
 * to npm kills npm and the shell but never reaches the runner, which the
 * kernel re-parents to init, and the container runs on with no one to stop it.
 *
 * Two guards, both ending in the runner's own SIGTERM handling (signals.ts:
 * forwarded to the container, SIGKILL after the stop timeout — as if the user
 * had sent it):
 *   - PR_SET_PDEATHSIG(SIGTERM) on the runner: the kernel signals it the
 *     moment its parent (the shell, or npm) exits (prctl(2));
 *   - a watch, twice a second, on each ancestor above the parent up to npm,
 *     by identity (PID and start time, identity.ts): npm SIGKILLed leaves the
 *     shell waiting, and no parent-death signal comes.
 * A runner that is a session leader (setsid(2), a detached container) has
 * chosen to outlive its starter and is not watched.
 */
import fs from 'node:fs';
import { PR_SET_PDEATHSIG } from '../kernel/constants.ts';
import { libc } from '../kernel/libc.ts';
import { identify, stillRuns, type ProcessIdentity } from './identity.ts';

const prctl = libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
const SIGTERM = 15;

function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** When npm started us: each ancestor above the parent, up to npm itself (the parent has PR_SET_PDEATHSIG). */
function ancestorsToWatch(): (ProcessIdentity & { name: string })[] {
  const chain: (ProcessIdentity & { name: string })[] = [];
  const underNpm = process.env.npm_lifecycle_event !== undefined;
  for (let pid = process.ppid, hops = 0; pid > 1 && hops < 8; hops++) {
    const who = identify(pid);
    if (who === null) break;
    chain.push({ ...who, name: commandLine(pid).split(' ')[0] || 'process' });
    // npm names itself "npm run chapter …" (process.title); under node it is …/npm-cli.js.
    if (!underNpm || /^npm( |$)|npm-cli\.js/.test(commandLine(pid))) break;
    pid = Number(statFields(pid)?.[1] ?? 0);
  }
  return chain.slice(1);
}

/** Starts both guards; `gone(why)` is called once, when a watched ancestor is gone. Returns a function that stops the watch. */
export function watchParent(gone: (why: string) => void): () => void {
  const session = Number(statFields(process.pid)?.[3]);
  if (session === process.pid) return () => {};
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  const watched = ancestorsToWatch();
  // Started by npm and already init's child: npm and its shell died before the prctl.
  const orphaned = process.env.npm_lifecycle_event !== undefined && process.ppid === 1;
  const check = () => {
    const lost = orphaned ? { pid: 1, startTime: '' } : watched.find((p) => !stillRuns(p));
    if (lost === undefined) return;
    clearInterval(timer);
    gone(orphaned ? 'npm, which started this run, is gone' : `${'name' in lost ? lost.name : 'npm'} (PID ${lost.pid}), which started this run, is gone`);
  };
  const timer = setInterval(check, 500);
  timer.unref();
  check();
  return () => {
    clearInterval(timer);
    // The cleanup after the run must not be cut short by a signal: the container is gone by then.
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  };
}
