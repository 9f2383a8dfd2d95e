/**
 * cgroupfs is driven by reading and writing small files (cgroups(7)). A
 * write the kernel refuses fails like a system call, so it is reported like
 * one: write("/sys/fs/cgroup/…/memory.max", "12X"): EINVAL.
 */
import fs from 'node:fs';
import { SyscallError } from '../kernel/error.ts';
import { errnoNumber } from '../kernel/errno.ts';
import { pauseForTest } from '../test-pause.ts';

function asSyscallError(error: unknown, syscall: string, args: string[]): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || !e.code.startsWith('E')) return error;
  try {
    return new SyscallError(syscall, errnoNumber(e.code), args);
  } catch {
    return error;
  }
}

export function writeCgroupFile(file: string, value: string | number): void {
  try {
    fs.writeFileSync(file, String(value));
  } catch (error) {
    throw asSyscallError(error, 'write', [JSON.stringify(file), JSON.stringify(String(value))]);
  }
}

export function readCgroupFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw asSyscallError(error, 'read', [JSON.stringify(file)]);
  }
}

/** Files of "key value" lines — memory.events, cpu.stat, memory.oom_control, pids.events. */
export function readKeyedFile(file: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of readCgroupFile(file).split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) result[key] = Number(value);
  }
  return result;
}

export function makeCgroupDir(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    throw asSyscallError(error, 'mkdir', [JSON.stringify(dir)]);
  }
  pauseForTest('after-cgroup');
}

/**
 * rmdir(2) of a cgroup fails with EBUSY while it still has tasks. After the
 * container's PID 1 dies the kernel kills the rest of its PID namespace, but
 * their exit takes a moment: try again for up to `timeoutMs`.
 */
export function removeCgroupDir(dir: string, timeoutMs = 3000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw asSyscallError(error, 'rmdir', [JSON.stringify(dir)]);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
