/**
 * Chapter 4 — overlayfs. The checks look at what the container sees, and at
 * the disk: the image's layers (never written), the container's upper
 * directory (its changes), and the host's mount table (nothing of ours).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, described, runChapter, type Ran } from '../support/container.ts';
import { mountChanges, snapshotHost, processesWith, settle } from '../support/host.ts';
import { readContainerRecord } from '../../toolkit/image/containers.ts';
import { DEMO_LAYERS } from '../../toolkit/image/demo.ts';
import { writeImage, type Image } from '../../toolkit/image/layout.ts';
import { pullImage } from '../../toolkit/image/prepare.ts';
import { CONTAINERS_DIR } from '../../toolkit/image/store.ts';
import { createTar } from '../../toolkit/image/tar.ts';
import { layerDir } from '../../toolkit/image/unpack.ts';
import { OVERLAY_OPAQUE, lgetxattr } from '../../toolkit/kernel/xattr.ts';
import { LIB_DIR } from '../../toolkit/paths.ts';
import { isAlive, listStates, reapStaleContainers } from '../../toolkit/runtime/state.ts';

const rand = () => crypto.randomBytes(4).toString('hex');
const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const containersBefore = new Set(list(CONTAINERS_DIR));
const temps: string[] = [];

let demo: { image: Image; layers: string[] };
let web: { image: Image; layers: string[] };
let layersBefore = '';

beforeAll(() => {
  // `docker pull`, without a container: the layers exist before any run, so their state can be recorded.
  demo = pullImage('demo');
  web = pullImage('web');
  layersBefore = hashTrees([...demo.layers, ...web.layers]);
});

afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  // Containers this suite made and left (--keep runs, an unfinished cleanupHost): not those of running containers.
  const running = new Set(listStates().filter((s) => isAlive(s.runner)).map((s) => s.container.id));
  for (const id of list(CONTAINERS_DIR)) {
    if (!containersBefore.has(id) && !running.has(id)) fs.rmSync(path.join(CONTAINERS_DIR, id), { recursive: true, force: true });
  }
});

describe('chapter 4: overlayfs', () => {
  test('the images are an OCI layout; demo and web share one base layer directory', () => {
    const [base, app, config] = demo.layers;
    const profile = fs.lstatSync(path.join(app!, 'etc/profile'), { throwIfNoEntry: false });
    const opaque = lgetxattr(path.join(config!, 'var/www'), OVERLAY_OPAQUE)?.toString();
    const markers = [...demo.layers, ...web.layers].flatMap((l) => walk(l).filter((p) => path.basename(p).startsWith('.wh.')));
    check(demo.layers.length === 3 && web.layers[0] === base && demo.image.manifest.layers[0]!.digest === web.image.manifest.layers[0]!.digest
      && profile?.isCharacterDevice() === true && profile.rdev === 0 && opaque === 'y' && markers.length === 0, {
      expected: 'demo: 3 layers, web: 2, the same base digest and directory; etc/.wh.profile unpacked as a 0/0 character device, var/www/.wh..wh..opq as trusted.overlay.opaque="y"',
      seen: `demo ${demo.layers.length} layers, web ${web.layers.length}; bases ${short(base)} / ${short(web.layers[0])}; etc/profile in layer 2: ${profile ? `${profile.isCharacterDevice() ? 'char device' : 'not a device'} rdev ${profile.rdev}` : 'missing'}; opaque: ${opaque ?? 'none'}; .wh. files left: ${markers.length}`,
      hint: 'this checks the toolkit (toolkit/image): it fails only if that is broken',
    });
  });

  test('inside, files added, replaced and deleted by the upper layers look right', async () => {
    const ran = await runChapter(4, ['/bin/sh', '-c', 'cat /etc/motd; echo @; cat /etc/os-release; echo @; ls /etc; echo @; ls -a /var/www; echo @; test -x /bin/busybox && echo base-ok']);
    const [motd, osRelease, etc, www, base] = ran.stdout.split('@\n');
    const etcNames = (etc ?? '').split(/\s+/).filter(Boolean);
    const wwwNames = (www ?? '').split(/\s+/).filter((n) => n && n !== '.' && n !== '..');
    check(ran.code === 0 && motd === DEMO_LAYERS.config.files['etc/motd'] && osRelease === DEMO_LAYERS.app.files['etc/os-release']
      && !etcNames.includes('profile') && etcNames.includes('passwd') && wwwNames.join(' ') === 'status.txt' && base?.trim() === 'base-ok', {
      expected: '/etc/motd from layer 3, /etc/os-release from layer 2, no /etc/profile (whiteout in layer 2), only status.txt in /var/www (opaque in layer 3), busybox from layer 1',
      seen: ran.code === 0 ? `motd: ${shown(motd ?? '', 90)}; os-release: ${shown(osRelease ?? '', 60)}; /etc: ${etcNames.join(' ')}; /var/www: ${wwwNames.join(' ') || '(empty)'}` : described(ran),
      hint: 'lowerdir lists the TOP layer first (TODO 4.1): imageLayers() starts with the base, so reverse it',
    });
  });

  test('the web image shows its own layer over the same base', async () => {
    const ran = await runChapter(4, ['--image', 'web', '/bin/sh', '-c', 'cat /var/www/index.html; test -e /etc/profile && echo has-profile']);
    const expected = `${DEMO_LAYERS.web.files['var/www/index.html']}has-profile\n`;
    check(ran.code === 0 && ran.stdout === expected, {
      expected: `web's index.html, and /etc/profile from the base (web deletes nothing): ${shown(expected)}`,
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'web\'s own layer must sit above the base: lowerdir lists the top layer first (TODO 4.1); imageLayers(c) follows --image',
    });
  });

  test('a write copies the file up: the layer on disk is unchanged, the copy is in upper', async () => {
    const kept = await keptRun();
    const app = demo.layers[1]!;
    const inLayer = fs.readFileSync(path.join(app, 'etc/os-release'), 'utf8');
    const inUpper = kept.upper ? read(path.join(kept.upper, 'etc/os-release')) : null;
    const created = kept.upper ? read(path.join(kept.upper, 'root/new.txt')) : null;
    check(kept.ran.code === 0 && inLayer === DEMO_LAYERS.app.files['etc/os-release'] && inUpper === `${inLayer}appended\n` && created === 'new\n', {
      expected: 'after `echo appended >> /etc/os-release; echo new > /root/new.txt` (with --keep): upper/etc/os-release = the layer\'s file + "appended", upper/root/new.txt = "new", the layer\'s own file unchanged',
      seen: kept.upper
        ? `${described(kept.ran)}; upper/etc/os-release: ${shown(inUpper ?? '(missing)', 120)}; upper/root/new.txt: ${shown(created ?? '(missing)')}; layer's file ${inLayer === DEMO_LAYERS.app.files['etc/os-release'] ? 'unchanged' : 'CHANGED'}`
        : `${described(kept.ran)}; no directory of container ${kept.name} left in ${CONTAINERS_DIR} despite --keep`,
      hint: 'upperdir= must be containerDirs(c).upper, and cleanupHost must leave it when c.keep is set (TODOs 4.2, 4.4)',
    });
  });

  test('a delete leaves a whiteout in upper, and the file stays in its layer', async () => {
    const kept = await keptRun();
    const whiteout = kept.upper ? fs.lstatSync(path.join(kept.upper, 'etc/hosts'), { throwIfNoEntry: false }) : undefined;
    const inBase = read(path.join(demo.layers[0]!, 'etc/hosts'));
    check(kept.ran.code === 0 && kept.ran.stdout.includes('hosts-gone') && whiteout?.isCharacterDevice() === true && whiteout.rdev === 0 && inBase !== null, {
      expected: 'after `rm /etc/hosts`: gone inside; upper/etc/hosts is a character device 0/0 (a whiteout); the base layer still has etc/hosts',
      seen: `${described(kept.ran)}, stdout: ${shown(kept.ran.stdout)}; upper/etc/hosts: ${whiteout ? `${whiteout.isCharacterDevice() ? 'char device' : 'not a device'}, rdev ${whiteout.rdev}` : kept.upper ? 'missing' : 'no upper dir left despite --keep'}; base layer: ${inBase === null ? 'MISSING' : 'has it'}`,
      hint: 'overlayfs writes deletes as whiteouts in upperdir; the lower layers are never written',
    });
  });

  test('without --keep, the container\'s upper, work and merged are removed when it ends', async () => {
    const name = `gone-${rand()}`;
    const ran = await runChapter(4, ['--name', name, '/bin/sh', '-c', 'echo data > /root/file']);
    const left = findContainer(name);
    check(ran.code === 0 && left === undefined && !/not done yet/.test(ran.stderr), {
      expected: `exit 0, and no directory of container ${name} left in ${CONTAINERS_DIR}`,
      seen: `${described(ran)}; ${left ? `left: ${left}` : 'removed'}`,
      hint: 'cleanupHost() removes containerDirs(c).dir unless c.keep (TODO 4.4)',
    });
  });

  test('two containers of the same image do not see each other\'s writes', async () => {
    const a = new Running(4, ['/bin/sh', '-c',
      'echo a > /tmp/probe-a; echo changed-by-a >> /etc/motd; trap "test -e /tmp/probe-b && echo saw-b; exit 0" TERM; echo ready; sleep 30 & wait']);
    const ready = await a.waitFor('ready');
    const b = await runChapter(4, ['/bin/sh', '-c', 'echo b > /tmp/probe-b; test -e /tmp/probe-a && echo saw-a; cat /etc/motd']);
    a.kill('SIGTERM');
    const ra = await a.done;
    check(ready && b.code === 0 && !b.stdout.includes('saw-a') && !b.stdout.includes('changed-by-a') && ra.code === 0 && !ra.stdout.includes('saw-b'), {
      expected: `B sees neither A's /tmp/probe-a nor A's change to /etc/motd, and A does not see B's /tmp/probe-b`,
      seen: ready ? `B: ${described(b)}, stdout: ${shown(b.stdout)}; A: ${described(ra)}, stdout: ${shown(ra.stdout)}` : `A never printed "ready": ${described(ra)}`,
      hint: 'each container needs its own upperdir and workdir (containerDirs(c)), never a shared one',
    });
  });

  test('the root is the overlay, in the container\'s mount namespace only: the host\'s mount table is unchanged', async () => {
    const before = snapshotHost();
    const run = new Running(4, ['/bin/sh', '-c', 'trap "exit 0" TERM; grep " / / " /proc/self/mountinfo; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready');
    const during = snapshotHost();
    run.kill('SIGTERM');
    const ran = await run.done;
    const after = snapshotHost();
    const changed = [...mountChanges(before, during), ...mountChanges(before, after)];
    const root = ran.stdout.split('\n')[0] ?? '';
    const lowerdir = /lowerdir=([^,]+)/.exec(root)?.[1];
    check(ready && / - overlay /.test(root) && lowerdir === [...demo.layers].reverse().join(':') && changed.length === 0, {
      expected: `inside, "/" is an overlay with lowerdir=<layer 3>:<layer 2>:<layer 1>; the host's mount table unchanged during and after`,
      seen: ready ? `root mount inside: ${shown(root, 400)}; host mount changes: ${shown(changed.join('\n'))}` : `the container never printed "ready": ${described(ran)}`,
      hint: 'mount the overlay in setupContainer (inside the new mount namespace, after "/" is private), then hand merged to chapter 2 (TODOs 4.2, 4.3)',
    });
  });

  test('SIGKILL of the runner: the overlay dies with the container\'s mount namespace; cleanup removes its directories', async () => {
    const name = `killed-${rand()}`;
    const tag = `${41 + Math.floor(Math.random() * 1000) / 1000}`;
    const run = new Running(4, ['--name', name, '/bin/sh', '-c', `sleep ${tag} & echo ready; sleep ${tag}`]);
    const ready = await run.waitFor('ready');
    // "ready" comes after the fork of the first sleep, not necessarily after its exec: wait for both.
    const pids = ready ? await settle(() => processesWith(`sleep ${tag}`), (v) => v.length >= 2) : processesWith(`sleep ${tag}`);
    const mntns = pids[0] ? fs.readlinkSync(`/proc/${pids[0]}/ns/mnt`) : 'none';
    run.kill('SIGKILL');
    await run.done;
    const holders = await settle(() => processesIn(mntns), (v) => v.length === 0);
    const dir = findContainer(name);
    const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => dir !== undefined && l.includes(dir));
    // A killed runner cannot clean up; the next runner (or `npm run clean`) reaps its container.
    await reapStaleContainers(() => {});
    const afterReap = findContainer(name);
    check(ready && pids.length > 0 && holders.length === 0 && mounted.length === 0 && dir !== undefined && afterReap === undefined, {
      expected: 'while it runs, its directory exists; after SIGKILL no process is left in its mount namespace (so its overlay is unmounted), nothing of it is in the host\'s mount table, and its cleanupHost removes the directory',
      seen: ready
        ? `sleeps seen while running: ${pids.length}; processes left in its mount namespace: ${holders.length}; host mounts naming it: ${mounted.length}; directory before cleanup: ${dir ?? 'none'}, after: ${afterReap ?? 'removed'}`
        : `the container never printed "ready": ${described(await run.done)}`,
      hint: 'mount inside the container\'s own mount namespace (never on the host), and let cleanupHost remove containerDirs(c).dir (TODO 4.4)',
    });
  });

  test('an image that does not exist: one line, non-zero exit, nothing created', async () => {
    const before = storeState();
    const byName = await runChapter(4, ['--image', 'no-such-image', 'true']);
    const byPath = await runChapter(4, ['--image', `/nonexistent/layout-${rand()}`, 'true']);
    const created = storeChanges(before);
    check(oneLine(byName, /image "no-such-image" not found/) && oneLine(byPath, /no OCI image layout/) && created.length === 0, {
      expected: 'each: a non-zero exit and one line on stderr (image "no-such-image" not found / no OCI image layout at …), no container directory, no temporary files',
      seen: `${described(byName)}; ${described(byPath)}; created: ${created.join(', ') || 'nothing'}`,
      hint: 'the image is resolved before anything is created (prepareImage in createNamespaces); cleanupHost must cope with a container that has no directories',
    });
  });

  test('a corrupt blob (digest mismatch): one line, nothing unpacked', async () => {
    const layout = tempDir('corrupt');
    const image = writeImage(layout, 'bad', [{ tar: tarOf({ [`data-${rand()}`]: 'good content\n' }), createdBy: 'test' }]);
    const blob = path.join(layout, 'blobs/sha256', image.manifest.layers[0]!.digest.slice(7));
    const bytes = fs.readFileSync(blob);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff; // same size, different content
    fs.writeFileSync(blob, bytes);
    const before = storeState();
    const ran = await runChapter(4, ['--image', `${layout}:bad`, 'true']);
    const created = storeChanges(before);
    const unpacked = fs.existsSync(layerDir(image.manifest.layers[0]!.digest));
    check(oneLine(ran, /corrupt|digest mismatch/) && created.length === 0 && !unpacked, {
      expected: 'a non-zero exit, one line naming the corrupt layer (digest mismatch), no layer directory, no container directory, no temporary files',
      seen: `${described(ran)}; layer unpacked: ${unpacked}; created: ${created.join(', ') || 'nothing'}`,
      hint: 'blobs are checked against their digest before they are unpacked (toolkit/image/layout.ts readBlob)',
    });
  });

  test('a layer entry with "../" is refused: one line, nothing unpacked, nothing written outside', async () => {
    const layout = tempDir('dotdot');
    const escaped = `escaped-${rand()}`;
    const stage = tempDir('dotdot-stage');
    fs.writeFileSync(path.join(stage, 'x'), 'pwned\n');
    // -P keeps the "../" tar would otherwise strip from the name.
    const tar = execFileSync('tar', ['-cPf', '-', '--transform', `s,^x$,../${escaped},`, '-C', stage, 'x']);
    const image = writeImage(layout, 'bad', [{ tar, createdBy: 'test' }]);
    const before = storeState();
    const ran = await runChapter(4, ['--image', `${layout}:bad`, 'true']);
    const created = storeChanges(before);
    const outside = [path.join(LIB_DIR, escaped), path.join(LIB_DIR, 'layers', escaped), path.join(LIB_DIR, 'layers/sha256', escaped)].filter((p) => fs.existsSync(p));
    const unpacked = fs.existsSync(layerDir(image.manifest.layers[0]!.digest));
    check(oneLine(ran, /\.\./) && created.length === 0 && outside.length === 0 && !unpacked, {
      expected: `a non-zero exit, one line about "../${escaped}", no layer directory, no file outside it, no container directory`,
      seen: `${described(ran)}; layer unpacked: ${unpacked}; written outside: ${outside.join(', ') || 'nothing'}; created: ${created.join(', ') || 'nothing'}`,
      hint: 'every entry is checked before extraction (toolkit/image/confine.ts)',
    });
  });

  test('a layer that writes through its own symlink to an absolute path is refused', async () => {
    const layout = tempDir('symlink');
    const outside = tempDir('outside');
    const first = tempDir('symlink-stage-1');
    const second = tempDir('symlink-stage-2');
    fs.symlinkSync(outside, path.join(first, 'evil'));
    fs.mkdirSync(path.join(second, 'evil'));
    fs.writeFileSync(path.join(second, 'evil/owned'), 'pwned\n');
    const file = path.join(layout, 'layer.tar');
    execFileSync('tar', ['-cf', file, '-C', first, 'evil']);
    execFileSync('tar', ['-rf', file, '-C', second, 'evil/owned']); // appended: the symlink first, then a file "inside" it
    const image = writeImage(layout, 'bad', [{ tar: fs.readFileSync(file), createdBy: 'test' }]);
    const before = storeState();
    const ran = await runChapter(4, ['--image', `${layout}:bad`, 'true']);
    const created = storeChanges(before);
    const written = list(outside);
    const unpacked = fs.existsSync(layerDir(image.manifest.layers[0]!.digest));
    check(oneLine(ran, /symlink/) && created.length === 0 && written.length === 0 && !unpacked, {
      expected: `a non-zero exit, one line about writing through the symlink "evil", nothing in ${outside}, no layer directory, no container directory`,
      seen: `${described(ran)}; in ${outside}: ${written.join(', ') || 'nothing'}; layer unpacked: ${unpacked}; created: ${created.join(', ') || 'nothing'}`,
      hint: 'every entry is checked before extraction (toolkit/image/confine.ts)',
    });
  });

  test('the image\'s layer directories are byte-for-byte unchanged after all these runs', async () => {
    const ran = await runChapter(4, ['/bin/sh', '-c',
      'echo x >> /etc/passwd && rm -r /etc/group /var/www /bin/vi && chmod 600 /etc/os-release && touch /etc/motd /bin/busybox && mkdir /etc/new && echo done']);
    const after = hashTrees([...demo.layers, ...web.layers]);
    check(ran.code === 0 && ran.stdout.trim() === 'done' && after === layersBefore, {
      expected: 'a container that appends, deletes, chmods and touches lower files exits 0, and the layers (contents, modes, owners, times, xattrs) hash as before the suite',
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}; layers ${after === layersBefore ? 'unchanged' : 'CHANGED'}`,
      hint: 'the layers must only ever be lowerdirs: never upperdir, never bind-mounted writable, never removed by cleanupHost',
    });
  });
});

// ─── Helpers ────────────────────────────────────────────────────────────────

let kept: Promise<{ ran: Ran; name: string; upper?: string }> | undefined;

/** One --keep run shared by the copy-up and whiteout checks. */
function keptRun(): Promise<{ ran: Ran; name: string; upper?: string }> {
  kept ??= (async () => {
    const name = `keep-${rand()}`;
    const ran = await runChapter(4, ['--keep', '--name', name, '/bin/sh', '-c',
      'echo appended >> /etc/os-release; echo new > /root/new.txt; rm /etc/hosts; test -e /etc/hosts || echo hosts-gone']);
    const dir = findContainer(name);
    return { ran, name, ...(dir ? { upper: path.join(dir, 'upper') } : {}) };
  })();
  return kept;
}

