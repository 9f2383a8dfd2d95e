/**
 * The few terminal colours the runner's own lines use, on the path of every
 * container start (npm run chapter, and each grading check's run): chalk
 * there cost a start about 20 ms of CPU — its modules, and node:process's
 * and node:tty's behind them — for a handful of escape sequences. Other
 * tools of the toolkit keep chalk.
 *
 * Coloured or not is decided as chalk's supports-color decides it for the
 * 16 basic colours: FORCE_COLOR first ("0" or "false": never; anything
 * else: always), else only when stdout is a terminal, not with TERM=dumb,
 * and on a CI only one chalk knows to show colours.
 * SGR codes: console_codes(4), "ECMA-48 Set Graphics Rendition".
 */
import { isatty } from 'node:tty';

const CI_WITH_COLOURS = ['GITHUB_ACTIONS', 'GITEA_ACTIONS', 'CIRCLECI', 'TRAVIS', 'APPVEYOR', 'GITLAB_CI', 'BUILDKITE', 'DRONE'];

let enabled: boolean | undefined;

function colourful(): boolean {
  const env = process.env;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (!isatty(1) || env.TERM === 'dumb') return false;
  if (env.CI !== undefined) return CI_WITH_COLOURS.some((name) => env[name] !== undefined) || env.CI_NAME === 'codeship';
  return true;
}

/** Each line wrapped on its own, as chalk does: a pager or a prefix per line keeps the colour. */
const style = (open: number, close: number) => (text: string): string => {
  enabled ??= colourful();
  return enabled ? text.split('\n').map((line) => (line === '' ? line : `\x1b[${open}m${line}\x1b[${close}m`)).join('\n') : text;
};

export const colors = {
  bold: style(1, 22),
  dim: style(2, 22),
  underline: style(4, 24),
  red: style(31, 39),
  green: style(32, 39),
  yellow: style(33, 39),
  cyan: style(36, 39),
};
