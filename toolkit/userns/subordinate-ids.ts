/**
 * /etc/subuid and /etc/subgid grant ordinary users ranges of host IDs that
 * they may map into user namespaces they create — through the setuid helpers
 * newuidmap(1) and newgidmap(1), which check these files. One grant per line,
 * "USER:FIRST:COUNT", USER being a login name or a numeric ID. useradd(8)
 * hands each new user 65536 of them (SUB_UID_MIN… in /etc/login.defs).
 * https://man7.org/linux/man-pages/man5/subuid.5.html
 */
import fs from 'node:fs';
import os from 'node:os';
import type { IdKind } from './id-maps.ts';
import { ownId } from './id-maps.ts';

export interface Grant {
  readonly first: number;
  readonly count: number;
}

export function grantsFile(kind: IdKind): string {
  return kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
}

/** The runner's login name, or its uid if it has none (a uid without a passwd entry). */
export function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(ownId('uid'));
  }
}

/** The ranges `grantsFile(kind)` grants the runner's user (by name or by uid). */
export function grantedRanges(kind: IdKind): Grant[] {
  let text = '';
  try {
    text = fs.readFileSync(grantsFile(kind), 'utf8');
  } catch {
    return []; // no such file: nothing granted
  }
  const names = new Set([userName(), String(ownId('uid'))]);
  return text.split('\n').flatMap((line) => {
    const [user, first, count] = line.trim().split(':');
    if (user === undefined || !names.has(user) || !/^\d+$/.test(first ?? '') || !/^\d+$/.test(count ?? '')) return [];
    return [{ first: Number(first), count: Number(count) }];
  });
}
