/**
 * The work of `npm run pull` (toolkit/cli/pull.ts), apart from choosing
 * which chapter file pulls: parse the arguments, show progress, pull, say
 * what was done.
 */
import chalk from 'chalk';
import { credentialsFromEnv, parseCredentials, type Credentials } from './credentials.ts';
import { bytes, createProgress, type Progress } from './progress.ts';
import type { PulledImage } from './store.ts';
import { UsageError, describeError } from '../runtime/errors.ts';
import { requireRoot } from '../cli/root.ts';

export const USAGE = 'usage: npm run pull -- [--solution] [--creds USER:PASSWORD] HOST:PORT/NAME[:TAG|@sha256:DIGEST]   (e.g. 127.0.0.1:5000/workbook/web:latest, after npm run registry)';

export interface Puller {
  pullImage(ref: string, options: { credentials?: Credentials; progress?: Progress }): Promise<PulledImage>;
}

/** The pull command's work, given the chapter module whose pullImage() to use. */
export async function pullCommand(puller: Puller, argv: string[]): Promise<number> {
  let credentials = credentialsFromEnv();
  const refs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return console.log(USAGE), 0;
    else if (arg === '--creds' || arg.startsWith('--creds=')) credentials = parseCredentials(arg.includes('=') ? arg.slice(8) : argv[++i] ?? '', '--creds');
    else if (arg === '--') continue;
    else if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg} (${USAGE})`);
    else refs.push(arg);
  }
  if (refs.length !== 1) throw new UsageError(USAGE);
  requireRoot(); // the layer store is root's: layers keep their owners and device nodes

  const base = createProgress();
  let fetched = 0;
  const progress: Progress = { ...base, advance: (d, n) => ((fetched += n), base.advance(d, n)) };
  const started = Date.now();
  progress.note(`pulling ${refs[0]}`);
  const image = await puller.pullImage(refs[0]!, { credentials, progress });
  const secs = (Date.now() - started) / 1000;
  console.log(`${chalk.green('pulled')} ${image.names[0]}  ${chalk.dim(`digest ${image.manifestDigest}`)}`);
  console.log(chalk.dim(`${image.manifest.layers.length} layers, ${bytes(fetched)} downloaded in ${secs.toFixed(2)} s; run it: npm run chapter 9 -- --image ${refs[0]}`));
  return 0;
}


/** Runs the command and exits: 0, 1 with one line for a failed pull, 2 for a usage error. */
export function runPull(puller: Promise<Puller>, argv: string[]): void {
  puller.then((p) => pullCommand(p, argv)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
      const known = error instanceof Error && ['UsageError', 'ImageError', 'TodoError', 'SyscallError'].includes(error.name);
      if (!known && error instanceof Error) console.error(chalk.dim(error.stack));
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
