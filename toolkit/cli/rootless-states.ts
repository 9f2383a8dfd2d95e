/**
 * Rootless runs (chapter 6 without root) keep their state in the user's own
 * folders, not in root's RUN_DIR: $XDG_RUNTIME_DIR/workbook (/run/user/UID)
 * or /tmp/workbook-run-UID/workbook. Root's `npm run clean` does not clean
 * them — their cleanup is the user's, through their own uid's view — but it
 * must not say "nothing left" while they are there: it says what it found.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN_DIR } from '../paths.ts';

export interface RootlessStates {
  dir: string;
  uid: number;
  user: string;
  count: number;
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function userName(uid: number): string {
  try {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    return line?.split(':')[0] ?? `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

/** State folders of other users' rootless runs that hold state files, in the default places. */
export function rootlessStates(): RootlessStates[] {
  const candidates = [
    ...list('/run/user').map((u) => path.join('/run/user', u, 'workbook', 'containers')),
    ...list(os.tmpdir()).filter((n) => /^workbook-run-\d+$/.test(n)).map((n) => path.join(os.tmpdir(), n, 'workbook', 'containers')),
    ...list('/tmp').filter((n) => /^workbook-run-\d+$/.test(n)).map((n) => path.join('/tmp', n, 'workbook', 'containers')),
  ];
  const ours = path.join(RUN_DIR, 'containers');
  return [...new Set(candidates)].filter((d) => d !== ours).flatMap((dir) => {
    const count = list(dir).filter((n) => n.endsWith('.json')).length;
    if (count === 0) return [];
    const uid = fs.statSync(dir).uid;
    return [{ dir, uid, user: userName(uid), count }];
  });
}
