/** `npm run chapter` without a number: pick one, seeing where each stands. */
import chalk from 'chalk';
import Enquirer from 'enquirer';
import { CHAPTERS } from '../chapters.ts';
import { chapterStatus } from './status.ts';

/** Exit status for a pick the learner cancelled (Esc, Ctrl-C): 128 + SIGINT, as a shell reports it. */
export const EXIT_CANCELLED = 130;

/** Columns sized to the longest title and status, so the rows line up whatever the grades are. */
function rows(): { number: number; line: string; goal: string }[] {
  const statuses = CHAPTERS.map((c) => chapterStatus(c));
  const width = (texts: string[]) => Math.max(...texts.map((t) => visibleLength(t)));
  const titleWidth = width(CHAPTERS.map((c) => c.title));
  const statusWidth = width(statuses);
  return CHAPTERS.map((c, i) => ({
    number: c.number,
    line: `${String(c.number).padStart(2)}  ${c.title.padEnd(titleWidth)}  ${pad(statuses[i]!, statusWidth)} `,
    goal: c.goal,
  }));
}

export async function pickChapter(): Promise<number | null> {
  if (!process.stdin.isTTY) {
    console.error('Which chapter? Run `npm run chapter <N>`:');
    for (const r of rows()) console.error(`  ${r.line}  ${chalk.dim(r.goal)}`);
    return null;
  }
  const prompt = new ChapterSelect({
    name: 'chapter',
    message: 'Which chapter? (its number, or arrows and Enter)',
    choices: rows().map((r) => ({ name: String(r.number), message: r.line, hint: chalk.dim(r.goal) })),
  });
  try {
    return Number(await prompt.run());
  } catch {
    // Esc or Ctrl-C: leave as quietly as a shell would, with the status a shell gives Ctrl-C.
    process.exit(EXIT_CANCELLED);
  }
}

// Enquirer's select takes a typed digit as a 0-based index (3 would pick chapter 4): here a digit picks
// the chapter with that number, and cancelling erases the prompt instead of leaving "✖ Which chapter?".
const Select = (Enquirer as unknown as { Select: new (options: object) => SelectPrompt }).Select;

interface SelectPrompt {
  choices: { name: string; index: number }[];
  index: number;
  state: { cancelled: boolean; submitted: boolean; size?: number };
  run(): Promise<string>;
  submit(): Promise<void>;
  alert(): void;
  clear(lines?: number): void;
  close(): Promise<void>;
  emit(event: string, value: unknown): void;
}

class ChapterSelect extends Select {
  number(digit: string): void {
    const self = this as unknown as SelectPrompt;
    const choice = self.choices.find((c) => c.name === digit);
    if (!choice) return self.alert();
    self.index = choice.index;
    void self.submit();
  }

  async cancel(): Promise<void> {
    const self = this as unknown as SelectPrompt;
    self.state.cancelled = self.state.submitted = true;
    self.clear(self.state.size ?? 0); // from below the last choice line, up over the whole prompt
    await self.close();
    self.emit('cancel', new Error('cancelled'));
  }
}

/** Length as shown on a terminal: without chalk's colour codes. */
function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}
