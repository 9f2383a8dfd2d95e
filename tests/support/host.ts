/** What the host looks like, to compare before, during and after a container. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { TIME_SCALE } from './container.ts';

export interface HostSnapshot {
  hostname: string;
  mounts: string[];
}

export function snapshotHost(): HostSnapshot {
  return {
    hostname: os.hostname(),
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n'),
  };
}

/** Lines in `b` not in `a`, and the other way round — empty when nothing changed. */
export function mountChanges(a: HostSnapshot, b: HostSnapshot): string[] {
  const inA = new Set(a.mounts);
  const inB = new Set(b.mounts);
  return [...b.mounts.filter((m) => !inA.has(m)).map((m) => `+ ${m}`), ...a.mounts.filter((m) => !inB.has(m)).map((m) => `- ${m}`)];
}

/** The test process's own namespace link, e.g. "pid:[4026531836]". */
export function hostNamespace(kind: string): string {
  return fs.readlinkSync(`/proc/self/ns/${kind}`);
}

/**
 * A file on the host, outside the rootfs, with unguessable content. It is made in a beforeAll and
 * removed in an afterAll (or by the returned remove()): made at import, it would outlive a run whose
 * name filter (-t, as the mutant proofs use) skips every check of the suite, since vitest then runs
 * neither hook. Call it at the top of a suite file, before the suite's own beforeAll that uses it.
 */
export function hostMarker(): { path: string; content: string; remove(): void } {
  const marker = {
    path: '',
    content: '',
    remove: () => {
      if (marker.path) fs.rmSync(marker.path, { force: true });
    },
  };
  beforeAll(() => {
    marker.content = `host-secret-${crypto.randomBytes(8).toString('hex')}`;
    marker.path = path.join('/tmp', `workbook-marker-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    fs.writeFileSync(marker.path, `${marker.content}\n`);
  });
  afterAll(marker.remove);
  return marker;
}

/** PIDs of host processes whose command line is exactly `command` — how a check recognises a container's process from outside. */
export function processesWith(command: string): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    try {
      return fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0').join(' ').trim() === command ? [Number(n)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Reads `read()` every 20 ms until `enough` says so or `ms` × WORKBOOK_TIME_SCALE have passed, and
 * returns the last reading: processes take a moment to appear after a fork, and to vanish after a
 * kill — longer under software emulation (the learners' VM test), where 50 orphans take more than 10 s to go.
 */
export async function settle<T>(read: () => T, enough: (value: T) => boolean, ms = 2000): Promise<T> {
  let value = read();
  for (const deadline = Date.now() + ms * TIME_SCALE; !enough(value) && Date.now() < deadline; value = read()) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return value;
}

/**
 * Whether process `pid` has a handler installed for each of `signals` — the kernel's own record,
 * the SigCgt mask of /proc/PID/status (bit N-1 for signal N, proc(5)). A PID namespace's init gets
 * only the signals it has a handler for (pid_namespaces(7)): a check that signals a container's
 * PID 1 waits for this first, since the app can print "ready" before PID 1 has installed them.
 */
export function handlesSignals(pid: number, signals: readonly NodeJS.Signals[]): boolean {
  let mask: bigint;
  try {
    const hex = /^SigCgt:\s+([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (hex === undefined) return false;
    mask = BigInt(`0x${hex}`);
  } catch {
    return false; // gone
  }
  return signals.every((s) => ((mask >> BigInt(os.constants.signals[s] - 1)) & 1n) === 1n);
}

/**
 * Waits (up to `ms`) until PID 1 `pid` handles `signals`, or is gone. Returns whether it does: a
 * PID 1 that never installs them (no init, or one that forwards nothing) costs the whole wait, and
 * then the check goes on and sees the signal dropped.
 */
export async function untilHandled(pid: number | null, signals: readonly NodeJS.Signals[], ms = 5000): Promise<boolean> {
  if (pid === null) return false;
  return settle(() => handlesSignals(pid, signals) || !fs.existsSync(`/proc/${pid}`), Boolean, ms).then(() => handlesSignals(pid, signals));
}
