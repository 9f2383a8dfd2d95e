/**
 * npm run logs NAME [-- -f] — what a detached container wrote (stdout and
 * stderr, in order), kept while it runs and after, until `rm`. -f follows the
 * log until the container ends.
 */
import fs from 'node:fs';
import { readLog } from '../lifecycle/bounded-log.ts';
import { findRecord, logFile, readExit } from '../lifecycle/records.ts';
import { UsageError } from '../runtime/errors.ts';
import { shown } from '../runtime/options.ts';
import { runLifecycleCommand } from './lifecycle-command.ts';

runLifecycleCommand('usage: npm run logs NAME [-- -f]', async (argv) => {
  const follow = argv.includes('-f') || argv.includes('--follow');
  const refs = argv.filter((a) => a !== '-f' && a !== '--follow');
  const bad = refs.find((a) => a.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`Unknown option ${bad} (npm run logs NAME [-- -f])`);
  if (refs.length !== 1) throw new UsageError('Expected the name or ID of one detached container (npm run ps -- -a lists them)');
  const record = findRecord(refs[0]!);
  if (record === undefined) throw new UsageError(`no detached container named ${shown(refs[0]!)} (npm run ps -- -a lists them)`);
  const file = logFile(record.id);
  // The size first, then the text: whatever arrives in between is printed by -f, not lost.
  let offset = size(file);
  process.stdout.write(readLog(file).subarray(0, offset + size(`${file}.1`)));
  if (!follow) return 0;
  // Follow: print what is new every 100 ms (a rotation starts the file from nothing).
  for (;;) {
    const ended = readExit(record.id) !== undefined || !fs.existsSync(file);
    const now = size(file);
    if (now < offset) offset = 0; // rotated: the new file starts from nothing
    if (now > offset) {
      const fd = fs.openSync(file, 'r');
      const chunk = Buffer.alloc(now - offset);
      fs.readSync(fd, chunk, 0, chunk.length, offset);
      fs.closeSync(fd);
      process.stdout.write(chunk);
      offset = now;
    }
    if (ended) return 0;
    await new Promise((r) => setTimeout(r, 100));
  }
});

function size(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
