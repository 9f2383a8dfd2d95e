/**
 * Running the network tools: `ip` (iproute2) and `iptables`. Each run is one
 * program that sends the kernel netlink messages (see netlink(7)) and exits;
 * we wait for it, and if it fails the error names the command and the first
 * line it printed on stderr (the chapter's `ip` forms send their messages from
 * this process instead, ip-netlink.ts, and fail the same way), e.g.
 *
 *   `ip link add wb0 type bridge` failed: RTNETLINK answers: File exists
 */
import { spawnSync } from 'node:child_process';
import { pauseForTest } from '../test-pause.ts';
import { IpFailure, ipByNetlink } from './ip-netlink.ts';

/** Which Debian package provides a tool, for the "not installed" message. */
const PACKAGE: Record<string, string> = { ip: 'iproute2', iptables: 'iptables', 'iptables-save': 'iptables' };

export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: readonly string[],
    /** The exit status, or null when the program could not be started. */
    readonly status: number | null,
    /** What it printed on stderr, trimmed. */
    readonly stderr: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs `command args…` to its end; returns its stdout, or throws a CommandError. */
export function run(command: string, args: readonly string[]): string {
  const shown = [command, ...args].join(' ');
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    const why = missing ? `${command} is not installed (apt-get install ${PACKAGE[command] ?? command})` : result.error.message;
    throw new CommandError([command, ...args], null, '', `\`${shown}\` failed: ${why}`);
  }
  const stderr = result.stderr.trim();
  if (result.status !== 0) {
    const line = stderr.split('\n')[0] || (result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`);
    throw new CommandError([command, ...args], result.status, stderr, `\`${shown}\` failed: ${line}`);
  }
  return result.stdout;
}

/**
 * `ip …` — iproute2, the tool that speaks rtnetlink: links, addresses, routes. See ip(8).
 * The chapter's own forms are sent as the same rtnetlink requests from here
 * (ip-netlink.ts), failing with the same words; any other form runs iproute2.
 */
export function ip(...args: string[]): string {
  let out = '';
  try {
    if (!ipByNetlink(args)) out = run('ip', args);
  } catch (error) {
    if (!(error instanceof IpFailure)) throw error;
    // ip(8) exits 2 when the kernel refuses a request or a name does not resolve.
    throw new CommandError(['ip', ...args], 2, error.message, `\`${['ip', ...args].join(' ')}\` failed: ${error.message}`);
  }
  if (args[0] === 'link' && args[1] === 'add' && args.includes('veth')) pauseForTest('after-veth');
  return out;
}
