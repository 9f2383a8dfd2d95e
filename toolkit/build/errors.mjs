// @ts-check
/**
 * A file that does not compile, said in a few lines: where (file:line:col,
 * relative to the project), the line itself with a caret, and esbuild's
 * message — instead of esbuild's whole error object and stack.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOWN = 3;

/**
 * @param {unknown} error  what esbuild.build() threw
 * @returns {string}
 */
export function describeBuildFailure(error) {
  /** @type {import('esbuild').Message[]} */
  const errors = /** @type {any} */ (error)?.errors ?? [];
  if (errors.length === 0) return error instanceof Error ? error.message : String(error);
  const blocks = errors.slice(0, SHOWN).map((m) => {
    const loc = m.location;
    if (!loc) return `error: ${m.text}`;
    const file = path.relative(process.cwd(), path.resolve(PROJECT, loc.file)) || loc.file;
    const number = String(loc.line);
    const gutter = ' '.repeat(number.length);
    return [
      `${file}:${loc.line}:${loc.column + 1}: ${m.text}`,
      `  ${number} │ ${loc.lineText}`,
      `  ${gutter} │ ${' '.repeat(loc.column)}${'^'.repeat(Math.max(1, loc.length))}`,
    ].join('\n');
  });
  if (errors.length > SHOWN) blocks.push(`… and ${errors.length - SHOWN} more`);
  return blocks.join('\n');
}

/** The files an esbuild failure points at (relative to the project), e.g. to tell the learner's from the toolkit's. */
export function filesOf(/** @type {unknown} */ error) {
  /** @type {import('esbuild').Message[]} */
  const errors = /** @type {any} */ (error)?.errors ?? [];
  return errors.flatMap((m) => (m.location ? [path.resolve(PROJECT, m.location.file)] : []));
}
