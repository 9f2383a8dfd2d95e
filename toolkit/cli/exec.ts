/**
 * npm run exec NAME -- COMMAND [ARG…] — runs one more process in a running
 * container (docker exec): its namespaces, cgroup, root, working directory
 * and environment. See toolkit/init/exec.ts.
 */
import { execInContainer } from '../init/exec.ts';
import { findRecord, findRunning } from '../lifecycle/records.ts';
import { UsageError } from '../runtime/errors.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

runLifecycleCommand('usage: npm run exec NAME -- COMMAND [ARG…]', async (argv) => {
  const [ref, ...rest] = argv;
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  if (ref === undefined || ref.startsWith('-')) throw new UsageError('Expected the name or ID of a running container, then the command (npm run exec NAME -- COMMAND)');
  if (command.length === 0) throw new UsageError(`Expected a command to run in ${ref} (npm run exec ${ref} -- COMMAND)`);
  const state = findRunning(ref);
  if (state === undefined) {
    const stopped = findRecord(ref);
    throw new UsageError(stopped ? `container ${ref} is not running (it exited; npm run ps -- -a)` : `no running container named ${ref} (npm run ps lists them)`);
  }
  return execInContainer(state, command);
});
