/**
 * Which process a state file means. A PID alone does not say: after the
 * runner is killed and the container with it, the number can go to any
 * unrelated process. So the runner records, with each PID, the process's
 * start time (/proc/PID/stat field 22, in clock ticks since boot: two
 * processes with the same PID never share it) and its PID namespace. The
 * reaper signals only a process that still matches both, through a pidfd
 * opened before the check, so it cannot be swapped between check and kill.
 */
import fs from 'node:fs';
import { SIGKILL, isSyscallError, pidfdOpen, pidfdSendSignal } from '../kernel/index.ts';

export interface ProcessIdentity {
  readonly pid: number;
  /** /proc/PID/stat field 22, starttime (proc(5)). */
  readonly startTime: string;
  /** /proc/PID/ns/pid, "pid:[4026532…]"; absent where it could not be read. */
  readonly pidns?: string;
}

/** Who `pid` is now, or null if no such process (a zombie counts as gone). */
export function identify(pid: number): ProcessIdentity | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const startTime = fields[19]!; // field 22 overall: fields[0] is field 3
  let pidns: string | undefined;
  try {
    pidns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    // not ours to inspect (another user's process): the start time must do
  }
  return { pid, startTime, ...(pidns !== undefined ? { pidns } : {}) };
}

/** Whether the process `recorded` still runs: same PID, same start time, same PID namespace. */
export function stillRuns(recorded: ProcessIdentity): boolean {
  const now = identify(recorded.pid);
  return now !== null && sameProcess(recorded, now);
}

function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.startTime === b.startTime && (a.pidns === undefined || b.pidns === undefined || a.pidns === b.pidns);
}

/**
 * SIGKILL to `recorded` if it is still that process; returns whether it was
 * sent. Whoever has the PID now, if it is not the recorded process, is left alone.
 */
export function killIfStillRuns(recorded: ProcessIdentity, signal = SIGKILL): boolean {
  return killIf(recorded.pid, () => stillRuns(recorded), signal);
}

/**
 * Signals `pid` through a pidfd if `isIt()` — asked after the pidfd is open, so
 * it judges the very process the signal reaches — says it is the one meant.
 */
export function killIf(pid: number, isIt: () => boolean, signal = SIGKILL): boolean {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch (error) {
    if (isSyscallError(error, 'ESRCH')) return false; // gone
    throw error;
  }
  try {
    // The pidfd holds the process that had the PID when it was opened; /proc/PID now shows that
    // same process, or (if it has died since) another or none — then the identity cannot match.
    if (!isIt()) return false;
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (error) {
    if (isSyscallError(error, 'ESRCH')) return false;
    throw error;
  } finally {
    fs.closeSync(pidfd);
  }
}
