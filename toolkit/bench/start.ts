/**
 * npm run bench:start — how long a container takes from start to exit, with
 * `/bin/true` as its command, next to the tools the workbook is measured
 * against: util-linux unshare(1) (namespaces and nothing else), runc and crun
 * (OCI runtimes, on a bundle over the workbook's own busybox rootfs).
 *
 * One run, the commands alternating round by round (a machine that gets
 * busier slows them all alike), after a warm-up round that also fills the
 * workbook's build caches. Peak RSS is the largest process of each command's
 * tree, from GNU time(1) (getrusage(2) RUSAGE_CHILDREN). A benchmark prints
 * figures; it fails only when a command does not work.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLONE_NEWNS, MNT_DETACH, MS_PRIVATE, MS_REC, mount, setns, umount2, unshare } from '../kernel/index.ts';
import { PROJECT, ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import { chapterCommand } from './chapter-command.ts';
import { type Figures, printTable } from './table.ts';

const ROUNDS = Number(process.env.WORKBOOK_BENCH_ROUNDS) > 0 ? Number(process.env.WORKBOOK_BENCH_ROUNDS) : 10;
const TIME = '/usr/bin/time';
const TIMEOUT_MS = 30_000;

interface Command {
  label: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Spawn from inside this mount namespace (an open fd of it). */
  mountNs?: number;
  /** Compared with runc in the table. */
  workbook?: boolean;
  goal?: Figures['goal'];
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench:start: needs root (the containers are real)');
    return 2;
  }
  ensureRootfs(ROOTFS, (line) => console.error(line));
  const rootfs = fs.realpathSync(ROOTFS);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-bench-${process.pid}-`));
  const cgroupV2Hidden = hideCgroupV2();
  try {
    writeBundle(work, rootfs);
    const commands = listCommands(work, rootfs, cgroupV2Hidden);
    const retried: string[] = [];
    const figures = new Map<Command, Figures>(commands.map((c) => [c, { label: c.label, ms: [], rssKiB: [], cpuMs: [] }]));

    process.stderr.write(`bench:start: 1 warm-up round, then ${ROUNDS} rounds of ${commands.length} commands `);
    for (let round = 0; round <= ROUNDS; round++) {
      for (const command of commands) {
        const ran = await measure(command, work).catch((error: Error) => {
          // Once more, said: on a machine shared with other runs, another's clean-up can take a
          // shared device (chapter 5's bridge) away mid-run. A second failure is breakage.
          retried.push(`${command.label}: ${error.message.split('\n').slice(-1)[0]}`);
          return measure(command, work);
        });
        if (round > 0) {
          figures.get(command)!.ms.push(ran.ms);
          if (ran.rssKiB !== null) figures.get(command)!.rssKiB.push(ran.rssKiB);
          if (ran.cpuMs !== null) figures.get(command)!.cpuMs.push(ran.cpuMs);
        }
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    for (const line of retried) console.log(`retried once: ${line}`);
    console.log(`direct: ${chapterCommand().label} (package.json's chapter script, without npm)`);
    printTable([...figures.entries()].map(([c, f]) => ({ ...f, workbook: c.workbook === true, ...(c.goal ? { goal: c.goal } : {}) })), ROUNDS);
    return 0;
  } catch (error) {
    console.error(`bench:start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (cgroupV2Hidden !== null) fs.closeSync(cgroupV2Hidden);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function listCommands(work: string, rootfs: string, cgroupV2Hidden: number | null): Command[] {
  // Node's start-up floor: the workbook starts two node processes (the runner and the child stage).
  const noCerts = { ...process.env };
  delete noCerts.NODE_EXTRA_CA_CERTS;
  const commands: Command[] = [
    { label: 'unshare -fpmui --mount-proc chroot ROOTFS', argv: ['unshare', '-fpmui', '--mount-proc', 'chroot', rootfs, '/bin/true'] },
    { label: 'runc run (runc spec bundle, ROOTFS)', argv: ['runc', '--root', path.join(work, 'runc'), 'run', '--bundle', work, '%ID'] },
  ];
  if (cgroupV2Hidden !== null) {
    commands.push({ label: 'crun run (same bundle)', argv: ['crun', '--root', path.join(work, 'crun'), 'run', '--bundle', work, '%ID'], mountNs: cgroupV2Hidden });
  }
  commands.push({ label: 'node -e 0', argv: [process.execPath, '-e', '0'], env: noCerts });
  if (process.env.NODE_EXTRA_CA_CERTS) {
    commands.push({ label: 'node -e 0, NODE_EXTRA_CA_CERTS set', argv: [process.execPath, '-e', '0'] });
  }
  for (const chapter of [2, 5, 6]) {
    const direct = chapterCommand();
    commands.push({
      label: `workbook chapter ${chapter}${chapter === 2 ? ' (direct)' : ''}`,
      argv: [...direct.argv, String(chapter), '--solution', '--', '/bin/true'],
      env: direct.env,
      workbook: true,
      ...(chapter === 2 ? { goal: { ratio: 2, rssMiB: 60 } } : chapter === 6 ? { goal: { ratio: 4 } } : {}),
    });
    if (chapter === 2) {
      commands.push({
        label: 'workbook chapter 2 (npm run chapter)',
        argv: ['npm', 'run', '--silent', 'chapter', '--', '2', '--solution', '--', '/bin/true'],
        workbook: true,
      });
    }
  }
  return commands;
}

/** An OCI bundle from `runc spec`: the workbook's rootfs, read-only (other containers share it), no terminal. */
function writeBundle(work: string, rootfs: string): void {
  const spec = spawnSync('runc', ['spec', '--bundle', work], { encoding: 'utf8' });
  if (spec.error || spec.status !== 0) throw new Error(`runc spec: ${spec.error?.message ?? spec.stderr.trim()} (apt-get install runc)`);
  const file = path.join(work, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  config.root = { path: rootfs, readonly: true };
  config.process.terminal = false;
  config.process.args = ['/bin/true'];
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

/**
 * crun refuses cgroup "hybrid" mode (v1 controllers plus a v2 mount at
 * /sys/fs/cgroup/unified). In a mount namespace of our own, private so that
 * nothing propagates to the host, that v2 mount is taken away; crun then
 * sees plain v1. Returns an fd of that namespace, or null where there is no
 * such mount (a pure v1 or v2 host needs nothing) and crun is absent.
 */
function hideCgroupV2(): number | null {
  if (spawnSync('crun', ['--version']).status !== 0) {
    console.error('bench:start: crun not found, left out (apt-get install crun)');
    return null;
  }
  const host = fs.openSync('/proc/thread-self/ns/mnt', 'r');
  try {
    unshare(CLONE_NEWNS);
    mount(null, '/', null, MS_REC | MS_PRIVATE);
    const hybrid = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === '/sys/fs/cgroup/unified');
    if (hybrid) umount2('/sys/fs/cgroup/unified', MNT_DETACH);
    return fs.openSync('/proc/thread-self/ns/mnt', 'r');
  } finally {
    setns(host, CLONE_NEWNS, 'the host mount namespace');
    fs.closeSync(host);
  }
}

let runs = 0;

/** One start-to-exit, wall clock in ms; throws if the command failed. */
function measure(command: Command, work: string): Promise<{ ms: number; rssKiB: number | null; cpuMs: number | null }> {
  const id = `bench-${process.pid}-${++runs}`;
  const argv = command.argv.map((a) => (a === '%ID' ? id : a));
  const rssFile = path.join(work, `${id}.rss`);
  const timed = fs.existsSync(TIME) ? [TIME, '-f', '%M %U %S', '-o', rssFile, ...argv] : argv;
  let stderr = '';
  const host = command.mountNs !== undefined ? fs.openSync('/proc/thread-self/ns/mnt', 'r') : null;
  const start = process.hrtime.bigint();
  let child;
  try {
    if (command.mountNs !== undefined) setns(command.mountNs, CLONE_NEWNS, 'the bench mount namespace');
    child = spawn(timed[0]!, timed.slice(1), { cwd: PROJECT, env: command.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    if (host !== null) {
      setns(host, CLONE_NEWNS, 'the host mount namespace');
      fs.closeSync(host);
    }
  }
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${argv.join(' ')}: ${signal ?? `exit ${code}`}\n${stderr.trim()}`));
      let rssKiB: number | null = null;
      let cpuMs: number | null = null;
      try {
        const [rss, user, sys] = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        rssKiB = rss!;
        cpuMs = (user! + sys!) * 1000;
      } catch {
        // no GNU time: wall clock only
      }
      resolve({ ms, rssKiB, cpuMs });
    });
  });
}

main().then((code) => process.exit(code));
