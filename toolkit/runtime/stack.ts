/**
 * A JavaScript error in a chapter's code, told in the learner's terms: the
 * .ts file, line and column (through the build's source maps), that line
 * of code, and only the frames of the project's own files — not esbuild's
 * bundle, Node's internals or node_modules.
 *
 *   at setupContainer (chapters/02-namespaces/container.ts:31:5)
 *     31 │   mount(c.rootfs.path, …)
 *        │   ^
 *   at childStage (toolkit/runtime/child.ts:46:13)
 *
 * Source maps are read only when there is an error to tell (starting
 * stays cheap). The child stage keeps its map open from the start
 * (holdSourceMap): after pivot_root its file is out of sight.
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT } from '../paths.ts';

/** Errors whose one-line message says everything: a system call, a TODO, a refusal, a failed command, a bad image. */
const EXPLAINED = new Set(['SyscallError', 'TodoError', 'HostProtectionError', 'CommandError', 'UsageError', 'ChapterCompileError', 'ImageError']);

/** A bug in code (a TypeError, a throw of the chapter's own…) deserves its stack; the others do not. */
export function deservesStack(error: unknown): error is Error {
  return error instanceof Error && !EXPLAINED.has(error.name);
}

/** JavaScript's own error classes: what a slip in code throws (the toolkit's errors have names of their own). */
const LANGUAGE = new Set(['Error', 'TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/**
 * A language error raised in a chapter's own code (not the toolkit's),
 * e.g. a TypeError in the learner's prepareHost: worth its stack, though the
 * runner otherwise says failures in one line.
 */
export function raisedInChapter(error: unknown): error is Error {
  if (!(error instanceof Error) || !LANGUAGE.has(error.name)) return false;
  const first = /^ {2}at (?:.* \()?([^:()]+):/m.exec(formatStack(error));
  return first !== null && !first[1]!.startsWith('toolkit/');
}

const held = new Map<string, number>();

/** Opens `${script}.map` now (an fd survives pivot_root) for a later formatStack. */
export function holdSourceMap(script: string | undefined): void {
  if (script === undefined) return;
  try {
    held.set(path.resolve(script), fs.openSync(`${path.resolve(script)}.map`, 'r'));
  } catch {
    // no map (run under tsx): frames are already the .ts files'
  }
}

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function mapOf(file: string): { map: SourceMap; dir: string } | null {
  if (!maps.has(file)) {
    let found: { map: SourceMap; dir: string } | null = null;
    try {
      const fd = held.get(file);
      const text = fd !== undefined ? fs.readFileSync(fd, 'utf8') : fs.readFileSync(`${file}.map`, 'utf8');
      found = { map: new SourceMap(JSON.parse(text)), dir: path.dirname(file) };
    } catch {
      // not built by us, or unreadable: shown as it is
    }
    maps.set(file, found);
  }
  return maps.get(file)!;
}

interface Frame {
  fn: string;
  file: string;
  line: number;
  column: number;
  /** The source text of the line, when the map carries it. */
  text?: string;
}

const FRAME = /^\s*at (?:(.*?) \()?(?:file:\/\/)?(\/[^:()]+):(\d+):(\d+)\)?$/;

function original(frame: Frame): Frame {
  const found = mapOf(frame.file);
  if (!found) return frame;
  const entry = found.map.findEntry(frame.line - 1, frame.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (entry.originalSource === undefined || entry.originalLine === undefined) return frame;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : path.resolve(found.dir, entry.originalSource);
  const index = found.map.payload.sources.findIndex((s) => s === entry.originalSource || path.resolve(found.dir, s) === source);
  const content = index >= 0 ? found.map.payload.sourcesContent?.[index] : undefined;
  const text = content?.split('\n')[entry.originalLine];
  return { fn: frame.fn, file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, ...(text !== undefined ? { text } : {}) };
}

/** The error's frames in the project's own .ts files, mapped back from the build. */
function projectFrames(error: Error): Frame[] {
  return (error.stack ?? '').split('\n').flatMap((line): Frame[] => {
    const m = FRAME.exec(line);
    return m ? [{ fn: m[1] ?? '', file: m[2]!, line: Number(m[3]), column: Number(m[4]) }] : [];
  }).map(original).filter((f) => {
    const rel = path.relative(PROJECT, f.file);
    return !rel.startsWith('..') && !rel.startsWith('node_modules') && !path.isAbsolute(rel);
  });
}

/**
 * Where an unfinished step is in the learner's file, e.g. "  at chapters/02-namespaces/container.ts:41"
 * and that line: the todo() call to replace. Empty when the TODO is not in a chapter's own file.
 */
export function todoWhere(error: unknown): string {
  if (!(error instanceof Error) || error.name !== 'TodoError') return '';
  const frames = projectFrames(error).filter((f) => !path.relative(PROJECT, f.file).startsWith('toolkit/'));
  return frames.length > 0 ? formatFrames(frames.slice(0, 1)) : '';
}

/** The error's stack as the learner should read it: mapped, trimmed, with the first line of code shown. */
export function formatStack(error: Error): string {
  return formatFrames(projectFrames(error));
}

function formatFrames(frames: Frame[]): string {
  const lines: string[] = [];
  frames.forEach((f, i) => {
    const where = `${path.relative(PROJECT, f.file)}:${f.line}:${f.column}`;
    lines.push(`  at ${f.fn ? `${f.fn.replace(/^(?:Object|Module)\./, '')} (${where})` : where}`);
    if (i === 0) {
      const text = f.text ?? readLine(f.file, f.line);
      if (text !== undefined) {
        const gutter = ' '.repeat(String(f.line).length);
        lines.push(`    ${f.line} │ ${text}`, `    ${gutter} │ ${' '.repeat(Math.max(0, f.column - 1))}^`);
      }
    }
  });
  return lines.join('\n');
}

function readLine(file: string, line: number): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[line - 1];
  } catch {
    return undefined;
  }
}
