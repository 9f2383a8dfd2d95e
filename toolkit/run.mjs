// @ts-check
/**
 * node toolkit/run.mjs toolkit/cli/NAME.ts [args…] — runs one of the
 * toolkit's programs, as `node --import tsx FILE` would (the npm scripts go
 * through here).
 *
 * From the runner's cached JavaScript build (toolkit/build/runner.mjs):
 * no tsx, and esbuild only when a source file changed since the last build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeBuildFailure } from './build/errors.mjs';
import { runnerBuild } from './build/runner.mjs';

const [file = '', ...args] = process.argv.slice(2);
const source = path.resolve(file);

if (!source.endsWith('.ts') || !fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
  process.stderr.write(`workbook: not a program of the toolkit: ${file}\n`);
  process.exit(2);
}
let built;
try {
  built = await runnerBuild(source);
} catch (error) {
  process.stderr.write(`workbook: the toolkit does not compile:\n${describeBuildFailure(error)}\n`);
  process.exit(1);
}
const output = built.outputs['<stdin>'];
// The tool reads its arguments as if it had been started directly: node toolkit/cli/NAME.ts args…
process.argv = [process.argv[0] ?? process.execPath, source, ...args];
/** @type {any} */ (globalThis)[Symbol.for('workbook.runner')] = built;
await import(pathToFileURL(/** @type {string} */ (output)).href);
