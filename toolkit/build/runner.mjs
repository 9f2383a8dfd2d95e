// @ts-check
/**
 * The runner's build: a toolkit program with the reference solutions,
 * compiled together (esbuild's code splitting). Each source file has
 * exactly one module in the runner, shared by whoever imports it — as under
 * tsx — so a learner's chapter, compiled on its own (chapter.ts), can import
 * these same modules: one libc, one SyscallError class.
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
 * every reference solution, and each toolkit module a chapter imports as an
 * entry point of its own — so that a chapter file compiled later
 * (chapter.ts) finds each of them as one module of the runner. The rest of
 * the toolkit goes into a few shared chunks: fewer modules load faster.
 * @param {string} program  absolute path of a .ts file
 * @param {Map<string, string>} [known]  file → SHA-256 already taken by this start (see cache.mjs)
 * @returns {Promise<import('./cache.mjs').Built>}
 */
export async function runnerBuild(program, known = new Map()) {
  const solutions = typescriptFiles(path.join(PROJECT, 'solutions'));
  const chapters = typescriptFiles(path.join(PROJECT, 'chapters'));
  const entries = [...new Set([program, ...solutions, ...sharedModules([...solutions, ...chapters], known)])].sort();
  const tag = crypto.createHash('sha256').update(program).digest('hex').slice(0, 8);
  const built = await cachedBuild({
    name: `runner-${path.basename(program, path.extname(program))}-${tag}`,
    identity: JSON.stringify(entries),
    options: { entryPoints: entries, outbase: PROJECT, splitting: true, chunkNames: 'chunks/[name]-[hash]' },
    known,
  });
  return { ...built, hashes: known };
}
