/**
 * Chapter 9 — images from a registry. The checks pull from real
 * docker-registry processes this suite starts on 127.0.0.1 (anonymous,
 * htpasswd, and token auth with a token server of its own), all serving one
 * storage that skopeo filled with the workbook's images. What is graded is
 * seen from outside the puller: the registry's own access log (which blobs it
 * sent, how many bytes), the token server's and the fronts' records (who sent
 * which header where), and the store on disk (every blob hashed again here).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, TARGET, TIME_SCALE, described, type Ran } from '../support/container.ts';
import { settle } from '../support/host.ts';
import { startFront, type Front } from '../support/registry.ts';
import { SEEDED_STORAGE, seedSuiteRegistry } from '../support/registry-seed.ts';
import { indexEntry, readBlob, type Manifest } from '../../toolkit/image/layout.ts';
import { IMAGES_DIR } from '../../toolkit/image/store.ts';
import { LIB_DIR, PROJECT, ROOTFS, RUN_DIR } from '../../toolkit/paths.ts';
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, formatPlatform, hostPlatform } from '../../toolkit/registry/media-types.ts';
import { freePort, startRegistry, type AccessLogLine, type Registry } from '../../toolkit/registry/server.ts';
import { foreignPlatforms } from '../../toolkit/registry/seed.ts';
import { listStates } from '../../toolkit/runtime/state.ts';
import { startTokenServer, type TokenServer } from '../../toolkit/registry/token-server.ts';

const rand = () => crypto.randomBytes(4).toString('hex');
const USER = 'learner';
const PASSWORD = 'workbook-pass';
// bcrypt of PASSWORD (htpasswd -B): the registry's htpasswd auth accepts bcrypt only.
const HTPASSWD = `${USER}:$2b$04$KvO7UziLi38WszJchULEBOV0VMWKDS45LLiLyvPn.NZ86ygqriF3q\n`;

/** Stores of their own (LIB_DIR for the puller), beside the workbook's: removed at the end; `.tmp-PID` lets `npm run clean` find them after a crash. */
const stores: string[] = [];
function newStore(): string {
  const dir = path.join(LIB_DIR, `registry-test.tmp-${process.pid}-${rand()}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'warned-outside-vm'), ''); // the runner's once-per-machine note, already seen
  stores.push(dir);
  return dir;
}

let scratch = '';
let anon: Registry;
let basic: Registry;
let tokened: Registry;
let tokens: TokenServer;
let storageHost: Front; // 127.0.0.2: where the front redirects blob downloads
let redirecting: Front; // in front of the token registry, answers blob GETs with 307 to storageHost
let tamper: Front; // in front of the anonymous registry: corrupts, dribbles, lies, oversizes
const fronts: Front[] = [];
/** docker-registry's start, stretched on a slow machine (the VM under software emulation) as the hooks are. */
const startLimitMs = 10_000 * TIME_SCALE;
let webDigest = '';
let demoDigest = '';
let web: Manifest;
let demo: Manifest;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-registrytest-${process.pid}-`));
  // A storage the selftest seeded once for all its runs (support/registry-seed.ts), or one of our own.
  anon = await startRegistry({ ...(SEEDED_STORAGE !== undefined ? { storage: SEEDED_STORAGE } : {}), startLimitMs });
  if (SEEDED_STORAGE === undefined) seedSuiteRegistry(anon.host, scratch);

  const htpasswd = path.join(scratch, 'htpasswd');
  fs.writeFileSync(htpasswd, HTPASSWD);
  basic = await startRegistry({ storage: anon.storage, startLimitMs, auth: { kind: 'htpasswd', file: htpasswd } });
  tokens = await startTokenServer({ users: { [USER]: PASSWORD } });
  tokened = await startRegistry({ storage: anon.storage, startLimitMs, auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile } });
  storageHost = await startFront({ upstream: anon.host, listen: '127.0.0.2' });
  redirecting = await startFront({ upstream: tokened.host, redirectBlobsTo: `http://${storageHost.host}` });

  webDigest = indexEntry(IMAGES_DIR, 'web')!.digest;
  demoDigest = indexEntry(IMAGES_DIR, 'demo')!.digest;
  web = JSON.parse(readBlob(IMAGES_DIR, indexEntry(IMAGES_DIR, 'web')!, 'manifest').toString()) as Manifest;
  demo = JSON.parse(readBlob(IMAGES_DIR, indexEntry(IMAGES_DIR, 'demo')!, 'manifest').toString()) as Manifest;
  const json = (o: unknown) => ({ status: 200, headers: { 'content-type': OCI_MANIFEST }, body: Buffer.from(JSON.stringify(o)) });
  tamper = await startFront({
    upstream: anon.host,
    mapPath: (p) => p.replace(/^\/v2\/(tamper|slow)\//, '/v2/workbook/'),
    // /tamper/web: the config arrives corrupt, then the base layer slowly — time to look at the store in between.
    corrupt: (p) => p === `/v2/tamper/web/blobs/${web.config.digest}`,
    throttle: { match: (p) => (p.startsWith('/v2/slow/') && p.includes('/blobs/')) || p === `/v2/tamper/web/blobs/${web.layers[0]!.digest}`, bytesPerSecond: 256 * 1024 },
    answer: (p) => {
      if (p.startsWith('/v2/odd/x/manifests/')) return json({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json', config: web.config, layers: web.layers });
      if (p.startsWith('/v2/big/x/manifests/')) return { status: 200, headers: { 'content-type': OCI_MANIFEST }, body: Buffer.alloc(5 * 1024 * 1024, 0x20) };
      if (p.startsWith('/v2/bigconfig/x/manifests/')) return json({ ...web, config: { ...web.config, size: 1 << 30 } });
      // Asked for demo's manifest by digest, it answers web's: only hashing what arrived shows it.
      if (p === `/v2/liar/x/manifests/${demoDigest}`) return json(web);
      return undefined;
    },
  });
  fronts.push(storageHost, redirecting, tamper);
}, 60_000 * TIME_SCALE);

afterAll(async () => {
  for (const f of fronts) await f.stop();
  for (const r of [anon, basic, tokened]) await r?.stop();
  await tokens?.stop();
  for (const s of stores) fs.rmSync(s, { recursive: true, force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

// ─── How the puller is run, and what is looked at ───────────────────────────

interface Pull extends Ran {
  /** The registry's access-log lines for this pull. */
  log: AccessLogLine[];
}

/** `npm run pull -- REF` minus npm: the runner's own command line. */
function pullArgs(ref: string, creds?: string): string[] {
  return [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/pull.ts'), ...(TARGET === 'solutions' ? ['--solution'] : []), ...(creds ? ['--creds', creds] : []), ref];
}

function spawnPull(ref: string, store: string, creds?: string) {
  return spawn(process.execPath, pullArgs(ref, creds), { cwd: PROJECT, env: { ...process.env, WORKBOOK_LIB_DIR: store, WORKBOOK_ROOTFS: ROOTFS, FORCE_COLOR: '0', NODE_EXTRA_CA_CERTS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `npm run pull -- REF` (the learner's puller, or the reference) with `store` as its LIB_DIR. */
async function pull(ref: string, store: string, creds?: string, registry: Registry = anon): Promise<Pull> {
  const before = registry.accessLog().length;
  const child = spawnPull(ref, store, creds);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000 * TIME_SCALE);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  // The registry logs a request once it has answered it; give the last line a moment to arrive.
  let count = -1;
  await settle(() => registry.accessLog().length, (n) => { const same = n === count; count = n; return same; }, 500);
  return { code, signal, stdout, stderr, log: registry.accessLog().slice(before) };
}

const blobGets = (log: AccessLogLine[]) => log.filter((l) => l.method === 'GET' && /\/blobs\/sha256:/.test(l.path));
const blobBytes = (log: AccessLogLine[]) => blobGets(log).reduce((sum, l) => sum + l.bytes, 0);
const digestOf = (l: AccessLogLine) => /sha256:[a-f0-9]{64}/.exec(l.path)?.[0] ?? '';

/** Every file of the store's blobs/sha256, and whether its bytes hash to its name — hashed here, from the host. */
function storeBlobs(store: string): { name: string; ok: boolean }[] {
  const dir = path.join(store, 'pulled', 'blobs', 'sha256');
  return (fs.existsSync(dir) ? fs.readdirSync(dir) : []).flatMap((name) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(dir, name));
    } catch {
      return []; // removed between readdir and read (a failed pull cleaning up)
    }
    return [{ name: `sha256:${name}`, ok: crypto.createHash('sha256').update(bytes).digest('hex') === name }];
  });
}

function named(store: string): string[] {
  try {
    const index = JSON.parse(fs.readFileSync(path.join(store, 'pulled', 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
    return index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '');
  } catch {
    return [];
  }
}

function layerDirs(store: string): string[] {
  const dir = path.join(store, 'layers', 'sha256');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((h) => `sha256:${h}`) : [];
}

/** The one line a bad pull should end with: exactly one "workbook:" error line, no stack. */
function oneLine(p: Pull): string | null {
  const lines = p.stderr.split('\n').filter((l) => l.startsWith('workbook:'));
  return lines.length === 1 && !/\n\s+at /.test(p.stderr) && p.code !== 0 ? lines[0]! : null;
}

const short = (d: string) => d.slice(7, 19);

/**
 * The hint, from what the pull said when it failed: an unfinished step names
 * itself; the registry's answers point at the step that shapes the request.
 * Otherwise the check's own hint.
 */
function blame(p: Ran, otherwise: string): string {
  const todo = /not done yet: (9\.\d)/.exec(p.stderr)?.[1];
  if (todo) return `TODO ${todo} is not done yet`;
  if (p.code === 0) return otherwise;
  if (/accept header/i.test(p.stderr)) return 'the registry says the Accept header leaves out the OCI types: fetchManifest (TODO 9.4) must name all four';
  if (/token from .*: 401 /.test(p.stderr)) return 'the token server refused: authorize (TODO 9.2) asks the realm with the user\'s credentials as Basic';
  if (/: 401 /.test(p.stderr)) return 'the registry answered 401: openSession (TODO 9.1) must answer the challenge with authorize() (TODO 9.2), and registryFetch (TODO 9.3) send it';
  return otherwise;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The memory limit (bytes) and CPUs of a process's cgroup, read from cgroupfs on the host (v1 or v2). */
function cgroupLimits(pid: number): { memory?: string; cpu?: string } {
  const lines = readOr(`/proc/${pid}/cgroup`).trim().split('\n').map((l) => l.split(':'));
  const v1 = (controller: string) => lines.find((l) => l[1]!.split(',').includes(controller))?.[2];
  const v2 = lines.find((l) => l[0] === '0' && l[1] === '')?.[2];
  if (v1('memory') !== undefined) {
    const quota = Number(readOr(`/sys/fs/cgroup/cpu${path.join('/', v1('cpu') ?? '')}/cpu.cfs_quota_us`));
    const period = Number(readOr(`/sys/fs/cgroup/cpu${path.join('/', v1('cpu') ?? '')}/cpu.cfs_period_us`));
    return { memory: readOr(`/sys/fs/cgroup/memory${v1('memory')}/memory.limit_in_bytes`).trim(), cpu: period > 0 ? String(quota / period) : '' };
  }
  const [quota, period] = readOr(`/sys/fs/cgroup${v2 ?? ''}/cpu.max`).trim().split(' ').map(Number);
  return { memory: readOr(`/sys/fs/cgroup${v2 ?? ''}/memory.max`).trim(), cpu: period ? String(quota! / period) : '' };
}

/** npm run stop/rm … minus npm, with the run's environment. */
async function lifecycle(command: 'stop' | 'rm', args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  const child = spawn(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, `toolkit/cli/${command}.ts`), ...args], { cwd: PROJECT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000 * TIME_SCALE);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, sig) => resolve([c, sig])));
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

// ─── The checks ─────────────────────────────────────────────────────────────

describe('given: the registries', () => {
  test('docker-registry listens on 127.0.0.1 only, and serves the seeded images', async () => {
    const port = anon.host.split(':')[1];
    const other = await fetch(`http://127.0.0.2:${port}/v2/`).then(() => 'answered', () => 'refused');
    const res = await fetch(`http://${anon.host}/v2/workbook/web/manifests/latest`, { headers: { Accept: OCI_MANIFEST } });
    check(other === 'refused' && res.status === 200 && res.headers.get('docker-content-digest') === webDigest, {
      expected: `127.0.0.2:${port} refused; workbook/web:latest served with digest ${short(webDigest)}…`,
      seen: `127.0.0.2: ${other}; GET manifest: ${res.status} ${res.headers.get('docker-content-digest') ?? ''}`,
      hint: 'this checks the toolkit (toolkit/registry/server.ts, seed.ts): it fails only if docker-registry or skopeo is broken or missing',
    });
  });
});

describe('given: --explain', () => {
  test('--explain of an image not pulled yet says the run pulls it first, and asks the registry nothing', async () => {
    const s = newStore();
    const ref = `${anon.host}/workbook/demo:latest`;
    const before = anon.accessLog().length;
    const run = new Running(9, ['--explain', '--init', '--image', ref], [], { env: { ...process.env, WORKBOOK_LIB_DIR: s, WORKBOOK_ROOTFS: ROOTFS, FORCE_COLOR: '0' } });
    const timer = setTimeout(() => run.kill('SIGKILL'), 30_000 * TIME_SCALE);
    const ran = await run.done;
    clearTimeout(timer);
    // The registry logs a request once answered: a moment for a late line.
    await new Promise((r) => setTimeout(r, 300));
    const asked = anon.accessLog().slice(before).length;
    check(ran.code === 0 && ran.stdout.includes(`${ref} is not in the store yet`) && /pulls it first/.test(ran.stdout) && /Entrypoint and Cmd/.test(ran.stdout) && ran.stderr.trim() === '' && asked === 0 && storeBlobs(s).length === 0, {
      expected: `exit 0; the steps, the first one saying ${ref} is not in the store yet and the run pulls it first; the command shown as the image's Entrypoint and Cmd; nothing on stderr, no request to the registry, nothing stored`,
      seen: `${described(ran)}; stdout ${shown(ran.stdout.split('\n').slice(0, 6).join(' / '))}; registry requests: ${asked}; blobs stored: ${storeBlobs(s).length}`,
      hint: 'toolkit/cli/explain.ts and chapter.ts: --explain runs nothing, so it pulls nothing',
    });
  });
});

describe('chapter 9: registry', () => {
  const store = newStore(); // the main store: web, then web again, then demo
  let first: Pull;

  test('a pull fetches config and layers by digest from the registry; the store holds each, named by its sha256', async () => {
    first = await pull(`${anon.host}/workbook/web:latest`, store);
    const blobs = storeBlobs(store);
    const wanted = [web.config.digest, ...web.layers.map((l) => l.digest)];
    const fetched = blobGets(first.log).filter((l) => l.status === 200).map(digestOf);
    const manifestGets = first.log.filter((l) => l.method === 'GET' && l.path === '/v2/workbook/web/manifests/latest' && l.status === 200);
    const ok = first.code === 0 && wanted.every((d) => fetched.filter((f) => f === d).length === 1) && manifestGets.length >= 1
      && wanted.every((d) => blobs.some((b) => b.name === d)) && blobs.every((b) => b.ok)
      && web.layers.every((l) => layerDirs(store).includes(l.digest)) && named(store).includes(`${anon.host}/workbook/web:latest`);
    check(ok, {
      expected: `exit 0; the registry's access log: GET /v2/workbook/web/manifests/latest, then each of ${wanted.map(short).join(', ')} once by /blobs/<digest>; in the store each blob hashes to its name, the layers are unpacked, and the image is named`,
      seen: `${described(first)}; blobs fetched: ${fetched.map(short).join(', ') || 'none'}; store: ${blobs.map((b) => `${short(b.name)}${b.ok ? '' : ' (WRONG DIGEST)'}`).join(', ') || 'empty'}; named: ${named(store).join(', ') || 'nothing'}`,
      hint: blame(first, 'pullImage (TODO 9.7) fetches the manifest (9.4), then the config and each layer with downloadBlob (TODO 9.6), and hands the image to installImage()'),
    });
  });

  test('a second pull of the same image asks the registry for the manifest again, and downloads 0 layer bytes', async () => {
    const again = await pull(`${anon.host}/workbook/web:latest`, store);
    const manifest = again.log.filter((l) => l.path === '/v2/workbook/web/manifests/latest' && l.status === 200);
    check(first?.code === 0 && again.code === 0 && manifest.length >= 1 && blobGets(again.log).length === 0, {
      expected: 'exit 0, the manifest fetched again (a tag can move), and no /blobs/ request at all: 0 bytes',
      seen: `${described(again)}; manifest requests: ${manifest.length}; blob requests: ${blobGets(again.log).length}, ${blobBytes(again.log)} bytes`,
      hint: blame(again, 'a layer the store has (layerInStore) and a config it has (blobInStore) are not downloaded again (TODO 9.7)'),
    });
  });

  test('an image sharing the base layer downloads only the layers it does not share', async () => {
    const d = await pull(`${anon.host}/workbook/demo:latest`, store);
    const fetched = blobGets(d.log).map(digestOf);
    const base = demo.layers[0]!.digest;
    const own = [demo.config.digest, ...demo.layers.slice(1).map((l) => l.digest)];
    check(first?.code === 0 && d.code === 0 && base === web.layers[0]!.digest && !fetched.includes(base) && own.every((o) => fetched.includes(o)), {
      expected: `demo's config and its 2 own layers fetched; the base ${short(base)}… (web's too, already in the store) not fetched`,
      seen: `${described(d)}; fetched: ${fetched.map(short).join(', ') || 'none'} (${blobBytes(d.log)} bytes)`,
      hint: blame(d, 'before downloading a layer, ask the store (layerInStore): layers are shared by digest (TODO 9.7)'),
    });
  });

  test('the manifest is asked for with an Accept naming the OCI index and manifest and Docker\'s list and v2 manifest; by tag and by digest', async () => {
    const s = newStore();
    const byTag = await pull(`${tamper.host}/workbook/web:latest`, s);
    const byDigest = await pull(`${tamper.host}/workbook/web@${webDigest}`, s);
    const accepts = tamper.seen.filter((x) => x.path.startsWith('/v2/workbook/web/manifests/')).map((x) => x.accept ?? '');
    const all = accepts.length >= 2 && accepts.every((a) => [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].every((t) => a.includes(t)));
    check(byTag.code === 0 && byDigest.code === 0 && all && named(s).includes(`${tamper.host}/workbook/web@${webDigest}`), {
      expected: `both pulls exit 0; every manifest request's Accept contains ${[OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ')}; the image is named by digest too`,
      seen: `by tag: ${described(byTag)}; by digest: ${described(byDigest)}; Accept: ${accepts.map((a) => shown(a, 200)).join(' | ') || 'no manifest request'}`,
      hint: blame(byTag, 'fetchManifest (TODO 9.4) sends GET /v2/<name>/manifests/<tag or digest> with Accept listing all four types: without the OCI ones the registry answers 404'),
    });
  });

  test('from an image index, the manifest for this machine\'s platform is pulled, and --image REF pulls then runs it', async () => {
    const s = newStore();
    const ref = `${anon.host}/workbook/multi:latest`;
    // --network none: reading a file needs no bridge (the every-wall check below has one).
    const run = new Running(9, ['--network', 'none', '--image', ref, '--', '/bin/cat', '/etc/platform'], [], { env: { ...process.env, WORKBOOK_LIB_DIR: s, WORKBOOK_ROOTFS: ROOTFS } });
    const timer = setTimeout(() => run.kill('SIGKILL'), 30_000 * TIME_SCALE);
    const ran = await run.done;
    clearTimeout(timer);
    const platform = formatPlatform(hostPlatform());
    check(ran.code === 0 && ran.stdout.trim() === platform && named(s).includes(ref), {
      expected: `npm run chapter 9 -- --image ${ref} -- cat /etc/platform: pulls it, prints ${platform}, exit 0`,
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}; named in the store: ${named(s).join(', ') || 'nothing'}`,
      hint: blame(ran, 'an index (OCI index or Docker list) lists one manifest per platform: choosePlatform picks os/architecture/variant (TODO 9.5), then fetch that manifest by its digest (TODO 9.7)'),
    });
  });

  test('without a command, the pulled image\'s Entrypoint and Cmd run: exec form as the process itself, shell form through /bin/sh -c, a command replacing Cmd only', async () => {
    const s = newStore();
    const env = { ...process.env, WORKBOOK_LIB_DIR: s, WORKBOOK_ROOTFS: ROOTFS };
    const exec = `${anon.host}/cmd/exec:latest`;
    const shell = `${anon.host}/cmd/shell:latest`;
    // One pull at a time into the store (the two runs of cmd/exec would pull it together), then the runs side by side.
    const started = async (args: string[]) => {
      const run = new Running(9, ['--network', 'none', ...args], [], { env });
      const timer = setTimeout(() => run.kill('SIGKILL'), 45_000 * TIME_SCALE);
      void run.done.then(() => clearTimeout(timer));
      return run;
    };
    const bare = await started(['--image', exec]);
    const own = (run: Running) => listStates().find((st) => st.runner === run.process.pid)?.pid;
    // Seen from the host: the command line of the container's PID 1 (/proc/PID/cmdline), once it has exec'd its command.
    const cmdline = (run: Running) => { const pid = own(run); return pid === undefined ? '' : readOr(`/proc/${pid}/cmdline`).split('\0').filter(Boolean).join(' '); };
    const seenBare = await settle(() => cmdline(bare), (c) => c.startsWith('/bin/sleep') || bare.process.exitCode !== null, 30_000);
    const [args, sh] = await Promise.all([started(['--image', exec, '--', '43']), started(['--image', shell])]);
    const [seenArgs, seenShell] = await Promise.all([
      settle(() => cmdline(args), (c) => c.startsWith('/bin/sleep') || args.process.exitCode !== null, 30_000),
      settle(() => cmdline(sh), (c) => c === 'sleep 44' || sh.process.exitCode !== null, 30_000),
    ]);
    for (const r of [bare, args, sh]) r.kill('SIGKILL');
    const [a, b, c] = await Promise.all([bare.done, args.done, sh.done]);
    check(seenBare === '/bin/sleep 42' && seenArgs === '/bin/sleep 43' && seenShell === 'sleep 44' && c.stdout.includes('home=/root'), {
      expected: 'PID 1 of cmd/exec is "/bin/sleep 42" (Entrypoint + Cmd, no shell); with the command 43, "/bin/sleep 43" (Cmd replaced, Entrypoint kept); cmd/shell\'s /bin/sh -c expands $HOME (home=/root) and execs "sleep 44"',
      seen: `cmd/exec: ${seenBare ? shown(seenBare) : described(a)}; with 43: ${seenArgs ? shown(seenArgs) : described(b)}; cmd/shell: ${seenShell ? shown(seenShell) : described(c)}, stdout ${shown(c.stdout)}`,
      hint: blame({ ...a, stderr: a.stderr + c.stderr }, 'the runner reads Entrypoint and Cmd from the config blob the pull stored (toolkit/image/config.ts): pullImage (TODO 9.7) downloads the config the manifest names and hands it to installImage()'),
    });
  }, 120_000 * TIME_SCALE); // a pull, then three starts, two at a time: more than one start's limit under emulation

  test('the pulled image runs with every wall: -d --name web -m 512m --cpus 2 -p PORT:80 --init, as docker run does', async () => {
    const s = newStore();
    const ref = `${anon.host}/workbook/web:latest`;
    const name = `grader9-web-${process.pid}`;
    const port = await freePort();
    const env = { ...process.env, WORKBOOK_LIB_DIR: s, WORKBOOK_ROOTFS: ROOTFS };
    const before = anon.accessLog().length;
    const start = new Running(9, ['-d', '--name', name, '-m', '512m', '--cpus', '2', '-p', `${port}:80`, '--init', '--image', ref, '--', 'httpd', '-f', '-p', '80', '-h', '/var/www'], [], { env });
    const timer = setTimeout(() => start.kill('SIGKILL'), 60_000 * TIME_SCALE);
    const started = await start.done;
    clearTimeout(timer);
    const id = started.stdout.trim();
    const pid = (() => {
      try {
        return (JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'containers', `${id}.json`), 'utf8')) as { pid?: number }).pid;
      } catch {
        return undefined;
      }
    })();
    // From the host: the page through the published port, PID 1's uid on the host, its memory and CPU limits.
    // -d returns once the first process exists; its network and httpd come up after.
    let page = '';
    let failure = '';
    for (const deadline = Date.now() + 20_000 * TIME_SCALE; pid !== undefined && !page.includes('Hello') && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      page = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text(), (e: Error & { cause?: { code?: string } }) => {
        failure = e.cause?.code ?? e.name;
        return '';
      });
    }
    const status = pid !== undefined ? readOr(`/proc/${pid}/status`) : '';
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const seccomp = /^Seccomp:\s+(\d+)/m.exec(status)?.[1];
    const capBnd = /^CapBnd:\s+(\w+)/m.exec(status)?.[1];
    const limits = pid !== undefined ? cgroupLimits(pid) : {};
    const fetched = blobGets(anon.accessLog().slice(before)).filter((l) => l.status === 200).map(digestOf);
    const stop = await lifecycle('stop', [name], env);
    await lifecycle('rm', ['-f', name], env);
    const text = page;
    check(started.code === 0 && text.includes('Hello from the web image') && uid !== undefined && uid !== '0' && limits.memory === String(512 * 1024 * 1024) && limits.cpu === '2'
      && seccomp === '2' && capBnd === '00000000a80425fb'
      && web.layers.every((l) => fetched.includes(l.digest)) && stop.code === 0, {
      expected: `${ref} pulled from the registry (its layers in its access log), then running detached: its page on 127.0.0.1:${port}, PID 1 an unprivileged uid on the host (a user namespace), docker's 14 capabilities and a seccomp filter, a 512 MiB memory limit and 2 CPUs in its cgroup; stop ends it`,
      seen: `start: ${described(started)}; layers fetched: ${fetched.map(short).join(', ') || 'none'}; page: ${text ? shown(text) : `none (${failure || 'no PID'})`}; uid on the host: ${uid ?? '?'}; CapBnd ${capBnd ?? '?'}, Seccomp ${seccomp ?? '?'}; limits: ${JSON.stringify(limits)}; stop: ${described(stop)}`,
      hint: blame(started, 'pull() runs before anything else (docker run pulls first); then chapters 2–8 make the container around the pulled layers: npm run chapter 9 -- --explain'),
    });
  }, 120_000 * TIME_SCALE); // a pull and a detached start (60 s), then the page (20 s) and the walls: more than vitest's default

  test('bearer token auth: 401 with WWW-Authenticate: Bearer → a token from the realm, with the credentials → the pull', async () => {
    const s = newStore();
    const ok = await pull(`${tokened.host}/workbook/web:latest`, s, `${USER}:${PASSWORD}`, tokened);
    const asked = tokens.requests.filter((r) => r.scope === 'repository:workbook/web:pull' && r.user === USER);
    const anonymous = await pull(`${tokened.host}/workbook/demo:latest`, newStore(), undefined, tokened);
    check(ok.code === 0 && asked.length >= 1 && blobGets(ok.log).some((l) => l.status === 200) && anonymous.code !== 0 && /: 401 |UNAUTHORIZED/.test(anonymous.stderr), {
      expected: `with --creds: exit 0, the token server asked for scope repository:workbook/web:pull by ${USER}, blobs served; without: exit ≠ 0, the token server's 401 in one line`,
      seen: `with: ${described(ok)}; token requests: ${JSON.stringify(tokens.requests.slice(-3))}; without: ${described(anonymous)}`,
      hint: blame(ok, 'openSession (TODO 9.1) gets 401 from GET /v2/; authorize (TODO 9.2) asks the realm for ?service=…&scope=repository:<name>:pull, with Basic credentials, and sends "Bearer <token>" on every request'),
    });
  });

  test('basic auth: the htpasswd registry accepts the user\'s name and password, and refuses wrong ones in one line', async () => {
    const ok = await pull(`${basic.host}/workbook/web:latest`, newStore(), `${USER}:${PASSWORD}`, basic);
    const wrong = await pull(`${basic.host}/workbook/web:latest`, newStore(), `${USER}:nope`, basic);
    const authed = ok.log.filter((l) => l.path.includes('/manifests/') && l.status === 200);
    check(ok.code === 0 && authed.length >= 1 && oneLine(wrong) !== null && /: 401 |UNAUTHORIZED/.test(wrong.stderr), {
      expected: 'right password: exit 0, manifest served; wrong one: exit ≠ 0 and one line with the registry\'s 401 UNAUTHORIZED',
      seen: `right: ${described(ok)}; wrong: ${described(wrong)}`,
      hint: blame(ok, 'a Basic challenge is answered with "Basic base64(user:password)" (TODO 9.2), sent on every request to the registry (TODO 9.3)'),
    });
  });

  test('a redirect to another host is followed, and the Authorization header stays with the registry', async () => {
    const s = newStore();
    const before = storageHost.seen.length;
    const ran = await pull(`${redirecting.host}/workbook/demo:latest`, s, `${USER}:${PASSWORD}`, tokened);
    const atStorage = storageHost.seen.slice(before).filter((x) => x.path.includes('/blobs/'));
    const leaked = atStorage.filter((x) => x.authorization);
    const atRegistry = redirecting.seen.filter((x) => x.path.includes('/manifests/') && x.authorization?.startsWith('Bearer '));
    check(ran.code === 0 && atStorage.length >= 3 && leaked.length === 0 && atRegistry.length >= 1 && storeBlobs(s).every((b) => b.ok), {
      expected: `exit 0; every blob fetched from ${storageHost.host} (the 307's Location) without an Authorization header; the registry got the Bearer token`,
      seen: `${described(ran)}; blob requests at the other host: ${atStorage.length}, with Authorization: ${leaked.length}; manifest requests with a token: ${atRegistry.length}`,
      hint: blame(ran, 'registryFetch (TODO 9.3) follows 3xx by hand (redirect: "manual") and sends Authorization only while the URL\'s origin is the registry\'s'),
    });
  });

  test('a blob whose bytes do not hash to its digest is refused: one line, never stored under its name, the image not named', async () => {
    const s = newStore();
    // Watched from the host while the pull runs: a wrong blob must never appear under its digest, not even for a moment.
    let watching = true;
    const wrongSeen = new Set<string>();
    const watch = (async () => {
      while (watching) {
        for (const b of storeBlobs(s)) if (!b.ok) wrongSeen.add(b.name);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const ran = await pull(`${tamper.host}/tamper/web:latest`, s);
    watching = false;
    await watch;
    const blobs = storeBlobs(s);
    check(oneLine(ran) !== null && /digest/i.test(ran.stderr) && wrongSeen.size === 0 && blobs.every((b) => b.ok) && named(s).length === 0 && layerDirs(s).length === 0, {
      expected: 'the config arrives with one byte changed: exit ≠ 0 with one line saying digest mismatch; at no moment a file in blobs/sha256 whose bytes do not hash to its name; nothing named, nothing unpacked',
      seen: `${described(ran)}; wrong blobs seen during the pull: ${[...wrongSeen].map(short).join(', ') || 'none'}; named: ${named(s).join(', ') || 'nothing'}`,
      hint: blame(ran, 'downloadBlob (TODO 9.6) hashes while it streams into a temporary file, and renames it to its digest only if the hash and size match — before the next blob is fetched'),
    });
  });

  test('a manifest that is not what its digest names is refused', async () => {
    const s = newStore();
    const ran = await pull(`${tamper.host}/liar/x@${demoDigest}`, s);
    check(oneLine(ran) !== null && /digest/i.test(ran.stderr) && storeBlobs(s).length === 0 && named(s).length === 0, {
      expected: `asked for @${short(demoDigest)}… and sent other bytes: exit ≠ 0, one line (digest mismatch), nothing stored`,
      seen: `${described(ran)}; blobs stored: ${storeBlobs(s).length}`,
      hint: blame(ran, 'pulling by digest, fetchManifest (TODO 9.4) hashes the bytes it received and compares them with the digest it asked for'),
    });
  });

  test('SIGKILL in the middle of a pull leaves no blob whose digest does not match, no half layer, no named image', async () => {
    const s = newStore();
    const before = tamper.seen.length;
    const child = spawnPull(`${tamper.host}/slow/web:latest`, s);
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const midway = await settle(() => tamper.seen.slice(before).find((x) => x.path.includes(web.layers[0]!.digest) && x.bytes > 64 * 1024), (x) => x !== undefined, 15_000);
    child.kill('SIGKILL');
    await closed;
    const blobs = storeBlobs(s);
    const layers = layerDirs(s);
    const after = await pull(`${anon.host}/workbook/web:latest`, s);
    check(midway !== undefined && blobs.every((b) => b.ok) && !blobs.some((b) => b.name === web.layers[0]!.digest) && layers.length === 0 && !named(s).some((n) => n.includes('/slow/')) && after.code === 0, {
      expected: 'killed with part of the base layer sent: every file in blobs/sha256 hashes to its name, the base layer is not there under its name, nothing unpacked or named; a new pull then succeeds',
      seen: midway === undefined ? `the pull never got 64 KiB into the base layer: ${shown(tamperTail(before))}` : `blobs: ${blobs.map((b) => `${short(b.name)}${b.ok ? '' : ' WRONG'}`).join(', ') || 'none'}; layers: ${layers.length}; named: ${named(s).join(', ') || 'nothing'}; pull afterwards: ${described(after)}`,
      hint: blame(after, 'write a blob to a temporary file (tempPath) and rename(2) it to its digest only when complete and verified (TODO 9.6)'),
    });
  });

  test('bad references: unknown tag and unknown repository show the registry\'s code and message; a registry that is down, one line', async () => {
    const s = newStore();
    const closed = await freePort();
    const [tag, repo, down] = await Promise.all([
      pull(`${anon.host}/workbook/web:no-such-tag`, s),
      pull(`${anon.host}/workbook/no-such-repo:latest`, s),
      pull(`127.0.0.1:${closed}/workbook/web:latest`, s),
    ]);
    const lines = [tag, repo, down].map(oneLine);
    check(lines.every((l) => l !== null) && /MANIFEST_UNKNOWN/.test(lines[0] ?? '') && /MANIFEST_UNKNOWN|NAME_UNKNOWN/.test(lines[1] ?? '') && /refused/i.test(lines[2] ?? '') && storeBlobs(s).length === 0, {
      expected: 'each exit ≠ 0 with one line: MANIFEST_UNKNOWN and the registry\'s message; the same for the repository; "connection refused" for the closed port; nothing stored',
      seen: [tag, repo, down].map((p) => described(p)).join(' || '),
      hint: blame(tag, 'an error answer has a JSON body {"errors":[{"code","message"}]}: responseError() makes the line (TODO 9.4); a refused connection is request()\'s line (TODO 9.1)'),
    });
  });

  test('bounds and types: a manifest over 4 MiB, a config over its bound, an unknown media type — refused in one line before anything is written', async () => {
    const s = newStore();
    const [big, bigConfig, odd] = await Promise.all([
      pull(`${tamper.host}/big/x:latest`, s),
      pull(`${tamper.host}/bigconfig/x:latest`, s),
      pull(`${tamper.host}/odd/x:latest`, s),
    ]);
    const lines = [big, bigConfig, odd].map(oneLine);
    check(/manifest/i.test(lines[0] ?? '') && /more than/i.test(lines[0] ?? '') && /config/i.test(lines[1] ?? '') && /more than/i.test(lines[1] ?? '')
      && /media type/i.test(lines[2] ?? '') && storeBlobs(s).length === 0 && named(s).length === 0, {
      expected: 'three one-line refusals: the manifest is more than the bound, the config is more than the bound, the media type is not one the workbook pulls; no blob stored',
      seen: [big, bigConfig, odd].map((p) => described(p)).join(' || '),
      hint: blame(big, 'fetchManifest reads at most MAX_MANIFEST_BYTES and checks the mediaType (TODO 9.4); pullImage refuses a config descriptor over MAX_CONFIG_BYTES before downloading it (TODO 9.7)'),
    });
  });

  test('an index without this machine\'s platform is refused, listing the platforms it has', async () => {
    const ran = await pull(`${anon.host}/workbook/foreign:latest`, newStore());
    const line = oneLine(ran) ?? '';
    const has = foreignPlatforms().map(formatPlatform);
    check(has.every((p) => line.includes(p)) && line.includes(formatPlatform(hostPlatform())), {
      expected: `one line naming this machine (${formatPlatform(hostPlatform())}) and the platforms the index has: ${has.join(', ')}`,
      seen: described(ran),
      hint: blame(ran, 'choosePlatform (TODO 9.5) throws a RegistryError that lists formatPlatform() of every entry'),
    });
  });

  test('a layer with ../ or one that writes through its own symlink is refused by chapter 4\'s confinement; nothing of it is kept', async () => {
    const s = newStore();
    const dotdot = await pull(`${anon.host}/bad/dotdot:latest`, s);
    const symlink = await pull(`${anon.host}/bad/symlink:latest`, s);
    const escaped = fs.existsSync('/tmp/escaped');
    check(/refused/.test(oneLine(dotdot) ?? '') && /\.\./.test(dotdot.stderr) && /symlink/.test(oneLine(symlink) ?? '') && !escaped
      && named(s).length === 0 && layerDirs(s).length === 0 && storeBlobs(s).length === 0, {
      expected: 'two one-line refusals (".." and "through the symlink"), nothing unpacked, named, or left in blobs/',
      seen: `../: ${described(dotdot)}; symlink: ${described(symlink)}; blobs left: ${storeBlobs(s).length}; /tmp/escaped ${escaped ? 'EXISTS' : 'absent'}`,
      hint: blame(dotdot, 'pullImage (TODO 9.7) hands the image to installImage(), which unpacks with chapter 4\'s confinement; when that throws, remove the blobs this pull downloaded (removeBlobs)'),
    });
  });
});

function tamperTail(from: number): string {
  return tamper.seen.slice(from).map((x) => `${x.method} ${x.path.slice(0, 60)} ${x.status ?? ''} ${x.bytes}`).join('; ');
}