/** The directory of the container named `name`, from its container.json. */
function findContainer(name: string): string | undefined {
  return list(CONTAINERS_DIR).map((id) => path.join(CONTAINERS_DIR, id)).find((dir) => {
    try {
      return readContainerRecord(dir).name === name;
    } catch {
      return false;
    }
  });
}

/** What a failed image must not leave: container directories, temporary files, layers. */
function storeState(): Set<string> {
  return new Set([
    ...list(CONTAINERS_DIR).map((n) => `containers/${n}`),
    ...list(LIB_DIR).filter((n) => n.includes('.tmp-')),
    ...list(path.join(LIB_DIR, 'layers/sha256')).map((n) => `layers/sha256/${n}`),
  ]);
}

function storeChanges(before: Set<string>): string[] {
  return [...storeState()].filter((p) => !before.has(p));
}

/** Non-zero exit and exactly one line on stderr, matching `pattern`. */
function oneLine(ran: Ran, pattern: RegExp): boolean {
  const lines = ran.stderr.trim().split('\n').filter(Boolean);
  return ran.code !== 0 && lines.length === 1 && pattern.test(lines[0]!);
}

function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-overlay-${process.pid}-${label}-`));
  temps.push(dir);
  return dir;
}

/** A tar of the given files (as the toolkit archives layers). */
function tarOf(files: Record<string, string>): Buffer {
  const stage = tempDir('stage');
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(stage, name), content);
  return createTar(stage);
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function short(p: string | undefined): string {
  return p ? path.basename(p).slice(0, 12) : 'none';
}

/** Every path below `root`, depth first, sorted. */
function walk(root: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const p = path.join(root, name);
    out.push(p);
    if (fs.lstatSync(p).isDirectory()) out.push(...walk(p));
  }
  return out;
}

/** One hash over trees: per entry its path, type and mode, owner, size, mtime, device, link target, content, opaque xattr. */
function hashTrees(roots: readonly string[]): string {
  const hash = crypto.createHash('sha256');
  for (const root of new Set(roots)) {
    for (const p of [root, ...walk(root)]) {
      const st = fs.lstatSync(p);
      hash.update(`${path.relative(path.dirname(root), p)} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${st.rdev}`);
      if (st.isSymbolicLink()) hash.update(` -> ${fs.readlinkSync(p)}`);
      if (st.isFile()) hash.update(fs.readFileSync(p));
      hash.update(` opaque=${lgetxattr(p, OVERLAY_OPAQUE)?.toString() ?? ''}\n`);
    }
  }
  return hash.digest('hex');
}


/** PIDs of processes in the mount namespace `link` ("mnt:[…]"). */
function processesIn(link: string): number[] {
  return pids().filter((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/mnt`) === link;
    } catch {
      return false;
    }
  });
}

function pids(): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}
