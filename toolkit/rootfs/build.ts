/**
 * The root filesystem every chapter runs its containers in: busybox (one
 * static binary that is sh, ls, ps, ip, ping, httpd and 300 more) with a
 * symlink per command, a few files in /etc, device nodes in /dev and the
 * chapter-1 breakout probe, and chapter 7's probes (a setuid-root program and
 * the escape battery). "A root filesystem is just a directory tree."
 *
 * Built offline from Debian's busybox-static (the installed /bin/busybox, or
 * `apt-get download` + `dpkg-deb -x` if it is not installed), deterministic
 * (fixed modes and timestamps), and rebuilt only when its inputs change: the
 * stamp in /etc/workbook-release names them.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../runtime/errors.ts';

const RECIPE_VERSION = 1;
const BREAKOUT_C = fileURLToPath(new URL('./breakout.c', import.meta.url));
const SETUID_PROBE_C = fileURLToPath(new URL('./setuid-probe.c', import.meta.url));
const ESCAPE_PROBE_C = fileURLToPath(new URL('./escape-probe.c', import.meta.url));
const STAMP = 'etc/workbook-release';
const INSTALLED_BUSYBOX = '/bin/busybox';

/**
 * The installed busybox's stamp, taken once by this process: a start checks its rootfs twice from
 * chapter 4 on (the runner, then the demo images), and hashing busybox (2 MB) costs each check
 * ~5 ms. The rootfs's own stamp is still read each time; the next start hashes again.
 */
let installedStamp: string | undefined;

/** Builds `target` unless it is already up to date; returns true if it built. */
export function ensureRootfs(target: string, log: (line: string) => void = () => {}): boolean {
  // The usual case, on every container start, without asking dpkg (a process start): the rootfs
  // was built from exactly the busybox installed now. Otherwise findBusybox decides which to use.
  if (fs.existsSync(INSTALLED_BUSYBOX) && readStamp(target) === (installedStamp ??= stampFor(INSTALLED_BUSYBOX))) return false;
  const busybox = findBusybox();
  const stamp = stampFor(busybox.binary);
  if (readStamp(target) === stamp) {
    busybox.cleanup();
    return false;
  }
  log(`building the root filesystem in ${target} (busybox ${busybox.version})…`);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    populate(tmp, busybox.binary, stamp);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    busybox.cleanup();
  }
  return true;
}

export function readStamp(rootfs: string): string | null {
  try {
    return fs.readFileSync(path.join(rootfs, STAMP), 'utf8').trim();
  } catch {
    return null;
  }
}

function stampFor(busybox: string): string {
  const hash = crypto.createHash('sha256');
  hash.update(`recipe ${RECIPE_VERSION}\n`);
  for (const file of [busybox, BREAKOUT_C, SETUID_PROBE_C, ESCAPE_PROBE_C, fileURLToPath(import.meta.url)]) hashInto(hash, file);
  return `workbook-rootfs ${hash.digest('hex').slice(0, 16)}`;
}

const chunk = Buffer.allocUnsafe(64 * 1024);

/**
 * Feeds a file to the hash through one small reused buffer: the same digest
 * as the whole file at once, without a fresh 2 MB buffer for busybox, whose
 * first touch of each page (a page fault apiece) cost more than the hashing
 * itself — 12 ms against 2.3 ms per start, measured here. read(2) with a
 * 64 KiB buffer, until it returns 0 (end of file).
 */
