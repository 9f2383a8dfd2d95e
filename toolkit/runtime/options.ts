/**
 * The runner's command line, checked before anything is created:
 *
 *   [--solution] [--mine] [--explain] [--name NAME] [--hostname NAME] [--rootfs DIR]
 *   [--memory SIZE] [--cpus N] [--pids N] [--stats]          chapter 3
 *   [--image NAME] [--keep]                                  chapter 4
 *   [--env NAME=VALUE]… [--workdir DIR] [--user NAME|UID[:GID]]
 *   [--entrypoint CMD] [--volume HOST_DIR:PATH[:ro]]…        chapter 4 (image config, volumes)
 *   [--network bridge|none] [--publish HOST:CONTAINER]…      chapter 5
 *   [--uidmap IN:OUT:COUNT]… [--gidmap IN:OUT:COUNT]…        chapter 6
 *   [--cap-add CAP]… [--cap-drop CAP|ALL]… [--privileged]     chapter 7
 *   [--security-opt seccomp=unconfined|no-new-privileges=false]… [--read-only] [--userns host]
 *   [--init] [-d|--detach]                                   chapter 8
 *   [--] [COMMAND [ARG…]]
 *
 * Options stop at "--" or at the first word that is not an option, so the
 * command keeps its own flags: `… -- /bin/sh -c 'echo hi'`. Messages follow
 * one pattern: Expected `--memory` to be …, got `12X`.
 */
import crypto from 'node:crypto';
import { HOST_NAME_MAX } from '../kernel/index.ts';
import { parseEnvOption, parseUserSpec, parseWorkdirOption } from '../image/config.ts';
import { parseVolume } from '../volumes/options.ts';
import type { IdMapping, Limits, PortMapping, Volume } from './container.ts';
import { parsePrivileges, type Privileges } from '../security/options.ts';
import { UsageError } from './errors.ts';

export interface RunnerOptions {
  solution: boolean;
  /** Earlier chapters' steps from the learner's chapters/ instead of solutions/. */
  mine: boolean;
  /** Print the stack's steps instead of running them. */
  explain: boolean;
  name: string;
  hostname: string;
  rootfs?: string;
  limits: Limits;
  stats: boolean;
  image?: string;
  keep: boolean;
  network: 'bridge' | 'none';
  /** Chapter 8: namespaces to join instead of making (--network/--ipc/--pid container:NAME): kind → container name. */
  join: { net?: string; ipc?: string; pid?: string };
  /** Chapter 8: a time namespace with these clock offsets in seconds (--monotonic-offset, --boottime-offset). */
  timeOffsets: { monotonic?: number; boottime?: number };
  publish: PortMapping[];
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  /** Chapter 8: an init as PID 1 (--init); run in the background (-d, --detach). */
  init: boolean;
  detach: boolean;
  privileges: Privileges;
  /** Chapter 7: --userns host, no user namespace (docker's own word for it). */
  userns?: 'host';
  /** Overrides of the image's configuration (toolkit/image/config.ts); absent or empty: not given. */
  env: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  volumes: Volume[];
  /** The command after the options; empty when none was given (the image's Cmd, or DEFAULT_COMMAND). */
  command: string[];
  /** The option names that were given, so the runner can refuse those a chapter does not teach yet. */
  given: Set<string>;
}

export { DEFAULT_COMMAND } from '../image/config.ts';

/** A hostname label per RFC 1123: letters, digits and inner hyphens, dot-separated. */
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const FLAGS_WITH_VALUE = ['--name', '--hostname', '--rootfs', '--memory', '--cpus', '--pids', '--image', '--network', '--publish', '--uidmap', '--gidmap',
  '--ipc', '--pid', '--monotonic-offset', '--boottime-offset',
  '--env', '--workdir', '--user', '--entrypoint', '--volume', '--cap-add', '--cap-drop', '--security-opt', '--userns'];
/** docker's `--entrypoint ""` clears the image's Entrypoint. */
const FLAGS_MAY_BE_EMPTY = ['--entrypoint'];
const FLAGS_ALONE = ['--solution', '--mine', '--explain', '--stats', '--keep', '--init', '-d', '--detach', '--privileged', '--read-only', '--unsafe-map-host-root'];

/** docker run's short forms, each the long option it stands for. */
const SHORT: Readonly<Record<string, string>> = { '-m': '--memory', '-p': '--publish', '-e': '--env', '-v': '--volume', '-u': '--user', '-w': '--workdir' };

