/** What the host looks like, to compare before, during and after a container. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';

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
 * Reads `read()` every 20 ms until `enough` says so or `ms` have passed, and returns the last
 * reading: processes take a moment to appear after a fork, and to vanish after a kill.
 */
export async function settle<T>(read: () => T, enough: (value: T) => boolean, ms = 2000): Promise<T> {
  let value = read();
  for (const deadline = Date.now() + ms; !enough(value) && Date.now() < deadline; value = read()) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return value;
}
