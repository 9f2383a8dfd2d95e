/**
 * npm run registry [-- --port 5000]
 *
 * A registry of your own, on this machine only (127.0.0.1), filled with the
 * workbook's images, so chapter 9 needs no internet: Debian's docker-registry
 * with a config and a storage folder of its own, both removed when you stop
 * it (Ctrl-C). Then, in another terminal:
 *
 *   npm run pull -- 127.0.0.1:5000/workbook/web:latest
 *   npm run chapter 9 -- --image 127.0.0.1:5000/workbook/web:latest
 */
import chalk from 'chalk';
import { startRegistry } from '../registry/server.ts';
import { SEEDED, seedRegistry } from '../registry/seed.ts';
import { UsageError, describeError } from '../runtime/errors.ts';
import { parsePositiveInteger } from '../runtime/options.ts';
import { requireRoot } from './root.ts';

async function main(argv: string[]): Promise<number> {
  let port = 5000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--port') port = parsePositiveInteger('--port', argv[++i] ?? '');
    else if (arg.startsWith('--port=')) port = parsePositiveInteger('--port', arg.slice(7));
    else if (arg !== '--') throw new UsageError(`Unknown option ${arg} (usage: npm run registry [-- --port N])`);
  }
  if (port > 65535) throw new UsageError(`Expected --port to be 1-65535, got ${port}`);
  requireRoot(); // building the images needs the rootfs, which root builds
  const registry = await startRegistry({ port }).catch((error: unknown) => {
    throw new UsageError(`${describeError(error)}${port === 5000 ? ' (is port 5000 taken? --port N)' : ''}`);
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await registry.stop();
    console.error(chalk.dim('registry stopped; its storage is removed'));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    seedRegistry(registry.host, (line) => console.error(chalk.dim(line)));
  } catch (error) {
    await registry.stop();
    throw error;
  }
  console.log(`${chalk.green('registry')} on http://${registry.host} (this machine only), with:`);
  for (const name of SEEDED) console.log(`  ${registry.host}/${name}`);
  console.log(chalk.dim(`\nin another terminal:\n  npm run pull -- ${registry.host}/workbook/web:latest\n  npm run chapter 9 -- --image ${registry.host}/workbook/web:latest\n\nCtrl-C stops it.`));
  registry.process.once('close', (code) => {
    if (!stopping) {
      console.error(`${chalk.red('workbook:')} docker-registry ended by itself (exit ${code}): ${registry.output().trim().split('\n').at(-1) ?? ''}`);
      process.exit(1);
    }
  });
  return new Promise(() => {}); // until Ctrl-C
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
