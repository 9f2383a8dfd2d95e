/**
 * The container's first process runs the chapter's setupContainer(), written
 * in TypeScript. Starting it under tsx would cost 0.3–0.6 s on every
 * container start; instead the chapter and the child stage are compiled into
 * one plain JavaScript file (with its source map), and the child runs on bare
 * `node`. esbuild runs only when the chapter or one of its imports changed
 * (toolkit/build/cache.mjs keeps the list of inputs and their hashes).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../build/chapter.ts';
import { cachedBuild } from '../build/cache.mjs';

const CHILD_STAGE = fileURLToPath(new URL('./child.ts', import.meta.url));
const STACK = fileURLToPath(new URL('./stack.ts', import.meta.url));

/** Returns the path of a runnable .js that runs `chapterFile`'s setupContainer in the child stage. */
export async function bundleChildStage(chapterFile: string): Promise<string> {
  const entry = [
    `import * as chapter from ${JSON.stringify(chapterFile)};`,
    `import { childStage } from ${JSON.stringify(CHILD_STAGE)};`,
    `import { holdSourceMap } from ${JSON.stringify(STACK)};`,
    // This bundle's map, opened before setupContainer's pivot_root takes the file out of sight.
    `holdSourceMap(process.argv[1]);`,
    `await childStage(chapter);`,
  ].join('\n');
  const built = await compile(() => cachedBuild({
    name: `child-stage-${crypto.createHash('sha256').update(chapterFile).digest('hex').slice(0, 16)}`,
    identity: entry,
    // The source text goes into the map: after pivot_root the child no longer sees the project.
    options: { stdin: { contents: entry, resolveDir: path.dirname(chapterFile), loader: 'ts', sourcefile: 'child-stage.ts' }, sourcesContent: true },
  }));
  return built.outputs['<stdin>']!;
}
