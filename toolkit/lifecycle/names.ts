/**
 * A name means one running container (docker's --name), so `stop web` and
 * `exec web` cannot hit the wrong one. The check and the runner's first state
 * file are written under one flock(2), so two runs started at the same moment
 * cannot both take the name; the kernel drops the lock if the holder dies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LOCK_EX, LOCK_UN, flock } from '../kernel/flock.ts';
import { RUN_DIR } from '../paths.ts';
import type { Container } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { runningStates } from './records.ts';

export function withNameLock<T>(fn: () => T): T {
  fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  const file = path.join(RUN_DIR, 'names.lock');
  const fd = fs.openSync(file, 'a');
  try {
    flock(fd, LOCK_EX, JSON.stringify(file));
    try {
      return fn();
    } finally {
      flock(fd, LOCK_UN, JSON.stringify(file));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws one line if another running container already has c's name. */
export function refuseTakenName(c: Pick<Container, 'id' | 'name'>): void {
  const other = runningStates().find((s) => s.container.name === c.name && s.container.id !== c.id);
  if (other !== undefined) {
    throw new UsageError(`a container named ${c.name} is already running (ID ${other.container.id}): stop it first, or choose another --name`);
  }
}
