/**
 * -d: the container runs in the background, like `docker run -d`. This
 * process (the one at the terminal) starts a background runner in a session
 * of its own — setsid(2), so closing the terminal sends it no SIGHUP — waits
 * until the container's first process exists, prints the container's ID and
 * leaves. The background runner is an ordinary runner (runtime/run.ts) whose
 * container writes into a bounded log instead of a terminal.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT } from '../paths.ts';
import type { Container, IdMapping, JoinedNamespace } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { shown } from '../runtime/options.ts';
import { stillRuns } from '../runtime/identity.ts';
import type { StackFiles } from '../runtime/sequence.ts';
import { listStates } from '../runtime/state.ts';
import { readLog } from './bounded-log.ts';
import { createRecord, findRecord, findRunning, logFile, recordDir, removeRecord } from './records.ts';
import { refuseTakenName, withNameLock } from './names.ts';

const BACKGROUND = fileURLToPath(new URL('./background.ts', import.meta.url));

/** Starts `c` in the background; resolves to this process's exit status once it runs (0) or has failed. */
export async function startDetached(files: StackFiles, c: Container): Promise<number> {
  withNameLock(() => refuseTakenName(c)); // the runner checks again, under the same lock
  createRecord(c);
  const runnerLog = fs.openSync(path.join(recordDir(c.id), 'runner.log'), 'a', 0o600);
  // Through the toolkit's cached build (toolkit/run.mjs), as npm run chapter itself: no tsx on the way.
  const runner = spawn(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), BACKGROUND], {
    detached: true, // setsid(2): a session and process group of its own, no controlling terminal
    stdio: ['ignore', runnerLog, runnerLog],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: '', WORKBOOK_DETACHED: JSON.stringify({ files, container: c }) },
  });
  fs.closeSync(runnerLog);
  let ended: number | null = null;
  runner.once('exit', (code, signal) => (ended = code ?? (signal ? 128 : 1)));

  // Running = the runner's state file knows the first process's PID.
  for (;;) {
    if (listStates().some((s) => s.container.id === c.id && s.pid !== undefined && s.runner === runner.pid)) break;
    if (ended !== null) {
      const output = `${readLog(logFile(c.id)).toString()}${fs.readFileSync(path.join(recordDir(c.id), 'runner.log'), 'utf8')}`.trim();
      removeRecord(c.id);
      if (output) process.stderr.write(`${output}\n`);
      return ended === 0 ? 125 : ended;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  runner.unref();
  console.log(c.id);
  return 0;
}


/**
 * --network/--ipc/--pid container:NAME: the running container NAME's namespace of that kind,
 * as its first process has it now. One line if NAME is not running. A pod shares one user
 * namespace too (as Kubernetes gives a pod one): the namespaces joined are owned by NAME's, and
 * only a member of it may administer them (user_namespaces(7)), so it is joined first, with its maps.
 */
export function resolveJoins(join: Readonly<Record<string, string>>): Pod {
  const states = Object.entries(join).map(([kind, name]) => {
    const state = findRunning(name);
    if (state?.pid === undefined || state.process === undefined || !stillRuns(state.process)) {
      // A stopped container has no namespaces left to join: say which of the two it is, as exec does.
      const why = findRecord(name) !== undefined ? `container ${name} is not running (it exited; npm run ps -- -a)` : `no running container named ${shown(name)} (npm run ps lists them)`;
      throw new UsageError(`--${kind === 'net' ? 'network' : kind} container:${name}: ${why}`);
    }
    return { kind, name, state, pid: state.pid };
  });
  const joined: Record<string, JoinedNamespace> = {};
  const users = new Set(states.map((s) => fs.readlinkSync(`/proc/${s.pid}/ns/user`)));
  if (users.size > 1) throw new UsageError(`a pod shares one user namespace: ${states.map((s) => s.name).join(' and ')} are in different ones`);
  const [owner] = states;
  if (owner !== undefined && fs.readlinkSync(`/proc/${owner.pid}/ns/user`) !== fs.readlinkSync('/proc/self/ns/user')) {
    joined.user = { container: owner.name, pid: owner.pid, link: fs.readlinkSync(`/proc/${owner.pid}/ns/user`) };
  }
  for (const s of states) joined[s.kind] = { container: s.name, pid: s.pid, link: fs.readlinkSync(`/proc/${s.pid}/ns/${s.kind}`) };
  return { join: joined, ...(joined.user !== undefined && owner ? { uidMap: owner.state.container.uidMap, gidMap: owner.state.container.gidMap } : {}) };
}

/** What a pod's container takes from the one it joins: the namespaces, and the ID maps of a joined user namespace. */
export interface Pod {
  join: Record<string, JoinedNamespace>;
  uidMap?: readonly IdMapping[];
  gidMap?: readonly IdMapping[];
}
