/**
 * A small file per running container in RUN_DIR, so that `npm run clean`
 * can find what a crashed or killed runner left behind and undo it. Each
 * cleanup step of its stack (stack.ts) must work from these facts alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RUN_DIR } from '../paths.ts';
import type { Container } from './container.ts';
import { detachLeakedMounts } from './leaks.ts';
import { identify, killIfStillRuns, stillRuns, type ProcessIdentity } from './identity.ts';
import { loadStack, runCleanup, type StackFiles } from './sequence.ts';

export interface ContainerState {
  /** The runner's PID: while it lives, the container is not stale. */
  runner: number;
  /** The top chapter's file (the one run). */
  chapterFile: string;
  /** Every file of the container's stack (sequence.ts): their cleanup steps undo its host changes. */
  stack?: StackFiles;
  container: Container;
  /** The runner's start time (/proc/PID/stat field 22): with `runner`, which process that was (identity.ts). */
  runnerStart?: string;
  /** The container's first process, as the host sees it, once known. */
  pid?: number;
  /** Which process `pid` was: its start time and PID namespace, checked before any signal (identity.ts). */
  process?: ProcessIdentity;
  /** IDs of the mounts under the rootfs before the run: only mounts not among them are the run's leaks (leaks.ts). */
  mountsBefore?: number[];
  /**
   * The runner's network namespace: the host side of a container's network
   * (chapter 5) lives there, and only a cleanup from there can remove it.
   */
  netns?: string;
}

const dir = path.join(RUN_DIR, 'containers');

export function stateFile(id: string): string {
  return path.join(dir, `${id}.json`);
}

export function writeState(state: ContainerState): void {
  state.netns ??= fs.readlinkSync('/proc/self/ns/net');
  state.runnerStart ??= identify(state.runner)?.startTime;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = stateFile(state.container.id);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}

export function removeState(id: string): void {
  fs.rmSync(stateFile(id), { force: true });
}

export function listStates(): ContainerState[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as ContainerState];
    } catch {
      return [];
    }
  });
}

/** Whether any process still holds the network namespace `link` ("net:[4026532…]"). */
function networkNamespaceExists(link: string): boolean {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/ns/net`) === link) return true;
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the runner that wrote `state` still runs: the same PID and, where
 * recorded, the same start time — a newcomer with the dead runner's PID is not it.
 */
export function runnerLives(state: ContainerState): boolean {
  if (state.runnerStart === undefined) return isAlive(state.runner);
  return stillRuns({ pid: state.runner, startTime: state.runnerStart });
}

/**
 * Undo what containers of dead runners left (a runner killed with SIGKILL
 * cannot clean up after itself): kill their first process if it still
 * lives (the same process, not only the same PID), run the cleanup steps of their stack (sequence.ts), forget them. Called by every
 * runner at start and by `npm run clean`.
 */
export async function reapStaleContainers(say: (line: string) => void): Promise<void> {
  const here = fs.readlinkSync('/proc/self/ns/net');
  for (const state of listStates()) {
    if (runnerLives(state)) continue;
    // Left by a runner in another network namespace that still exists: its cleanup belongs there.
    if (state.netns !== undefined && state.netns !== here && networkNamespaceExists(state.netns)) continue;
    // Only the recorded process itself: its PID may belong to someone else by now (identity.ts).
    if (state.process !== undefined) killIfStillRuns(state.process);
    try {
      runCleanup(await loadStack(state.stack ?? {}), state.container);
      if (state.mountsBefore !== undefined) detachLeakedMounts(state.container.rootfs, state.mountsBefore, say);
      say(`cleaned up container ${state.container.id}, left by a runner that was killed`);
    } catch (error) {
      // A chapter's unfinished cleanup step must not block every later run: forget the record;
      // what it left (cgroups, directories) is found on the machine itself by `npm run clean`.
      say(`container ${state.container.id} (left by a killed runner): a cleanup step failed: ${(error as Error).message}; run npm run clean`);
    }
    removeState(state.container.id);
  }
}
