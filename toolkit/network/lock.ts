/**
 * One lock for the workbook's network, so that concurrent runners never pick
 * the same address, and one never deletes the bridge while another is
 * plugging a container into it. It is flock(2) on RUN_DIR/network/lock: the
 * kernel lets go of it when the holder dies, so a crash never leaves it held.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCK_EX, LOCK_UN, flock } from '../kernel/flock.ts';
import { RUN_DIR } from '../paths.ts';

export const NETWORK_DIR = path.join(RUN_DIR, 'network');

let depth = 0;

/** Runs `fn` holding the lock. Nested calls share the outer hold (a second flock by us would wait for ourselves). */
export function withNetworkLock<T>(fn: () => T): T {
  if (depth > 0) {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  }
  fs.mkdirSync(NETWORK_DIR, { recursive: true, mode: 0o700 });
  const file = path.join(NETWORK_DIR, 'lock');
  const fd = fs.openSync(file, 'a');
  try {
    flock(fd, LOCK_EX, JSON.stringify(file));
    depth++;
    try {
      return fn();
    } finally {
      depth--;
      flock(fd, LOCK_UN, JSON.stringify(file));
    }
  } finally {
    fs.closeSync(fd);
  }
}
