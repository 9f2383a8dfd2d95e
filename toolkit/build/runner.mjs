// @ts-check
/**
 * The runner's build: a toolkit program with the reference solutions,
 * compiled together into one file. Each source file has exactly one module
 * in the runner, shared by whoever imports it — as under tsx — so a
 * learner's chapter, compiled on its own (chapter.ts), can import these
 * same modules: one libc, one SyscallError class.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBuild } from './cache.mjs';

export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * @param {string} dir
 * @returns {string[]}
 */
function typescriptFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    // The slides' browser code is built for the browser, by toolkit/slides/build.ts.
    if (entry.isDirectory()) return file === path.join(PROJECT, 'toolkit/slides/client') ? [] : typescriptFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/**
 * The modules a chapter file may share with the runner: the toolkit files
 * that chapters and solutions import (`from '../../toolkit/…'`).
 * @param {string[]} chapterFiles
 * @param {Map<string, string>} known  file → SHA-256, filled with each file read (see cache.mjs)
 * @returns {string[]}
 */
function sharedModules(chapterFiles, known) {
  const toolkit = path.join(PROJECT, 'toolkit') + path.sep;
  const found = new Set();
  for (const file of chapterFiles) {
    const content = fs.readFileSync(file);
    // Read now, hashed now: the check of the build that follows (and the child stage's) need not read it again.
    known.set(file, crypto.createHash('sha256').update(content).digest('hex'));
    for (const m of content.toString('utf8').matchAll(/\bfrom\s+['"](\.[^'"]+\.ts)['"]/g)) {
      const target = path.resolve(path.dirname(file), m[1] ?? '');
      if (target.startsWith(toolkit)) found.add(target);
    }
  }
  return [...found];
}

/**
 * The build that runs `program` (e.g. toolkit/cli/chapter.ts): the program,
 * every reference solution, and each toolkit module a chapter imports, in
 * one file — Node loads and links one module instead of dozens (each costs
 * a read, a compile and a resolution on every start). A chapter file
 * compiled later (chapter.ts) must still find each of those as one module
 * of the runner: the build's first module is a registry, source file →
 * a function that evaluates that module (once) and returns its exports,
 * kept at globalThis[Symbol.for('workbook.modules')]. A module is evaluated
 * when first imported or asked for, as it would be on its own. Only a
 * dynamic import() (a prompt library, loaded when needed) gets a file of its own.
 * @param {string} program  absolute path of a .ts file
 * @param {Map<string, string>} [known]  file → SHA-256 already taken by this start (see cache.mjs)
 * @returns {Promise<import('./cache.mjs').Built>}
 */
export async function runnerBuild(program, known = new Map()) {
  const solutions = typescriptFiles(path.join(PROJECT, 'solutions'));
  const chapters = typescriptFiles(path.join(PROJECT, 'chapters'));
  const shared = [...new Set([...solutions, ...sharedModules([...solutions, ...chapters], known)])].sort();
  // require() of an ES module, in esbuild's bundle: evaluated on first call, its live exports (no file of its own).
  const registry = `globalThis[Symbol.for('workbook.modules')] = {\n${shared.map((f) => `  ${JSON.stringify(f)}: () => require(${JSON.stringify(f)}),\n`).join('')}};\n`;
  const entry = `import 'workbook:modules';\nimport ${JSON.stringify(program)};\n`;
  const tag = crypto.createHash('sha256').update(program).digest('hex').slice(0, 8);
  const built = await cachedBuild({
    name: `runner-${path.basename(program, path.extname(program))}-${tag}`,
    identity: entry + registry,
    options: {
      stdin: { contents: entry, resolveDir: PROJECT, sourcefile: 'runner.js' },
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
    },
    plugins: [{
      name: 'workbook-modules',
      setup(b) {
        b.onResolve({ filter: /^workbook:modules$/ }, () => ({ path: 'modules', namespace: 'workbook' }));
        b.onLoad({ filter: /.*/, namespace: 'workbook' }, () => ({ contents: registry, resolveDir: PROJECT, loader: 'js' }));
      },
    }],
    known,
  });
  return { ...built, hashes: known };
}
