/**
 * `stop`, docker's way: SIGTERM to the container's first process, a grace
 * period, then SIGKILL. The first process is signalled through a pidfd after
 * its identity (PID, start time, PID namespace) is checked, never by PID
 * alone. Its runner sees it end and runs the container's cleanup; stop
 * returns once that runner is gone, so "stopped" means "cleaned up".
 */
import { SIGKILL } from '../kernel/index.ts';
import { killIfStillRuns } from '../runtime/identity.ts';
import { runnerLives, type ContainerState } from '../runtime/state.ts';

export const DEFAULT_GRACE_SECONDS = 10;
const SIGTERM = 15;

export type StopResult = 'stopped' | 'killed';

/** What `stop` says of a kill. -t 0 is docker's "no grace": SIGKILL follows SIGTERM at once, nothing was outlived. */
export const killedHow = (graceSeconds: number) =>
  graceSeconds === 0 ? 'killed: SIGKILL right after SIGTERM, as -t 0 asks' : `killed: still running ${graceSeconds} s after SIGTERM`;

export async function stopContainer(state: ContainerState, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<StopResult> {
  const signal = (n: number) => (state.process ? killIfStillRuns(state.process, n) : false);
  signal(SIGTERM);
  if (await runnerEnds(state, graceSeconds * 1000)) return 'stopped';
  signal(SIGKILL);
  // After SIGKILL only the cleanup is left to wait for (overlay, cgroup, network: seconds at most).
  if (await runnerEnds(state, 30_000)) return 'killed';
  throw new Error(`container ${state.container.name} (${state.container.id}): its runner ${state.runner} still runs 30 s after SIGKILL`);
}

async function runnerEnds(state: ContainerState, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (!runnerLives(state)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !runnerLives(state);
}
