// @ts-check
/**
 * The runner's build: every toolkit module and every reference solution,
 * compiled together (esbuild's code splitting), one output file per source
 * file. Each source file then has exactly one module in the runner, shared
 * by whoever imports it — as under tsx — so a learner's chapter, built on
 * its own (chapter.ts), can import these same modules: one libc, one
 * SyscallError class.
 */
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

/** @returns {Promise<import('./cache.mjs').Built>} */
export function runnerBuild() {
  const entries = [...typescriptFiles(path.join(PROJECT, 'toolkit')), ...typescriptFiles(path.join(PROJECT, 'solutions'))].sort();
  return cachedBuild({
    name: 'runner',
    identity: JSON.stringify(entries),
    options: { entryPoints: entries, outbase: PROJECT, splitting: true, chunkNames: 'chunks/[name]-[hash]' },
  });
}
