/**
 * Builds nsexec.c (the single-threaded stage) with the system's C compiler,
 * once per version of its source, into the project's cache.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR } from '../paths.ts';
import { UsageError } from './errors.ts';

const SOURCE = fileURLToPath(new URL('./nsexec.c', import.meta.url));

export function nsexecBinary(): string {
  return buildCStage(SOURCE, 'nsexec');
}

/** Any of the workbook's single-threaded C stages (nsexec.c, init/nsenter.c): CACHE_DIR/NAME-HASH. */
export function buildCStage(SOURCE: string, name: string): string {
  const source = fs.readFileSync(SOURCE);
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 16);
  const binary = path.join(CACHE_DIR, `${name}-${hash}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', tmp, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new UsageError(`a C compiler (cc) is needed to build ${name}, a single-threaded stage: apt-get install gcc`);
    throw new UsageError(`cc ${SOURCE} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, binary);
  return binary;
}
