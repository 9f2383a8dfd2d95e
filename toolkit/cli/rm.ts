/**
 * npm run rm NAME… [-- -f] — forgets a stopped detached container: its
 * record and its log. A running one is refused, unless -f: then it is
 * stopped first (SIGKILL at once, as `docker rm -f`).
 */
import { findRecord, findRunning, removeRecord } from '../lifecycle/records.ts';
import { stopContainer } from '../lifecycle/stop.ts';
import { UsageError } from '../runtime/errors.ts';
import { shown } from '../runtime/options.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

runLifecycleCommand('usage: npm run rm NAME… [-- -f]', async (argv) => {
  const force = argv.includes('-f') || argv.includes('--force');
  const refs = argv.filter((a) => a !== '-f' && a !== '--force');
  const bad = refs.find((a) => a.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`Unknown option ${bad} (npm run rm NAME… [-- -f])`);
  if (refs.length === 0) throw new UsageError('Expected the name or ID of a stopped container (npm run ps -- -a lists them)');
  for (const ref of refs) {
    const running = findRunning(ref);
    if (running !== undefined) {
      if (!force) throw new UsageError(`${ref} is running: stop it first (npm run stop ${ref}), or npm run rm -- -f ${ref}`);
      await stopContainer(running, 0);
    }
    const record = findRecord(running?.container.id ?? ref);
    if (record === undefined) {
      if (running !== undefined) { console.log(ref); continue; } // a foreground container: stopped, nothing kept
      throw new UsageError(`no container named ${shown(ref)} (npm run ps -- -a lists them)`);
    }
    removeRecord(record.id);
    console.log(ref);
  }
  return 0;
});
