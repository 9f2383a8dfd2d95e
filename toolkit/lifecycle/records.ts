/**
 * What outlives a detached container's run: docker keeps a stopped container
 * (its name, command, exit status and logs) until `docker rm`. Here each
 * detached container has a folder, RUN_DIR/lifecycle/ID/:
 *
 *   detached.json   name, image, command, when it started, its runner
 *   output.log      what it wrote, bounded (see BoundedLog); output.log.1 the part before
 *   exited.json     its exit status and when, once it has ended
 *
 * A running container is the runner's state file (runtime/state.ts); these
 * folders only add what `ps -a`, `logs` and `rm` need after the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RUN_DIR } from '../paths.ts';
import type { Container } from '../runtime/container.ts';
import { listStates, runnerLives, type ContainerState } from '../runtime/state.ts';

export const LIFECYCLE_DIR = path.join(RUN_DIR, 'lifecycle');

export interface DetachedRecord {
  id: string;
  name: string;
  image: string;
  command: readonly string[];
  /** ms since the epoch. */
  started: number;
}

export interface ExitRecord {
  code: number;
  finished: number;
}

export function recordDir(id: string): string {
  return path.join(LIFECYCLE_DIR, id);
}

export function logFile(id: string): string {
  return path.join(recordDir(id), 'output.log');
}

export function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value));
  fs.renameSync(`${file}.tmp`, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function createRecord(c: Container): DetachedRecord {
  const record: DetachedRecord = { id: c.id, name: c.name, image: c.image ?? 'demo', command: c.command, started: Date.now() };
  fs.mkdirSync(recordDir(c.id), { recursive: true, mode: 0o700 });
  writeJson(path.join(recordDir(c.id), 'detached.json'), record);
  return record;
}

export function writeExit(id: string, code: number): void {
  writeJson(path.join(recordDir(id), 'exited.json'), { code, finished: Date.now() } satisfies ExitRecord);
}

export function readExit(id: string): ExitRecord | undefined {
  return readJson<ExitRecord>(path.join(recordDir(id), 'exited.json'));
}

export function listRecords(): DetachedRecord[] {
  let ids: string[];
  try {
    ids = fs.readdirSync(LIFECYCLE_DIR);
  } catch {
    return [];
  }
  return ids.flatMap((id) => {
    const r = readJson<DetachedRecord>(path.join(recordDir(id), 'detached.json'));
    return r ? [r] : [];
  });
}

export function removeRecord(id: string): void {
  fs.rmSync(recordDir(id), { recursive: true, force: true });
}

/** The containers running now: state files whose runner lives. */
export function runningStates(): ContainerState[] {
  return listStates().filter(runnerLives);
}

/** A running container by name, or by ID (or a unique prefix of one, as docker allows). */
export function findRunning(ref: string): ContainerState | undefined {
  const running = runningStates();
  return running.find((s) => s.container.name === ref) ?? uniquePrefix(running.map((s) => [s.container.id, s] as const), ref);
}

/** A detached container, running or stopped: the newest with that name, or by ID prefix. */
export function findRecord(ref: string): DetachedRecord | undefined {
  const records = listRecords().sort((a, b) => b.started - a.started);
  return records.find((r) => r.name === ref) ?? uniquePrefix(records.map((r) => [r.id, r] as const), ref);
}

function uniquePrefix<T>(entries: readonly (readonly [string, T])[], ref: string): T | undefined {
  if (!/^[0-9a-f]{3,}$/.test(ref)) return undefined;
  const hits = entries.filter(([id]) => id.startsWith(ref));
  return hits.length === 1 ? hits[0]![1] : undefined;
}
