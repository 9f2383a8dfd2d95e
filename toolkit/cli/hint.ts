/**
 * npm run hint N.M — the next hint for TODO N.M: the first time the idea,
 * then the system call and flags, last the code. The count is kept per
 * checkout (in the project's cache); `npm run hint N.M -- --reset` starts over.
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { HINTS } from '../chapters.ts';
import { CACHE_DIR } from '../paths.ts';

const SEEN = path.join(CACHE_DIR, 'hints-seen.json');
const LEVELS = ['the idea', 'the system call', 'the code'] as const;

function readSeen(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(SEEN, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function main(argv: string[]): number {
  const step = argv.find((a) => !a.startsWith('-'));
  if (step === undefined || HINTS[step] === undefined) {
    console.error(`${chalk.red('workbook:')} Expected a TODO step such as 2.3, got ${JSON.stringify(step ?? '')} (steps with hints: ${Object.keys(HINTS).join(' ')})`);
    return 2;
  }
  const seen = readSeen();
  if (argv.includes('--reset')) seen[step] = 0;
  const level = Math.min(seen[step] ?? 0, LEVELS.length - 1);
  console.log(`${chalk.bold(`TODO ${step}`)} ${chalk.dim(`— hint ${level + 1} of ${LEVELS.length}: ${LEVELS[level]}`)}\n${HINTS[step]![level]}`);
  if (level < LEVELS.length - 1) console.log(chalk.dim(`(again for ${LEVELS[level + 1]}: npm run hint ${step})`));
  seen[step] = level + 1;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(SEEN, JSON.stringify(seen));
  return 0;
}

process.exit(main(process.argv.slice(2)));