export function parseRunnerOptions(argv: readonly string[]): RunnerOptions {
  const values = new Map<string, string[]>();
  const given = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const written = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = SHORT[written] ?? written;
    if (FLAGS_ALONE.includes(flag)) {
      given.add(flag);
      continue;
    }
    if (!FLAGS_WITH_VALUE.includes(flag)) {
      throw new UsageError(`Unknown option ${flag} (options: ${[...FLAGS_ALONE, ...FLAGS_WITH_VALUE, ...Object.keys(SHORT)].join(' ')}; put the command after --)`);
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (value === '' && !FLAGS_MAY_BE_EMPTY.includes(flag))) throw new UsageError(`Expected a value after ${flag}`);
    given.add(flag);
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  // docker's single-valued flags take the last value given (a Go flag set's
  // strings), but a container has one network namespace: docker refuses
  // `--network none --network bridge` ("conflicting options"), and so does the
  // workbook, before anything is made. The same value twice is no conflict.
  const networks = [...new Set(values.get('--network') ?? [])];
  if (networks.length > 1) {
    throw new UsageError(`Expected one --network, got ${networks.map((n) => shown(n)).join(' and ')}: a container has one network namespace`);
  }
  const one = (flag: string) => values.get(flag)?.at(-1);
  const all = (flag: string) => values.get(flag) ?? [];
  const command = argv.slice(i);

  const name = one('--name') ?? `box-${crypto.randomBytes(3).toString('hex')}`;
  if (!NAME.test(name) || name.length > HOST_NAME_MAX) {
    throw new UsageError(`Expected --name to be letters, digits, '.', '_' or '-' (at most ${HOST_NAME_MAX}), got ${shown(name)}`);
  }
  const hostname = one('--hostname') ?? name.replace(/[_.]/g, '-');
  const bytes = Buffer.byteLength(hostname);
  if (bytes > HOST_NAME_MAX) {
    throw new UsageError(`Expected --hostname to be at most ${HOST_NAME_MAX} bytes (HOST_NAME_MAX), got ${bytes} bytes`);
  }
  if (!HOSTNAME.test(hostname)) {
    throw new UsageError(`Expected --hostname to be letters, digits and inner hyphens (RFC 1123), got ${shown(hostname)}`);
  }

  let network = one('--network') ?? 'bridge';
  // Chapter 8's pods: --network container:NAME joins another container's network namespace (and then has none of its own).
  const join: Record<string, string> = {};
  for (const [flag, kind] of [['--network', 'net'], ['--ipc', 'ipc'], ['--pid', 'pid']] as const) {
    const value = one(flag);
    if (value === undefined || (flag === '--network' && !value.startsWith('container:'))) continue;
    const other = /^container:([a-zA-Z0-9][a-zA-Z0-9_.-]*)$/.exec(value)?.[1];
    if (other === undefined) throw new UsageError(`Expected ${flag} to be ${flag === '--network' ? 'bridge, none or ' : ''}container:NAME, got ${shown(value)}`);
    join[kind] = other;
    if (flag === '--network') given.add('--network=container:');
  }
  if (join.net !== undefined) network = 'none';
  // docker's "conflicting options: port publishing and the container type network mode": the ports are NAME's.
  if (join.net !== undefined && given.has('--publish')) {
    throw new UsageError(`--publish with --network container:${join.net}: the container has ${join.net}'s network namespace, so a port is published by ${join.net}, when it is started`);
  }
  if (network !== 'bridge' && network !== 'none') throw new UsageError(`Expected --network to be bridge, none or container:NAME, got ${shown(network)}`);
  const offsets: Record<string, number> = {};
  for (const [flag, clock] of [['--monotonic-offset', 'monotonic'], ['--boottime-offset', 'boottime']] as const) {
    const value = one(flag);
    if (value === undefined) continue;
    const seconds = /^-?\d+$/.test(value) ? Number(value) : NaN;
    // The kernel refuses offsets that would put the clock below zero or past ~146 years (time_namespaces(7)).
    if (!Number.isSafeInteger(seconds) || Math.abs(seconds) > 10 * 365 * 86400) {
      throw new UsageError(`Expected ${flag} to be whole seconds (at most 10 years either way), such as 86400, got ${shown(value)}`);
    }
    offsets[clock] = seconds;
  }

  const userns = one('--userns');
  if (userns !== undefined && userns !== 'host') throw new UsageError(`Expected --userns to be host (no user namespace: root inside is the host's root), got ${shown(userns)}`);
  if (userns !== undefined && (given.has('--uidmap') || given.has('--gidmap'))) throw new UsageError('--userns host means no user namespace, so there is nothing for --uidmap or --gidmap to map: give one or the other');

  const memory = one('--memory');
  const cpus = one('--cpus');
  const pids = one('--pids');
  return {
    solution: given.has('--solution'),
    mine: given.has('--mine'),
    explain: given.has('--explain'),
    name,
    hostname,
    rootfs: one('--rootfs'),
    limits: {
      ...(memory !== undefined ? { memoryBytes: parseMemory(memory) } : {}),
      ...(cpus !== undefined ? { cpus: parseCpus(cpus) } : {}),
      ...(pids !== undefined ? { pids: parsePids(pids) } : {}),
    },
    stats: given.has('--stats'),
    image: one('--image'),
    keep: given.has('--keep'),
    network,
    publish: all('--publish').map(parsePublish),
    uidMap: parseIdMaps('--uidmap', all('--uidmap')),
    gidMap: parseIdMaps('--gidmap', all('--gidmap')),
    join,
    timeOffsets: offsets,
    init: given.has('--init'),
    detach: given.has('-d') || given.has('--detach'),
    env: all('--env').map(parseEnvOption),
    ...(one('--workdir') !== undefined ? { workdir: parseWorkdirOption(one('--workdir')!) } : {}),
    ...(one('--user') !== undefined ? { user: checkedUser(one('--user')!) } : {}),
    ...(one('--entrypoint') !== undefined ? { entrypoint: one('--entrypoint')! } : {}),
    volumes: all('--volume').map(parseVolume),
    ...(userns !== undefined ? { userns } : {}),
    privileges: parsePrivileges({ capAdd: all('--cap-add'), capDrop: all('--cap-drop'), securityOpt: all('--security-opt'), privileged: given.has('--privileged'), readOnly: given.has('--read-only') }),
    command,
    given,
  };
}