function hashInto(hash: crypto.Hash, file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const got = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) return;
      hash.update(chunk.subarray(0, got));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function populate(root: string, busybox: string, stamp: string): void {
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'dev/shm', 'root', 'home', 'var/www', 'run']) {
    fs.mkdirSync(path.join(root, dir), { recursive: true, mode: 0o755 });
  }
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);

  // One symlink per applet, where busybox says it lives (/bin/ls, /usr/bin/awk…).
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const link = path.join(root, applet);
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync('/bin/busybox', link);
  }

  const files: Record<string, string> = {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    'etc/group': 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n',
    'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost\n',
    'etc/os-release': 'NAME="workbook busybox"\nID=workbook\nPRETTY_NAME="Build-your-own-container workbook rootfs"\n',
    'etc/profile': 'export PS1="\\u@\\h:\\w# "\n',
    // busybox httpd reads this by default: serve /var/www, so `httpd -f -p 80` needs no -h.
    'etc/httpd.conf': 'H:/var/www\n',
    'var/www/index.html': '<!doctype html><title>workbook</title><p>Hello from inside a container.</p>\n',
    [STAMP]: `${stamp}\n`,
  };
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(root, file), content, { mode: 0o644 });

  compileProbe(BREAKOUT_C, path.join(root, 'bin/breakout'));
  // Chapter 7: a setuid-root program (root owns the tree: the runner builds it as root), for no_new_privs to defeat.
  compileProbe(SETUID_PROBE_C, path.join(root, 'bin/setuid-probe'));
  fs.chmodSync(path.join(root, 'bin/setuid-probe'), 0o4755);
  compileProbe(ESCAPE_PROBE_C, path.join(root, 'bin/escape-probe'));
  makeDevices(root);
  fixTimestamps(root);
}

/** Static, so it needs nothing from the rootfs but the kernel. */
function compileProbe(source: string, output: string): void {
  try {
    execFileSync('cc', ['-static', '-O2', '-o', output, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new UsageError('a C compiler is needed to build the rootfs probe: apt-get install gcc libc6-dev');
    throw new UsageError(`cc -static ${source} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/** The device nodes a shell expects (mknod(2) via busybox; numbers from Documentation/admin-guide/devices.txt). */
function makeDevices(root: string): void {
  const devices: [string, number, number, number][] = [
    ['null', 1, 3, 0o666], ['zero', 1, 5, 0o666], ['full', 1, 7, 0o666],
    ['random', 1, 8, 0o666], ['urandom', 1, 9, 0o666], ['tty', 5, 0, 0o666],
  ];
  const busybox = path.join(root, 'bin/busybox');
  for (const [name, major, minor, mode] of devices) {
    const node = path.join(root, 'dev', name);
    execFileSync(busybox, ['mknod', '-m', mode.toString(8), node, 'c', String(major), String(minor)]);
  }
  for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']] as const) {
    fs.symlinkSync(target, path.join(root, 'dev', name));
  }
}

/** Same inputs, same tree: every entry gets the same timestamp. */
function fixTimestamps(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) fixTimestamps(p);
    fs.lutimesSync(p, 0, 0);
  }
  fs.lutimesSync(dir, 0, 0);
}

interface Busybox {
  binary: string;
  version: string;
  cleanup(): void;
}

/** Debian's busybox-static: installed, or fetched as a .deb from the configured mirror. */
function findBusybox(): Busybox {
  const installed = dpkgVersion('busybox-static');
  if (installed && fs.existsSync(INSTALLED_BUSYBOX)) return { binary: INSTALLED_BUSYBOX, version: installed, cleanup() {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-busybox-${process.pid}-`));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync('apt-get', ['download', 'busybox-static'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const deb = fs.readdirSync(dir).find((n) => n.endsWith('.deb'))!;
    execFileSync('dpkg-deb', ['-x', deb, 'root'], { cwd: dir });
    return { binary: path.join(dir, 'root/bin/busybox'), version: deb.split('_')[1] ?? 'unknown', cleanup };
  } catch (error) {
    cleanup();
    throw new UsageError(
      `busybox-static is needed for the root filesystem and could not be fetched (${(error as Error).message.split('\n')[0]}): apt-get install busybox-static`,
    );
  }
}

function dpkgVersion(pkg: string): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f', '${Status} ${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.startsWith('install ok installed') ? out.split(' ').pop()! : null;
  } catch {
    return null;
  }
}
