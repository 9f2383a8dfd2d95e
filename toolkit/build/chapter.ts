/**
 * A chapter's module, for the runner: its host-side steps (namespaces,
 * joinCgroup, connectNetwork…, see toolkit/runtime/sequence.ts) run in the runner's own process.
 *
 * Under tsx or vitest the .ts file is imported as it is. In the built runner
 * (toolkit/run.mjs), a reference solution is already part of the build; any
 * other chapter file — the learner's, or a mutated copy — is compiled on its
 * own, with its imports of the toolkit and the solutions pointing at the
 * runner's modules (its registry, see runner.mjs), so there is still one of each. Cached like the runner:
 * compiled again only when the file or one of its own imports changed.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
/** A chapter file's exports: its steps, by name (toolkit/runtime/sequence.ts). */
export type ChapterModule = Record<string, unknown>;
import { type Built, cachedBuild } from './cache.mjs';
import { describeBuildFailure } from './errors.mjs';

/** A chapter file that does not compile: the message is the short block from describeBuildFailure. */
export class ChapterCompileError extends Error {
  override readonly name = 'ChapterCompileError';
}

/** The runner's build, when this process runs from it (set by toolkit/run.mjs). */
export function runnerBuild(): Built | undefined {
  return (globalThis as Record<symbol, Built | undefined>)[Symbol.for('workbook.runner')];
}

/** The runner's modules a chapter may share, by source file (the registry of toolkit/build/runner.mjs). */
function runnerModules(): Readonly<Record<string, () => ChapterModule>> {
  return (globalThis as Record<symbol, Record<string, () => ChapterModule> | undefined>)[Symbol.for('workbook.modules')] ?? {};
}

export async function importChapter(file: string): Promise<ChapterModule> {
  const runner = runnerBuild();
  if (runner === undefined) return (await import(file)) as ChapterModule;
  const shared = runnerModules()[file];
  if (shared !== undefined) return shared();
  return (await import(pathToFileURL(await compileChapter(file, runner)).href)) as ChapterModule;
}

async function compileChapter(file: string, runner: Built): Promise<string> {
  const built = await compile(() => cachedBuild({
    name: `chapter-${crypto.createHash('sha256').update(file).digest('hex').slice(0, 16)}`,
    identity: JSON.stringify({ file, runner: runner.dir }),
    options: { entryPoints: [file] },
    plugins: [toRunnerModules()],
    ...(runner.hashes ? { known: runner.hashes } : {}),
  }));
  return built.outputs[path.resolve(file)]!;
}

/**
 * Imports of files the runner has built become the runner's modules: a
 * small CommonJS module that asks the registry for that file's exports, so
 * the chapter's `import { mount } from '…/toolkit/kernel/index.ts'` reads
 * the runner's own binding when it runs.
 */
function toRunnerModules(): Plugin {
  const modules = runnerModules();
  return {
    name: 'runner-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        return modules[file] === undefined ? undefined : { path: file, namespace: 'runner' };
      });
      build.onLoad({ filter: /.*/, namespace: 'runner' }, (args) => ({
        contents: `module.exports = globalThis[Symbol.for('workbook.modules')][${JSON.stringify(args.path)}]();`,
        loader: 'js',
      }));
    },
  };
}

/** Runs an esbuild build; a compile error becomes a ChapterCompileError. */
export async function compile<T>(build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if ((error as { errors?: unknown[] }).errors === undefined) throw error;
    throw new ChapterCompileError(describeBuildFailure(error));
  }
}
