/**
 * npm run stop NAME… [-t SECONDS] — SIGTERM, then SIGKILL after the grace
 * period (default 10 s, as docker's), and the container's cleanup runs.
 */
import chalk from 'chalk';
import { findRunning } from '../lifecycle/records.ts';
import { DEFAULT_GRACE_SECONDS, killedHow, stopContainer } from '../lifecycle/stop.ts';
import { UsageError } from '../runtime/errors.ts';
import { parsePositiveInteger, shown } from '../runtime/options.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

runLifecycleCommand('usage: npm run stop NAME… [-- -t SECONDS]', async (argv) => {
  let grace = DEFAULT_GRACE_SECONDS;
  const refs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-t' || arg === '--time') {
      const value = argv[++i];
      grace = value === '0' ? 0 : parsePositiveInteger(arg, value ?? '');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option ${arg} (npm run stop NAME… [-- -t SECONDS])`);
    } else {
      refs.push(arg);
    }
  }
  if (refs.length === 0) throw new UsageError('Expected the name or ID of a running container (npm run ps lists them)');
  const states = refs.map((ref) => {
    const state = findRunning(ref);
    if (state === undefined) throw new UsageError(`no running container named ${shown(ref)} (npm run ps lists them)`);
    return state;
  });
  for (const state of states) {
    const how = await stopContainer(state, grace);
    console.log(how === 'stopped' ? state.container.name : `${state.container.name} ${chalk.yellow(`(${killedHow(grace)})`)}`);
  }
  return 0;
});
