/**
 * Chapter 4 — images run as their config says, and volumes. An OCI image made
 * by Debian's umoci (two layers, a whiteout, Env and Cmd; toolkit/image/umoci.ts)
 * runs its Cmd with its Env; --user, --workdir, --entrypoint and --env are
 * seen from the host in /proc/PID/status, /proc/PID/cwd and /proc/PID/environ.
 * A file written to a volume is on the host after the container and its
 * upper layer are gone; a ":ro" volume is a read-only mount in the
 * container's mount table and refuses writes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, TIME_SCALE, described, runChapter, type Ran } from '../support/container.ts';
import { processesWith, settle } from '../support/host.ts';
import { CONTAINERS_DIR } from '../../toolkit/image/store.ts';
import { buildUmociImage, type UmociImage } from '../../toolkit/image/umoci.ts';
import { readContainerRecord } from '../../toolkit/image/containers.ts';
import { LIB_DIR, PROJECT, ROOTFS } from '../../toolkit/paths.ts';
import { isAlive, listStates, reapStaleContainers } from '../../toolkit/runtime/state.ts';

const rand = () => crypto.randomBytes(4).toString('hex');
/** A number no other process is likely to sleep for: how the container's process is found from the host. */
const tag = () => String(100000 + crypto.randomInt(800000));
const temps: string[] = [];
const tempDir = (label: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-image-${process.pid}-${label}-`));
  temps.push(dir);
  return dir;
};

let umoci: UmociImage;
let cmdTag = '';
let ref = '';

beforeAll(() => {
  // The image's default command sleeps for a number of seconds only this run uses.
  cmdTag = tag();
  umoci = buildUmociImage(path.join(tempDir('layout'), 'oci'), 'hello', ROOTFS, { env: ['HELLO=world'], cmd: ['/bin/sleep', cmdTag] });
  ref = `${umoci.layout}:${umoci.tag}`;
}, 120_000 * TIME_SCALE);

const containersBefore = new Set(fs.existsSync(CONTAINERS_DIR) ? fs.readdirSync(CONTAINERS_DIR) : []);

afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  // Containers this suite made and left (an unfinished cleanupHost, TODO 4.4): not those of running containers.
  const running = new Set(listStates().filter((s) => isAlive(s.runner)).map((s) => s.container.id));
  for (const id of fs.existsSync(CONTAINERS_DIR) ? fs.readdirSync(CONTAINERS_DIR) : []) {
    if (!containersBefore.has(id) && !running.has(id)) fs.rmSync(path.join(CONTAINERS_DIR, id), { recursive: true, force: true });
  }
});

/** What the host sees of a process: its credentials, working directory, environment, mounts. */
interface Seen {
  pid: number;
  uid: string;
  gid: string;
  groups: string;
  cwd: string;
  env: string[];
  mountinfo: string[];
  nspid: string;
}

function look(pid: number): Seen | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim().replace(/\s+/g, ' ') ?? '';
    return {
      pid,
      uid: field('Uid'),
      gid: field('Gid'),
      groups: field('Groups'),
      cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
      env: fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean),
      mountinfo: fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n'),
      nspid: field('NSpid'),
    };
  } catch {
    return undefined;
  }
}

/** Starts a container whose process ends up as `command` (its cmdline on the host), looks at it, then ends it. */
async function observe(args: readonly string[], command: string): Promise<{ seen?: Seen; ran: Ran }> {
  const run = new Running(4, args);
  let ended = false;
  void run.done.then(() => (ended = true));
  const pids = await settle(() => processesWith(command), (p) => p.length > 0 || ended, 20_000);
  const seen = pids.length === 1 ? look(pids[0]!) : undefined;
  for (const pid of pids) process.kill(pid, 'SIGKILL'); // the container's own process: found by its unique command line
  if (pids.length === 0) run.kill('SIGKILL');
  return { seen, ran: await run.done };
}

function findContainer(name: string): string | undefined {
  const list = fs.existsSync(CONTAINERS_DIR) ? fs.readdirSync(CONTAINERS_DIR) : [];
  return list.find((id) => {
    try {
      return readContainerRecord(path.join(CONTAINERS_DIR, id)).name === name;
    } catch {
      return false;
    }
  });
}

/** The step to blame, from what the run said: an unfinished step, a failed overlay mount, or `otherwise`. */
function blame(ran: Ran, otherwise: string): string {
  const step = /not done yet: (\d+\.\d+)/.exec(ran.stderr)?.[1];
  if (step) return `the container never reached its command: finish TODO ${step} first`;
  if (/mount\("overlay"/.test(ran.stderr)) return 'the overlay could not be mounted (TODO 4.2)';
  return otherwise;
}

/** Non-zero exit (2 unless said), one line on stderr matching `pattern`. */
function oneLine(ran: Ran, pattern: RegExp, code = 2): boolean {
  const lines = ran.stderr.trim().split('\n').filter(Boolean);
  return ran.code === code && lines.length === 1 && pattern.test(lines[0]!);
}

describe('given: the image\'s configuration (toolkit/image/config.ts, applied by the runner and the child stage)', () => {
  test('an OCI layout made by umoci runs its Cmd by default, with its Env set', async () => {
    const { seen, ran } = await observe(['--image', ref], `/bin/sleep ${cmdTag}`);
    const hello = seen?.env.includes('HELLO=world');
    const pathSet = seen?.env.some((e) => e.startsWith('PATH=/'));
    check(seen !== undefined && hello === true && pathSet === true && seen.uid === '0 0 0 0' && /\s1$/.test(seen.nspid), {
      expected: `with no command: the image's Cmd, /bin/sleep ${cmdTag}, is the container's PID 1 (NSpid ends in 1), as root, and its /proc/PID/environ has the image's HELLO=world and the default PATH`,
      seen: seen ? `NSpid ${seen.nspid}, Uid ${seen.uid}, environ: ${shown(seen.env.join(' '), 200)}` : `no process "/bin/sleep ${cmdTag}" on the host: ${described(ran)}`,
      hint: 'the runner reads the image\'s config (toolkit/image/run-config.ts); the overlay must be the root (TODOs 4.1–4.3) for the Cmd to run',
    });
  });

  test('--user, --workdir, --entrypoint and --env: seen from the host in /proc/PID/status, cwd and environ', async () => {
    const t = tag();
    const named = await observe(['--image', ref, '--user', umoci.user.name, '--workdir', '/srv/work', '--env', 'HELLO=there', '--entrypoint', '/bin/sleep', t], `/bin/sleep ${t}`);
    const t2 = tag();
    const numeric = await observe(['--image', ref, '--user', '4242:4343', `--env=EXTRA=1`, '--', '/bin/sleep', t2], `/bin/sleep ${t2}`);
    const u = umoci.user;
    const a = named.seen;
    const b = numeric.seen;
    check(a !== undefined && a.uid === `${u.uid} ${u.uid} ${u.uid} ${u.uid}` && a.gid === `${u.gid} ${u.gid} ${u.gid} ${u.gid}` && a.groups === String(u.supplementary)
      && a.cwd === '/srv/work' && a.env.includes('HELLO=there') && !a.env.includes('HELLO=world') && a.env.includes(`HOME=${u.home}`)
      && b !== undefined && b.uid === '4242 4242 4242 4242' && b.gid === '4343 4343 4343 4343' && b.groups === '' && b.env.includes('EXTRA=1') && b.env.includes('HELLO=world') && b.env.includes('HOME=/'), {
      expected: `--user ${u.name} (from the image's own /etc/passwd, added by its 2nd layer): Uid ${u.uid}, Gid ${u.gid}, Groups ${u.supplementary}, cwd /srv/work, HELLO=there, HOME=${u.home}; --user 4242:4343: Uid 4242, Gid 4343, no groups, the image's HELLO=world plus EXTRA=1, HOME=/`,
      seen: `named: ${a ? `Uid ${a.uid}, Gid ${a.gid}, Groups ${a.groups || '(none)'}, cwd ${a.cwd}, env ${shown(a.env.join(' '), 160)}` : described(named.ran)}; numeric: ${b ? `Uid ${b.uid}, Gid ${b.gid}, Groups ${b.groups || '(none)'}, env ${shown(b.env.join(' '), 160)}` : described(numeric.ran)}`,
      hint: 'toolkit/image/process.ts changes the user after setupContainer, in the container\'s own /etc/passwd: the overlay must be the root (TODOs 4.1–4.3)',
    });
  });

  test('a container running as another user still dies with a SIGKILLed runner', async () => {
    // A change of credentials clears PR_SET_PDEATHSIG (prctl(2)); toolkit/image/process.ts must set it again.
    const t = tag();
    const run = new Running(4, ['--image', ref, '--user', '4242:4242', '--', '/bin/sleep', t]);
    const before = await settle(() => processesWith(`/bin/sleep ${t}`), (p) => p.length > 0, 20_000);
    const uid = before.length === 1 ? look(before[0]!)?.uid : undefined;
    const exited = new Promise((resolve) => run.process.once('exit', resolve)); // not 'close': a surviving container keeps the pipes open
    run.kill('SIGKILL');
    await exited;
    const after = await settle(() => processesWith(`/bin/sleep ${t}`), (p) => p.length === 0, 5000);
    for (const pid of after) process.kill(pid, 'SIGKILL');
    await run.done;
    await reapStaleContainers(() => {}); // what the next run (or npm run clean) does after a killed runner: its state file and upper layer go
    check(before.length === 1 && uid === '4242 4242 4242 4242' && after.length === 0, {
      expected: `the container's /bin/sleep ${t} runs as uid 4242, and is gone within 5 s of SIGKILL to the runner`,
      seen: before.length === 1 ? `uid ${uid}; after the runner's SIGKILL: ${after.length === 0 ? 'gone' : `still running as PID ${after.join(', ')}`}` : `the container's process never appeared: ${described(await run.done)}`,
      hint: 'after setresuid the parent-death signal must be set again (toolkit/image/process.ts changeUser)',
    });
  });

  test('an unknown user, a relative --workdir, a malformed --env: one line, exit 2, nothing created', async () => {
    const name = `bad-${rand()}`;
    const states = listStates().length;
    const runs = [
      await runChapter(4, ['--name', name, '--image', ref, '--user', 'nosuchuser', 'true']),
      await runChapter(4, ['--name', name, '--workdir', 'srv', 'true']),
      await runChapter(4, ['--name', name, '--env', 'NOVALUE', 'true']),
      await runChapter(4, ['--name', name, '--volume', 'relative:/data', 'true']),
    ];
    const patterns = [/unable to find user nosuchuser/, /--workdir to be an absolute path/, /--env to be NAME=VALUE/, /--volume to be HOST_DIR:CONTAINER_PATH/];
    const ok = runs.map((r, i) => oneLine(r, patterns[i]!));
    check(ok.every(Boolean) && findContainer(name) === undefined && listStates().length <= states, {
      expected: 'each: exit 2 and one line on stderr, before anything is created (no container directory, no state file)',
      seen: runs.map((r, i) => `${ok[i] ? 'ok' : 'WRONG'}: ${described(r)}`).join('; '),
      hint: 'this checks the runner (toolkit/image/run-config.ts, toolkit/runtime/options.ts): it fails only if that is broken',
    });
  });

  test('volumes that would expose the host are refused: one line each, exit 2', async () => {
    const refused = ['/', '/proc', '/sys/fs/cgroup', '/dev', path.join(LIB_DIR, 'layers'), path.dirname(LIB_DIR), PROJECT];
    const runs: Ran[] = [];
    for (const p of refused) runs.push(await runChapter(4, ['--volume', `${p}:/mnt/host`, 'true']));
    const bad = runs.flatMap((r, i) => (oneLine(r, /--volume .* is refused: .*would expose the host/) ? [] : [`${refused[i]}: ${described(r)}`]));
    check(bad.length === 0, {
      expected: `--volume ${refused.join(', ')} (each :/mnt/host): exit 2, one line "… is refused: … would expose the host — …"`,
      seen: bad.join('; ') || 'all refused',
      hint: 'this checks the runner (toolkit/volumes/options.ts): it fails only if that is broken',
    });
  });
});

