/**
 * How `npm run chapter` starts the runner, read from package.json, so the
 * benchmark measures whatever the project's script runs today, minus npm's
 * own start-up: `VAR=value node args…` becomes an argv and an environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT } from '../paths.ts';

export interface ChapterCommand {
  /** The script, as the table shows it. */
  label: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

export function chapterCommand(): ChapterCommand {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.chapter;
  if (!script) throw new Error('package.json has no "chapter" script');
  const words = script.trim().split(/\s+/);
  const env = { ...process.env };
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  if (words[0] !== 'node') throw new Error(`the "chapter" script does not start with node: ${script}`);
  return { label: script, argv: [process.execPath, ...words.slice(1)], env };
}