function checkedUser(text: string): string {
  parseUserSpec(text);
  return text;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** docker's sizes: plain bytes, or a number with k, m or g (powers of 1024). */
export function parseSize(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(text.trim());
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new UsageError(`Expected ${flag} to be a size such as 64m, 1g or 1048576 (bytes), got ${shown(text)}`);
  }
  return bytes;
}

/**
 * The container's first process is Node until it execs the command, and it
 * joins the cgroup already running: it needs about 10 MiB there (measured:
 * memory.peak 8–10 MiB for `/bin/echo`). Below this the kernel OOM-kills it
 * before the command runs, which would read as the command's failure.
 */
export const MIN_MEMORY_BYTES = 16 * 1024 ** 2;

export function parseMemory(text: string): number {
  const bytes = parseSize('--memory', text);
  if (bytes < MIN_MEMORY_BYTES) {
    throw new UsageError(`Expected --memory to be at least 16m (the container's first process is Node until it execs your command, and needs about 10 MiB to start), got ${shown(text)}`);
  }
  return bytes;
}

/** A value as an error message shows it: quoted, and cut if long — a 300-character --name is not echoed whole. */
export function shown(text: string, max = 40): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

export function parseCpus(text: string): number {
  const cpus = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(cpus >= 0.01 && cpus <= 1024)) {
    throw new UsageError(`Expected --cpus to be a number of CPUs such as 0.5 or 2 (at least 0.01), got ${shown(text)}`);
  }
  return cpus;
}

export function parsePositiveInteger(flag: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`Expected ${flag} to be a whole number of at least 1, got ${shown(text)}`);
  return n;
}

/**
 * The container's first process is Node until it execs the command, and each
 * of its threads counts against pids.max: below this it cannot even start.
 */
export const MIN_PIDS = 16;

export function parsePids(text: string): number {
  const n = parsePositiveInteger('--pids', text);
  if (n < MIN_PIDS) {
    throw new UsageError(`Expected --pids to be at least ${MIN_PIDS} (the container's first process is Node until it execs your command, and its threads count as tasks), got ${shown(text)}`);
  }
  return n;
}

export function parsePublish(text: string): PortMapping {
  const match = /^(\d+):(\d+)$/.exec(text);
  const [hostPort, containerPort] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  const valid = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;
  if (!valid(hostPort) || !valid(containerPort)) {
    throw new UsageError(`Expected --publish to be HOSTPORT:CONTAINERPORT with ports 1-65535, such as 8080:80, got ${shown(text)}`);
  }
  return { hostPort, containerPort };
}

/** IN:OUT:COUNT, repeatable; ranges may not overlap on either side (user_namespaces(7)). */
export function parseIdMaps(flag: string, texts: readonly string[]): IdMapping[] {
  const maps = texts.map((text) => {
    const match = /^(\d+):(\d+):(\d+)$/.exec(text);
    const [inside, outside, count] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [NaN, NaN, NaN];
    if (!match || count < 1 || inside + count > 2 ** 32 || outside + count > 2 ** 32) {
      throw new UsageError(`Expected ${flag} to be INSIDE:OUTSIDE:COUNT such as 0:100000:65536, got ${shown(text)}`);
    }
    return { inside, outside, count };
  });
  for (const side of ['inside', 'outside'] as const) {
    const sorted = [...maps].sort((a, b) => a[side] - b[side]);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      if (prev[side] + prev.count > sorted[k]![side]) {
        throw new UsageError(`Expected ${flag} ranges not to overlap, but ${side} IDs ${sorted[k]![side]}… are in two of them`);
      }
    }
  }
  return maps;
}