describe('chapter 4: volumes, for state that outlives the container', () => {
  test('a file written to a volume is on the host after the container and its upper layer are gone', async () => {
    const host = tempDir('volume');
    const name = `vol-${rand()}`;
    const content = `kept-${rand()}`;
    const t = tag();
    const script = `echo ${content} > /var/lib/data/state.txt && echo ${content} > /root/not-kept.txt && exec /bin/sleep ${t}`;
    // While it runs: "/" is the overlay, the volume is its own mount, and the container's other write is in its upper layer.
    let during = 'the container never reached its command';
    const run = new Running(4, ['--name', name, '--volume', `${host}:/var/lib/data`, '/bin/sh', '-c', script]);
    let ended = false;
    void run.done.then(() => (ended = true));
    const pids = await settle(() => processesWith(`/bin/sleep ${t}`), (p) => p.length > 0 || ended, 20_000);
    const seen = pids.length === 1 ? look(pids[0]!) : undefined;
    const id = findContainer(name);
    const upper = id ? path.join(CONTAINERS_DIR, id, 'upper') : undefined;
    const inUpper = upper !== undefined && fs.existsSync(path.join(upper, 'root/not-kept.txt'));
    const volumeInUpper = upper !== undefined && fs.existsSync(path.join(upper, 'var/lib/data/state.txt'));
    if (seen) {
      const root = seen.mountinfo.find((l) => l.split(' ')[4] === '/');
      const volume = seen.mountinfo.find((l) => l.split(' ')[4] === '/var/lib/data');
      during = `"/" is ${root?.split(' - ')[1]?.split(' ')[0] ?? 'unknown'}; /var/lib/data ${volume ? 'is a mount' : 'is not a mount'}; /root/not-kept.txt ${inUpper ? 'is' : 'is NOT'} in the upper layer; state.txt ${volumeInUpper ? 'IS in the upper layer too' : 'is not in it'}`;
      during = root?.split(' - ')[1]?.startsWith('overlay ') && volume && inUpper && !volumeInUpper ? 'ok' : during;
    }
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    if (pids.length === 0) run.kill('SIGKILL');
    const ran = await run.done;
    const onHost = fs.existsSync(path.join(host, 'state.txt')) ? fs.readFileSync(path.join(host, 'state.txt'), 'utf8').trim() : null;
    const left = findContainer(name);
    check(during === 'ok' && onHost === content && left === undefined, {
      expected: `while it runs: "/" is an overlay, /var/lib/data a mount of its own, /root/not-kept.txt in the container's upper layer and state.txt not; after: ${host}/state.txt holds "${content}" and the container's directory (its upper layer) is gone`,
      seen: `while running: ${during}; after: ${described(ran)}; ${host}/state.txt: ${onHost ?? 'missing'}; container directory: ${left ? `still there (${left})` : 'gone'}`,
      hint: during === 'ok' && onHost === content && left !== undefined
        ? 'the container ends, and its writable layer must go with it: remove containerDirs(c).dir unless c.keep (TODO 4.4)'
        : blame(ran, 'the volume is bound (given: mountVolumes) into the root the container pivots into: that root must be the overlay\'s merged view (TODO 4.3)'),
    });
  });

  test('a :ro volume is a read-only mount in the container and refuses writes (EROFS)', async () => {
    const host = tempDir('ro');
    fs.writeFileSync(path.join(host, 'given.txt'), 'from the host\n');
    const t = tag();
    const script = `cat /srv/given/given.txt; echo x > /srv/given/new.txt || echo write-refused; exec /bin/sleep ${t}`;
    const { seen, ran } = await observe(['--volume', `${host}:/srv/given:ro`, '/bin/sh', '-c', script], `/bin/sleep ${t}`);
    const line = seen?.mountinfo.find((l) => l.split(' ')[4] === '/srv/given');
    const options = line?.split(' ')[5] ?? '';
    const refusedWrite = ran.stdout.includes('from the host') && ran.stdout.includes('write-refused') && /Read-only file system/.test(ran.stderr);
    const rootFs = seen?.mountinfo.find((l) => l.split(' ')[4] === '/')?.split(' - ')[1]?.split(' ')[0];
    check(seen !== undefined && rootFs === 'overlay' && options.split(',').includes('ro') && refusedWrite && !fs.existsSync(path.join(host, 'new.txt')), {
      expected: 'the container\'s /proc/PID/mountinfo has "/" as an overlay and /srv/given with mount option "ro"; the host\'s file is readable inside; a write fails with "Read-only file system" (EROFS) and nothing appears on the host',
      seen: `${seen ? `"/" is ${rootFs ?? 'unknown'}; mount: ${line ? `options ${options}` : 'no /srv/given in its mountinfo'}` : `no process "/bin/sleep ${t}"`}; ${described(ran)}, stdout: ${shown(ran.stdout)}; new.txt on host: ${fs.existsSync(path.join(host, 'new.txt'))}`,
      hint: blame(ran, 'the volume is bound read-only (given: mountVolumes) into the root the container pivots into: that root must be the overlay\'s merged view (TODO 4.3)'),
    });
  });
});
