/** npm run rootfs — build the root filesystem now (the runner also does it on first use). */
import chalk from 'chalk';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs, readStamp } from '../rootfs/build.ts';
import { describeError } from '../runtime/errors.ts';
import { requireRoot } from './root.ts';

try {
  requireRoot();
  const built = ensureRootfs(ROOTFS, (line) => console.error(chalk.dim(line)));
  console.log(`${built ? 'built' : 'up to date'}: ${ROOTFS} (${readStamp(ROOTFS)})`);
} catch (error) {
  console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
  process.exit(1);
}
