/** `npm run chapter` without a number: pick one, seeing where each stands. */
import chalk from 'chalk';
import Enquirer from 'enquirer';
import { CHAPTERS } from '../chapters.ts';
import { chapterStatus } from './status.ts';

export async function pickChapter(): Promise<number | null> {
  if (!process.stdin.isTTY) {
    console.error('Which chapter? Run `npm run chapter <N>`:');
    for (const c of CHAPTERS) console.error(`  ${c.number}  ${c.title.padEnd(16)} ${chapterStatus(c)}  ${chalk.dim(c.goal)}`);
    return null;
  }
  const { chapter } = await Enquirer.prompt<{ chapter: string }>({
    type: 'select',
    name: 'chapter',
    message: 'Which chapter?',
    choices: CHAPTERS.map((c) => ({
      name: String(c.number),
      message: `${c.number}  ${c.title.padEnd(16)} ${chapterStatus(c)}`,
      hint: c.goal,
    })),
  });
  return Number(chapter);
}
