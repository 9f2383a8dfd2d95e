/**
 * npm run exec [-i] [-t] [--user USER] NAME -- COMMAND [ARG…] — runs one more
 * process in a running container (docker exec): its namespaces, cgroup, root,
 * working directory and environment; -i passes our stdin, -t gives it a
 * terminal, --user runs it as a user of the container. See toolkit/init/exec.ts.
 */
import { execInContainer, type ExecOptions } from '../init/exec.ts';
import { findRecord, findRunning } from '../lifecycle/records.ts';
import { UsageError } from '../runtime/errors.ts';
import { shown } from '../runtime/options.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

const USAGE = 'usage: npm run exec [-i] [-t] [--user USER[:GROUP]] NAME -- COMMAND [ARG…]';

runLifecycleCommand(USAGE, async (argv) => {
  // docker exec's options, before the name: -i, -t (or -it), -u/--user.
  const options: ExecOptions = {};
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--'; i++) {
    const arg = argv[i]!;
    if (arg === '--user' || arg === '-u' || arg.startsWith('--user=')) {
      options.user = arg.startsWith('--user=') ? arg.slice(7) : argv[++i];
      if (!options.user) throw new UsageError(`Expected a user after --user (${USAGE})`);
    }
    else if (/^-[it]+$/.test(arg)) {
      if (arg.includes('i')) options.interactive = true;
      if (arg.includes('t')) options.tty = true;
    } else throw new UsageError(`Unknown option ${arg} (${USAGE})`);
  }
  const [ref, ...rest] = argv.slice(i);
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  if (ref === undefined || ref.startsWith('-')) throw new UsageError('Expected the name or ID of a running container, then the command (npm run exec NAME -- COMMAND)');
  if (command.length === 0) throw new UsageError(`Expected a command to run in ${ref} (npm run exec ${ref} -- COMMAND)`);
  const state = findRunning(ref);
  if (state === undefined) {
    const stopped = findRecord(ref);
    throw new UsageError(stopped ? `container ${ref} is not running (it exited; npm run ps -- -a)` : `no running container named ${shown(ref)} (npm run ps lists them)`);
  }
  return execInContainer(state, command, options);
});
