/**
 * The runner's command line, checked before anything is created:
 *
 *   [--solution] [--name NAME] [--hostname NAME] [--rootfs DIR] [--] [COMMAND [ARG…]]
 *
 * Options stop at "--" or at the first word that is not an option, so the
 * command keeps its own flags: `… -- /bin/sh -c 'echo hi'`.
 */
import crypto from 'node:crypto';
import { HOST_NAME_MAX } from '../kernel/index.ts';
import { UsageError } from './errors.ts';

export interface RunnerOptions {
  solution: boolean;
  name: string;
  hostname: string;
  rootfs?: string;
  command: string[];
}

export const DEFAULT_COMMAND = ['/bin/sh'];

/** A hostname label per RFC 1123: letters, digits and inner hyphens, dot-separated. */
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function parseRunnerOptions(argv: readonly string[]): RunnerOptions {
  let solution = false;
  let name: string | undefined;
  let hostname: string | undefined;
  let rootfs: string | undefined;
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined || v === '') throw new UsageError(`Expected a value after ${flag}`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => inline ?? value(flag);
    switch (flag) {
      case '--solution': solution = true; break;
      case '--name': name = take(); break;
      case '--hostname': hostname = take(); break;
      case '--rootfs': rootfs = take(); break;
      default: throw new UsageError(`Unknown option ${flag} (options: --solution, --name, --hostname, --rootfs; put the command after --)`);
    }
  }
  const command = argv.slice(i);

  name ??= `box-${crypto.randomBytes(3).toString('hex')}`;
  if (!NAME.test(name) || name.length > HOST_NAME_MAX) {
    throw new UsageError(`Expected --name to be letters, digits, '.', '_' or '-' (at most ${HOST_NAME_MAX}), got ${JSON.stringify(name)}`);
  }
  hostname ??= name.replace(/[_.]/g, '-');
  const bytes = Buffer.byteLength(hostname);
  if (bytes > HOST_NAME_MAX) {
    throw new UsageError(`Expected --hostname to be at most ${HOST_NAME_MAX} bytes (HOST_NAME_MAX), got ${bytes} bytes`);
  }
  if (!HOSTNAME.test(hostname)) {
    throw new UsageError(`Expected --hostname to be letters, digits and inner hyphens (RFC 1123), got ${JSON.stringify(hostname)}`);
  }
  return { solution, name, hostname, rootfs, command: command.length > 0 ? command : [...DEFAULT_COMMAND] };
}
