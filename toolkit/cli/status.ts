/**
 * A chapter's status as the learner sees it: its last grade (written by
 * `npm test`), or how many TODOs are still open in the learner file.
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { chapterFile, type ChapterInfo } from '../chapters.ts';
import { CACHE_DIR } from '../paths.ts';

export const GRADES_FILE = path.join(CACHE_DIR, 'grades.json');

export interface Grade {
  passed: number;
  failed: number;
  at: string;
}

export function readGrades(): Record<string, Grade> {
  try {
    return JSON.parse(fs.readFileSync(GRADES_FILE, 'utf8')) as Record<string, Grade>;
  } catch {
    return {};
  }
}

/**
 * Steps still open in the learner file: every step named in a todo() call that is still there —
 * todo('1.1 chroot …, 1.2 chdir …') counts two, todo('2.2–2.6 …') five.
 */
export function openTodos(chapter: ChapterInfo): number {
  const source = fs.readFileSync(chapterFile(chapter, 'chapters'), 'utf8');
  const open = new Set<string>();
  for (const call of source.matchAll(/\btodo\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)) {
    for (const m of call[2]!.matchAll(/\b(\d+)\.(\d+)(?:\s*[–-]\s*(?:\d+\.)?(\d+))?/g)) {
      for (let step = Number(m[2]); step <= Number(m[3] ?? m[2]); step++) open.add(`${m[1]}.${step}`);
    }
  }
  return open.size;
}

export function chapterStatus(chapter: ChapterInfo): string {
  const grade = readGrades()[chapter.slug];
  if (grade) {
    const total = grade.passed + grade.failed;
    return grade.failed === 0 ? chalk.green(`passed ${total}/${total}`) : chalk.yellow(`${grade.passed}/${total} checks`);
  }
  const todos = openTodos(chapter);
  return todos > 0 ? chalk.dim(`${todos} TODO${todos === 1 ? '' : 's'} open`) : chalk.cyan('ungraded');
}
