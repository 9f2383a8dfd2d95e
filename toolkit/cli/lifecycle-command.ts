/** The shared frame of ps, stop, logs, rm and exec: root, one-line errors, the exit status. */
import chalk from 'chalk';
import { UsageError, describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';

export function runLifecycleCommand(usage: string, main: (argv: string[]) => Promise<number>): void {
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(usage);
    process.exit(0);
  }
  requireRoot();
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
