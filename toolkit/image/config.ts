/**
 * An image's configuration: how the image's author wants its process run.
 * The OCI image spec (config.md) keeps it in the config blob, under "config":
 *
 *   Entrypoint    ["/usr/sbin/httpd", "-f"]   the program, always run
 *   Cmd           ["-p", "80"]                its default arguments (or the whole
 *                                             command, without an Entrypoint)
 *   Env           ["PATH=…", "HELLO=world"]   NAME=VALUE, added to the runtime's defaults
 *   WorkingDir    "/var/www"                  the process's working directory (absolute)
 *   User          "www" | "1000" | "1000:50"  who runs it: a name or uid, optionally :group or :gid,
 *                                             looked up in the image's own /etc/passwd and /etc/group
 *   ExposedPorts  {"80/tcp": {}}              ports the program listens on: documentation only,
 *                                             nothing is published until `--publish` asks
 *
 * `docker run` lets its command line override each one, and so does the
 * runner: a command after the options replaces Cmd (the Entrypoint stays),
 * `--entrypoint` replaces the Entrypoint (and drops Cmd), `--env` adds to or
 * replaces Env entries, `--workdir` and `--user` replace theirs.
 * https://github.com/opencontainers/image-spec/blob/main/config.md
 */
import path from 'node:path';
import { UsageError } from '../runtime/errors.ts';
import type { ImageConfig } from './layout.ts';

/** What the command line said about the process (undefined: not given). */
export interface ProcessOverrides {
  /** The command after the options; empty when none was given. */
  command: readonly string[];
  /** --entrypoint: one program ('' clears the image's Entrypoint, as in docker). */
  entrypoint?: string;
  /** --env NAME=VALUE, in order. */
  env: readonly string[];
  workdir?: string;
  user?: string;
}

/** The process a container runs: the image's configuration with the command line's overrides applied. */
export interface ProcessConfig {
  command: string[];
  env: string[];
  /** Absent: the runtime's default, "/". */
  workdir?: string;
  /** Absent: root. Resolved inside the container (see toolkit/image/users.ts). */
  user?: string;
  /** "80/tcp"…, from the image only. */
  exposedPorts: string[];
}

/** Without an image, or with one that names no command: an interactive shell. */
export const DEFAULT_COMMAND = ['/bin/sh'];

/** The runtime's own environment, under everything the image or the command line sets. */
export function defaultEnv(hostname: string): string[] {
  return [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `HOSTNAME=${hostname}`,
    `TERM=${process.env.TERM ?? 'xterm'}`,
    'container=workbook',
  ];
}

/**
 * Merges, lowest first: the runtime's defaults, the image's Env, --env.
 * A later NAME=… replaces an earlier one in place, so PATH stays first.
 * HOME is left to the container's user (users.ts) unless someone sets it.
 */
export function mergeEnv(...layers: readonly (readonly string[])[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of layers.flat()) merged.set(entry.slice(0, entry.indexOf('=')), entry);
  return [...merged.values()];
}

/**
 * The image's config with the overrides applied, docker-style. `config` is
 * absent for a plain rootfs (chapters 1–3, or `--rootfs DIR`): then only the
 * command line counts.
 */
