/**
 * The container's first process runs the chapter's setupContainer(), written
 * in TypeScript. Starting it under tsx would cost 0.3–0.6 s on every
 * container start; instead the runner compiles the chapter and the child
 * stage into one plain JavaScript file with esbuild (tens of milliseconds),
 * and the child runs on bare `node`. Files are named by their content, so
 * concurrent runs share them and never see a half-written one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { CACHE_DIR } from '../paths.ts';

const CHILD_STAGE = fileURLToPath(new URL('./child.ts', import.meta.url));
const KOFFI = createRequire(import.meta.url).resolve('koffi');

/** Returns the path of a runnable .mjs that runs `chapterFile`'s setupContainer in the child stage. */
export async function bundleChildStage(chapterFile: string): Promise<string> {
  const entry = [
    `import * as chapter from ${JSON.stringify(chapterFile)};`,
    `import { childStage } from ${JSON.stringify(CHILD_STAGE)};`,
    `await childStage(chapter);`,
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: path.dirname(chapterFile), loader: 'ts', sourcefile: 'child-stage.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // koffi loads a native addon: it stays an import, of the project's own copy by absolute path,
    // so the bundle can live in any cache directory (a rootless user's, in chapter 6).
    plugins: [{
      name: 'koffi-from-project',
      setup(build) {
        build.onResolve({ filter: /^koffi$/ }, () => ({ path: KOFFI, external: true }));
      },
    }],
    write: false,
    logLevel: 'silent',
    // Some packages still use require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __workbookRequire } from 'node:module'; const require = __workbookRequire(import.meta.url);" },
  });
  const code = result.outputFiles[0]!.contents;
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = path.join(CACHE_DIR, `child-stage-${hash}.mjs`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
  return file;
}
