/**
 * The background runner of a detached container (see detach.ts): runs it to
 * its end with the container's output in its bounded log, then records the
 * exit status for `ps -a`, `logs` and `rm`. SIGTERM to it is passed on to the
 * container like any runner's (runtime/signals.ts); `stop` signals the
 * container itself.
 */
import { describeError } from '../runtime/errors.ts';
import type { Container } from '../runtime/container.ts';
import type { StackFiles } from '../runtime/sequence.ts';
import { runContainer } from '../runtime/run.ts';
import { BoundedLog } from './bounded-log.ts';
import { logFile, writeExit } from './records.ts';

async function main(): Promise<number> {
  const { files, container } = JSON.parse(process.env.WORKBOOK_DETACHED ?? '{}') as { files: StackFiles; container: Container };
  delete process.env.WORKBOOK_DETACHED; // not for the container's stages
  const log = new BoundedLog(logFile(container.id));
  let code = 125;
  try {
    code = await runContainer(files, container, {
      say: (line) => log.write(`workbook: ${line}\n`),
      output: (_fd, chunk) => log.write(chunk),
    });
  } catch (error) {
    log.write(`workbook: ${describeError(error)}\n`);
  } finally {
    writeExit(container.id, code);
    log.close();
  }
  return code;
}

main().then((code) => process.exit(code), () => process.exit(125));