export function processConfig(config: ImageConfig['config'] | undefined, overrides: ProcessOverrides, hostname: string): ProcessConfig {
  const image = config ?? {};
  const env = image.Env ?? [];
  for (const entry of env) {
    if (!isEnvEntry(entry)) throw new UsageError(`Expected the image's Env entries to be NAME=VALUE, got ${JSON.stringify(entry)}`);
  }
  // --entrypoint replaces the image's Entrypoint and, as in docker, its Cmd with it.
  const entrypoint = overrides.entrypoint !== undefined ? (overrides.entrypoint === '' ? [] : [overrides.entrypoint]) : (image.Entrypoint ?? []);
  const cmd = overrides.command.length > 0 ? overrides.command : overrides.entrypoint !== undefined ? [] : (image.Cmd ?? []);
  let command = [...entrypoint, ...cmd];
  if (command.length === 0) command = [...DEFAULT_COMMAND];

  const workdir = overrides.workdir ?? (image.WorkingDir || undefined);
  if (workdir !== undefined && !path.posix.isAbsolute(workdir)) {
    throw new UsageError(`Expected ${overrides.workdir !== undefined ? '--workdir' : "the image's WorkingDir"} to be an absolute path in the container, got ${JSON.stringify(workdir)}`);
  }
  const user = overrides.user ?? (image.User || undefined);
  if (user !== undefined) parseUserSpec(user, overrides.user !== undefined ? '--user' : "the image's User");
  return {
    command,
    env: mergeEnv(defaultEnv(hostname), env, overrides.env),
    ...(workdir !== undefined ? { workdir: path.posix.normalize(workdir) } : {}),
    ...(user !== undefined ? { user } : {}),
    exposedPorts: Object.keys(image.ExposedPorts ?? {}),
  };
}

/** NAME=VALUE: a name that is not empty and has no "=" (environ(7)); no NUL anywhere. */
export function isEnvEntry(text: string): boolean {
  return /^[^=\0]+=[^\0]*$/.test(text);
}

export function parseEnvOption(text: string): string {
  if (!isEnvEntry(text) || /\s/.test(text.slice(0, text.indexOf('=')))) {
    throw new UsageError(`Expected --env to be NAME=VALUE, such as HELLO=world, got ${JSON.stringify(text)}`);
  }
  return text;
}

export function parseWorkdirOption(text: string): string {
  if (!path.posix.isAbsolute(text) || text.includes('\0')) {
    throw new UsageError(`Expected --workdir to be an absolute path in the container, such as /var/www, got ${JSON.stringify(text)}`);
  }
  return path.posix.normalize(text);
}

/** One side of a user spec: a number, or a name as useradd(8) allows it. */
const ID_OR_NAME = /^(\d+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$/;

export interface UserSpec {
  user: string;
  group?: string;
}

/** "www", "1000", "1000:50", "www:staff" — as config.md's User, and docker's --user. */
export function parseUserSpec(text: string, what = '--user'): UserSpec {
  const [user, group, ...rest] = text.split(':');
  if (rest.length > 0 || !ID_OR_NAME.test(user ?? '') || (group !== undefined && !ID_OR_NAME.test(group))) {
    throw new UsageError(`Expected ${what} to be a name or uid, optionally :group or :gid (such as nobody, 1000 or 1000:1000), got ${JSON.stringify(text)}`);
  }
  return { user: user!, ...(group !== undefined ? { group } : {}) };
}

/** What describeProcessConfig shows: a ProcessConfig, or the Container made from one. */
export interface ProcessView {
  readonly command: readonly string[];
  readonly env: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly exposedPorts?: readonly string[];
  readonly publish?: readonly { hostPort: number; containerPort: number }[];
}

/** Lines that show the process the container will run, for `--explain` and the runner's notes. */
export function describeProcessConfig(p: ProcessView): string[] {
  return [
    `command:  ${JSON.stringify(p.command)}`,
    `user:     ${p.user ?? 'root (0:0)'}`,
    `workdir:  ${p.workdir ?? '/'}`,
    `env:      ${p.env.join(' ')}`,
    `exposes:  ${exposureNote(p) ?? 'no ports'}`,
  ];
}

/** "80/tcp (not published: --publish HOSTPORT:80)" — null when the image exposes nothing. */
export function exposureNote(p: Pick<ProcessView, 'exposedPorts' | 'publish'>): string | null {
  const ports = p.exposedPorts ?? [];
  if (ports.length === 0) return null;
  const published = new Set((p.publish ?? []).map((m) => m.containerPort));
  return ports.map((port) => {
    const n = Number.parseInt(port, 10);
    return published.has(n) ? `${port} (published)` : `${port} (not published: --publish HOSTPORT:${n})`;
  }).join(', ');
}
