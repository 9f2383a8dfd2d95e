/**
 * A real registry on this machine: Debian's `docker-registry` (the CNCF
 * distribution project, the registry Docker Hub's code grew from), started
 * with a config of our own — never Debian's /etc/docker/registry/config.yml,
 * which listens on every interface and wants htpasswd — on 127.0.0.1 only,
 * with a storage directory of its own that is removed when it stops.
 *
 * It runs under `setpriv --pdeathsig KILL`: if whoever started it dies, even
 * by SIGKILL, the kernel kills the registry too (prctl(2) PR_SET_PDEATHSIG);
 * its temporary folder /tmp/workbook-registry-<pid>-… names our PID, so
 * `npm run clean` knows it is a leftover once we are gone.
 * https://distribution.github.io/distribution/about/configuration/
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RegistryError } from './http.ts';

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; file: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface RegistryOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** Blobs and repositories; default a fresh temporary folder. Several registries may serve one storage. */
  storage?: string;
  auth?: RegistryAuth;
  /** How long docker-registry may take to answer /v2/ (ms, default 10 s); a slow machine's grader stretches it. */
  startLimitMs?: number;
}

export interface AccessLogLine {
  method: string;
  path: string;
  status: number;
  /** Bytes of body the registry wrote. */
  bytes: number;
}

export interface Registry {
  /** "127.0.0.1:43121": what goes at the start of an image reference. */
  host: string;
  storage: string;
  process: ChildProcess;
  /** Every request answered so far, from the registry's own access log. */
  accessLog(): AccessLogLine[];
  /** What it printed (the access log and its own log lines). */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  // A free port can be taken by someone else between our probe and the registry's bind(2):
  // then the registry exits ("address already in use") and another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (options.port || attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(options: RegistryOptions): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-registry-${process.pid}-`));
  const storage = options.storage ?? path.join(dir, 'storage');
  const port = options.port || await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, configYaml(host, storage, options.auth ?? { kind: 'none' }));

  let out = '';
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'docker-registry', 'serve', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The registry's http.secret, so it does not warn about making one up.
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', REGISTRY_HTTP_SECRET: crypto.randomBytes(16).toString('hex') },
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  // Ready when /v2/ answers (200, or 401 with auth) as a registry does, while our process lives.
  const limit = options.startLimitMs ?? 10000;
  for (const deadline = Date.now() + limit; ;) {
    const dead = spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    if (!dead) {
      const res = await fetch(`http://${host}/v2/`).catch(() => undefined);
      await res?.body?.cancel();
      const registry = res?.headers.get('docker-distribution-api-version')?.startsWith('registry/2') === true;
      if (registry && child.exitCode === null) break;
    }
    if (dead || Date.now() > deadline) {
      if (!dead) child.kill('SIGKILL');
      await stop();
      const why = (spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'setpriv or docker-registry is not installed (apt-get install docker-registry util-linux)'
        : dead ? (out.trim().split('\n').at(-1) ?? 'it exited') : `no answer within ${Math.round(limit / 1000)} s`;
      throw new RegistryError(`docker-registry did not start on ${host}: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, storage, process: child, output: () => out, accessLog: () => parseAccessLog(out), stop };
}

/** Combined Log Format lines: 127.0.0.1 - - [date] "GET /v2/a/blobs/sha256:… HTTP/1.1" 200 1397551 "" "ua" */
export function parseAccessLog(text: string): AccessLogLine[] {
  return [...text.matchAll(/^\S+ \S+ \S+ \[[^\]]+\] "(\w+) (\S+) [^"]*" (\d{3}) (\d+|-)/gm)].map((m) => ({
    method: m[1]!, path: m[2]!, status: Number(m[3]), bytes: m[4] === '-' ? 0 : Number(m[4]),
  }));
}

function configYaml(host: string, storage: string, auth: RegistryAuth): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (auth.kind === 'htpasswd') lines.push('auth:', '  htpasswd:', '    realm: workbook', `    path: ${JSON.stringify(auth.file)}`);
  if (auth.kind === 'token') {
    lines.push('auth:', '  token:', `    realm: ${JSON.stringify(auth.realm)}`, `    service: ${JSON.stringify(auth.service)}`,
      `    issuer: ${JSON.stringify(auth.issuer)}`, `    rootcertbundle: ${JSON.stringify(auth.rootCertBundle)}`);
  }
  return `${lines.join('\n')}\n`;
}
