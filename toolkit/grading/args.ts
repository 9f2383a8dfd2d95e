/** `npm test`'s command line: chapter numbers and options, in any order. */
import path from 'node:path';
import { CHAPTERS, findChapter, type ChapterInfo } from '../chapters.ts';
import { UsageError } from '../runtime/errors.ts';

export interface GradeArgs {
  chapters: ChapterInfo[];
  solution: boolean;
  junit?: string;
  json?: string;
}

export function parseGradeArgs(argv: readonly string[]): GradeArgs {
  const numbers: string[] = [];
  const args: GradeArgs = { chapters: [], solution: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--solution') {
      args.solution = true;
    } else if (arg === '--junit' || arg === '--json') {
      const file = argv[++i];
      if (file === undefined || file.startsWith('--')) throw new UsageError(`Expected a file name after ${arg}, such as ${arg} report.${arg.slice(2) === 'junit' ? 'xml' : 'json'}`);
      args[arg === '--junit' ? 'junit' : 'json'] = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option ${arg} (options: --solution --junit FILE --json FILE)`);
    } else {
      numbers.push(arg);
    }
  }
  args.chapters = numbers.length === 0 ? [...CHAPTERS] : numbers.map((n) => {
    const c = /^\d+$/.test(n) ? findChapter(Number(n)) : undefined;
    if (!c) throw new UsageError(`Expected chapter numbers (${CHAPTERS.map((x) => x.number).join(', ')}), got ${JSON.stringify(n)}`);
    return c;
  });
  return args;
}

