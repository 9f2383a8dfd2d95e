/**
 * The container's first process runs the stack's setup steps, written in
 * TypeScript. Starting it under tsx would cost 0.3–0.6 s on every
 * container start; instead the stack's chapter files and the child stage are compiled into
 * one plain JavaScript file (with its source map), and the child runs on bare
 * `node`. esbuild runs only when a chapter file or one of its imports changed
 * (toolkit/build/cache.mjs keeps the list of inputs and their hashes).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, runnerBuild } from '../build/chapter.ts';
import { cachedBuild } from '../build/cache.mjs';

const CHILD_STAGE = fileURLToPath(new URL('./child.ts', import.meta.url));
const STACK = fileURLToPath(new URL('./stack.ts', import.meta.url));

/**
 * Returns the path of a runnable .js that runs the setup steps of the stack
 * (chapter number → file, see sequence.ts) in the child stage. Every file of the
 * stack is an input: which chapters come from chapters/ or solutions/ changes the bundle.
 */
export async function bundleChildStage(files: Readonly<Record<number, string>>): Promise<string> {
  const chapters = Object.entries(files).sort(([a], [b]) => Number(a) - Number(b));
  const entry = [
    ...chapters.map(([n, file]) => `import * as chapter${n} from ${JSON.stringify(file)};`),
    `import { childStage } from ${JSON.stringify(CHILD_STAGE)};`,
    `import { holdSourceMap } from ${JSON.stringify(STACK)};`,
    // This bundle's map, opened before the setup's pivot_root takes the file out of sight.
    `holdSourceMap(process.argv[1]);`,
    // Never returns: it execs the command (or exits); a rejection ends the process as an uncaught error would.
    `void childStage({ ${chapters.map(([n]) => `${n}: chapter${n}`).join(', ')} });`,
  ].join('\n');
  const built = await compile(() => cachedBuild({
    name: `child-stage-${crypto.createHash('sha256').update(JSON.stringify(chapters)).digest('hex').slice(0, 16)}`,
    identity: entry,
    // The source text goes into the map: after pivot_root the child no longer sees the project.
    // CommonJS (.cjs, whatever package.json says): Node starts a CommonJS main without its ESM loader.
    options: {
      stdin: { contents: entry, resolveDir: path.dirname(CHILD_STAGE), loader: 'ts', sourcefile: 'child-stage.ts' },
      sourcesContent: true,
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
    },
    // The files as the runner's own check of this start read them (cache.mjs): each is hashed once.
    ...(runnerBuild()?.hashes ? { known: runnerBuild()!.hashes! } : {}),
  }));
  return built.outputs['<stdin>']!;
}
