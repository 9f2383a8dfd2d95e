/**
 * Chapter 4 — overlayfs. Every graded check first looks, from the host, at
 * the container's root in /proc/PID/mountinfo: an overlay of the image's
 * layers, top first, with the container's own upper and work directories.
 * Then at what the command saw, and at the disk: the layers (never written),
 * the upper directory (the container's changes), the host's mount table.
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
import { LIB_DIR, ROOTFS } from '../../toolkit/paths.ts';
import { isAlive, listStates, reapStaleContainers } from '../../toolkit/runtime/state.ts';
import { Observed, diagnose, mountInfo, sameFile } from '../support/observe.ts';

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


const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/not found in the container|command not found/, 'the root is empty: mount the overlay on `merged` before handing it to chapter 2 (TODO 4.2)'],
  // The options string is in the runner's error: layers joined with "," read as unknown options.
  [/mount\("overlay"[^\n]*lowerdir=[^:",]*,(?!upperdir|workdir)/, 'the mount was refused: lowerdir= takes the layers joined with ":" — a "," ends the option, and overlayfs reads the next layer as an unknown option (TODO 4.1)'],
  [/mount\("overlay"/, 'mount("overlay", merged, "overlay", 0, "lowerdir=…,upperdir=…,workdir=…") was refused: lowerdir is the layers joined with ":" (TODO 4.1), upperdir and workdir containerDirs(c) (TODO 4.2)'],
  // merged/ is still the empty directory prepareImage() made: nothing was mounted on it.
  [/mount\("proc", "[^"]*\/merged\/proc"[^\n]*ENOENT/, 'merged/ is empty — it has no /proc to mount on: mount the overlay on containerDirs(c).merged first (TODO 4.2)'],
  [/pivot_root|chdir/, 'chapter 2\'s setup, on the merged view: ch2.setupContainer({ ...c, rootfs: merged }) (TODO 4.3)'],
];

/** What the host sees of a container's root: its mountinfo line for "/", and the dirs the runner made for it. */
interface OverlayRoot {
  pid: number;
  id: string;
  lowerdir: string;
  upperdir: string;
}

/**
 * The container's root, as the host sees it, must be an overlay of `layers`
 * (base first, as the manifest lists them), top first in lowerdir, with the
 * container's own upperdir; otherwise the check fails naming the step.
 */
async function overlayRoot(o: Observed, layers: readonly string[], expected = 'the container\'s root is an overlay of the image'): Promise<OverlayRoot> {
  if (o.pid === null) {
    check(false, { expected, seen: await o.failure(), hint: diagnose(await o.stderr(), WHY) });
    throw new Error('unreachable');
  }
  const pid = o.pid;
  const id = listStates().find((st) => st.runner === o.run.process.pid)?.container.id ?? '?';
  const root = mountInfo(pid).find((m) => m.point === '/');
  const lowerdir = /(?:^|,)lowerdir=([^,]+)/.exec(root?.superOptions ?? '')?.[1] ?? '';
  const upperdir = /(?:^|,)upperdir=([^,]+)/.exec(root?.superOptions ?? '')?.[1] ?? '';
  const top = [...layers].reverse().join(':');
  const upper = path.join(CONTAINERS_DIR, id, 'upper');
  const ok = root?.type === 'overlay' && lowerdir === top && upperdir === upper;
  check(ok, {
    expected: `${expected}: in /proc/${pid}/mountinfo "/" is overlay, lowerdir=${top.split(':').map(short).join(':')} (top first), upperdir=${upper}`,
    seen: root?.type !== 'overlay'
      ? `"/" is ${root ? `${root.type} (${root.source})` : 'not there'}`
      : `lowerdir=${lowerdir.split(':').map(short).join(':')}, upperdir=${upperdir}`,
    hint: root?.type !== 'overlay'
      // /proc/PID/root is the container's root directory: the plain rootfs means the overlay was never made the root.
      ? sameFile(`/proc/${pid}/root`, ROOTFS)
        ? `the container's root is the plain rootfs ${ROOTFS}, not the overlay: useMergedAsRootfs() returns a Container whose rootfs is containerDirs(c).merged (TODO 4.3)`
        : 'the overlay must become the root: mount it on containerDirs(c).merged (TODO 4.2)'
      : lowerdir === [...layers].join(':')
        ? 'lowerdir lists the TOP layer first: imageLayers() starts with the base, so reverse it (TODO 4.1)'
        : lowerdir !== top
          ? 'lowerdir is imageLayers(c), top first, joined with ":" (TODO 4.1)'
          : 'upperdir= and workdir= are containerDirs(c).upper and .work (TODO 4.2)',
  });
  return { pid, id, lowerdir, upperdir };
}

/**
 * A script that writes only where "/" is an overlay (/proc/mounts inside): a file whose root is still
 * the shared plain rootfs (TODO 4.3 left out) must not damage it for every later run. Not evidence —
 * the checks judge the root from the host.
 */
const onOverlay = (script: string) => `if grep -q '^overlay / ' /proc/mounts; then ${script}; fi`;

// One container, watched from the host, for most checks: it reads the merged view, then
// changes it (append, create, delete); --keep leaves its upper for the grader to read.
const VIEW = 'cat /etc/motd; echo @; cat /etc/os-release; echo @; ls /etc; echo @; ls -a /var/www; echo @; test -x /bin/busybox && echo base-ok';
const CHANGES = 'echo appended >> /etc/os-release; echo new > /root/new.txt; rm /etc/hosts; test -e /etc/hosts || echo hosts-gone; '
  + 'echo x >> /etc/passwd && rm -r /etc/group /var/www /bin/vi && chmod 600 /etc/os-release && touch /etc/motd /bin/busybox && mkdir /etc/new && echo changed';
let box: Observed;
let hostBefore: ReturnType<typeof snapshotHost>;

describe('chapter 4: overlayfs', () => {
  beforeAll(async () => {
    hostBefore = snapshotHost();
    box = await Observed.start(4, ['--keep'], `${VIEW}; echo @; ${onOverlay(CHANGES)}`);
  });
  afterAll(async () => {
    await box.stop();
  });

  test('the root is an overlay of the image\'s layers, top first, with the container\'s own upper', async () => {
    await overlayRoot(box, demo.layers);
  });

  test('inside, files added, replaced and deleted by the upper layers look right', async () => {
    await overlayRoot(box, demo.layers);
    const [motd, osRelease, etc, www, base] = box.run.stdout.split('@\n');
    const etcNames = (etc ?? '').split(/\s+/).filter(Boolean);
    const wwwNames = (www ?? '').split(/\s+/).filter((n) => n && n !== '.' && n !== '..');
    check(motd === DEMO_LAYERS.config.files['etc/motd'] && osRelease === DEMO_LAYERS.app.files['etc/os-release']
      && !etcNames.includes('profile') && etcNames.includes('passwd') && wwwNames.join(' ') === 'status.txt' && base?.trim() === 'base-ok', {
      expected: '/etc/motd from layer 3, /etc/os-release from layer 2, no /etc/profile (whiteout in layer 2), only status.txt in /var/www (opaque in layer 3), busybox from layer 1',
      seen: `motd: ${shown(motd ?? '', 90)}; os-release: ${shown(osRelease ?? '', 60)}; /etc: ${etcNames.join(' ')}; /var/www: ${wwwNames.join(' ') || '(empty)'}`,
      hint: 'lowerdir lists the TOP layer first (TODO 4.1): imageLayers() starts with the base, so reverse it',
    });
  });

  test('a write copies the file up: the layer on disk is unchanged, the copy is in upper', async () => {
    const root = await overlayRoot(box, demo.layers);
    const inLayer = fs.readFileSync(path.join(demo.layers[1]!, 'etc/os-release'), 'utf8');
    const inUpper = read(path.join(root.upperdir, 'etc/os-release'));
    const created = read(path.join(root.upperdir, 'root/new.txt'));
    check(inLayer === DEMO_LAYERS.app.files['etc/os-release'] && inUpper === `${inLayer}appended\n` && created === 'new\n', {
      expected: 'after `echo appended >> /etc/os-release; echo new > /root/new.txt`: upper/etc/os-release = the layer\'s file + "appended", upper/root/new.txt = "new", the layer\'s own file unchanged',
      seen: `upper/etc/os-release: ${shown(inUpper ?? '(missing)', 120)}; upper/root/new.txt: ${shown(created ?? '(missing)')}; layer's file ${inLayer === DEMO_LAYERS.app.files['etc/os-release'] ? 'unchanged' : 'CHANGED'}`,
      hint: 'upperdir= must be containerDirs(c).upper (TODO 4.2)',
    });
  });

  test('a delete leaves a whiteout in upper, and the file stays in its layer', async () => {
    const root = await overlayRoot(box, demo.layers);
    const whiteout = fs.lstatSync(path.join(root.upperdir, 'etc/hosts'), { throwIfNoEntry: false });
    const inBase = read(path.join(demo.layers[0]!, 'etc/hosts'));
    check(box.run.stdout.includes('hosts-gone') && whiteout?.isCharacterDevice() === true && whiteout.rdev === 0 && inBase !== null, {
      expected: 'after `rm /etc/hosts`: gone inside; upper/etc/hosts is a character device 0/0 (a whiteout); the base layer still has etc/hosts',
      seen: `stdout: ${shown(box.run.stdout.split('@\n').pop() ?? '')}; upper/etc/hosts: ${whiteout ? `${whiteout.isCharacterDevice() ? 'char device' : 'not a device'}, rdev ${whiteout.rdev}` : 'missing'}; base layer: ${inBase === null ? 'MISSING' : 'has it'}`,
      hint: 'overlayfs writes deletes as whiteouts in upperdir: the upperdir must be containerDirs(c).upper (TODO 4.2)',
    });
  });

  test('the image\'s layer directories are byte-for-byte unchanged by a container that changes everything', async () => {
    await overlayRoot(box, demo.layers);
    const after = hashTrees([...demo.layers, ...web.layers]);
    check(box.run.stdout.includes('changed') && after === layersBefore, {
      expected: 'a container that appends, deletes, chmods and touches lower files, and the layers (contents, modes, owners, times, xattrs) hash as before',
      seen: `stdout: ${shown(box.run.stdout.split('@\n').pop() ?? '')}; layers ${after === layersBefore ? 'unchanged' : 'CHANGED'}`,
      hint: 'the layers must only ever be lowerdirs (TODO 4.1): never upperdir, never bind-mounted writable',
    });
  });

  test('the overlay is in the container\'s mount namespace only: the host\'s mount table is unchanged, and --keep keeps upper', async () => {
    const root = await overlayRoot(box, demo.layers);
    const during = snapshotHost();
    await box.stop();
    const after = snapshotHost();
    // Others' mounts come and go on a shared machine: a leak of ours names our folders or is an overlay.
    const changed = [...mountChanges(hostBefore, during), ...mountChanges(hostBefore, after)].filter((l) => l.includes(LIB_DIR) || / - overlay /.test(l));
    const kept = fs.existsSync(root.upperdir);
    check(changed.length === 0 && kept, {
      expected: 'the host\'s mount table unchanged during and after; with --keep, the upper directory stays',
      seen: `host mount changes: ${shown(changed.join('\n'))}; upper ${kept ? 'kept' : 'removed despite --keep'}`,
      hint: kept ? 'mount the overlay in setupContainer, inside the new mount namespace (TODO 4.2)' : 'cleanupHost() must leave the container\'s directory when c.keep is set (TODO 4.4)',
    });
  });

  test('the web image shows its own layer over the same base', async () => {
    const o = await Observed.start(4, ['--image', 'web'], 'cat /var/www/index.html; test -e /etc/profile && echo has-profile');
    try {
      await overlayRoot(o, web.layers, 'the web container\'s root is an overlay of web\'s layers');
      const expected = `${DEMO_LAYERS.web.files['var/www/index.html']}has-profile\n`;
      check(o.run.stdout.startsWith(expected), {
        expected: `web's index.html, and /etc/profile from the base (web deletes nothing): ${shown(expected)}`,
        seen: `stdout: ${shown(o.run.stdout)}`,
        hint: 'web\'s own layer must sit above the base: lowerdir lists the top layer first (TODO 4.1); imageLayers(c) follows --image',
      });
    } finally {
      await o.stop();
    }
  });

  test('without --keep, the container\'s upper, work and merged are removed when it ends', async () => {
    const o = await Observed.start(4, [], onOverlay('echo data > /root/file'));
    let dir = '(unknown)';
    try {
      const root = await overlayRoot(o, demo.layers);
      dir = path.dirname(root.upperdir);
    } finally {
      await o.stop();
    }
    const left = fs.existsSync(dir);
    check(!left, {
      expected: `no ${dir} once the container has ended`,
      seen: left ? `left: ${list(dir).join(' ')}` : 'removed',
      hint: 'cleanupHost() removes containerDirs(c).dir unless c.keep (TODO 4.4)',
    });
  });

  test('two containers of the same image do not see each other\'s writes', async () => {
    const a = await Observed.start(4, [], onOverlay('echo a > /tmp/probe-a; echo changed-by-a >> /etc/motd'));
    const b = await Observed.start(4, [], `${onOverlay('echo b > /tmp/probe-b')}; test -e /tmp/probe-a && echo saw-a; cat /etc/motd`);
    try {
      const ra = await overlayRoot(a, demo.layers);
      const rb = await overlayRoot(b, demo.layers);
      const aSawB = fs.existsSync(`/proc/${ra.pid}/root/tmp/probe-b`);
      check(ra.upperdir !== rb.upperdir && !b.run.stdout.includes('saw-a') && !b.run.stdout.includes('changed-by-a') && !aSawB, {
        expected: 'two upper directories; B sees neither A\'s /tmp/probe-a nor A\'s change to /etc/motd; A\'s root has no /tmp/probe-b',
        seen: `uppers ${ra.upperdir} and ${rb.upperdir}; B: ${shown(b.run.stdout)}; A's root ${aSawB ? 'has' : 'has no'} /tmp/probe-b`,
        hint: 'each container needs its own upperdir and workdir, containerDirs(c) (TODO 4.2)',
      });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('SIGKILL of the runner: the overlay dies with the container\'s mount namespace; cleanup removes its directories', async () => {
    const o = await Observed.start(4, [], 'sleep 40 & true');
    const root = await overlayRoot(o, demo.layers);
    const dir = path.dirname(root.upperdir);
    const mntns = fs.readlinkSync(`/proc/${root.pid}/ns/mnt`);
    o.run.kill('SIGKILL');
    await o.run.done;
    const holders = await settle(() => processesIn(mntns), (v) => v.length === 0);
    for (const pid of holders) process.kill(pid, 'SIGKILL');
    const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
    // A killed runner cannot clean up; the next runner (or `npm run clean`) reaps its container.
    await reapStaleContainers(() => {});
    const afterReap = fs.existsSync(dir);
    check(holders.length === 0 && mounted.length === 0 && !afterReap, {
      expected: 'after SIGKILL no process is left in its mount namespace (so its overlay is unmounted), nothing of it is in the host\'s mount table, and its cleanupHost removes the directory',
      seen: `processes left in its mount namespace: ${holders.length}; host mounts naming it: ${mounted.length}; directory after cleanup: ${afterReap ? dir : 'removed'}`,
      hint: afterReap ? 'cleanupHost() removes containerDirs(c).dir (TODO 4.4)' : 'mount inside the container\'s own mount namespace, never on the host (TODO 4.2)',
    });
  });
});

describe('given: the image toolkit (toolkit/image, not graded)', () => {
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
});

// ─── Helpers ────────────────────────────────────────────────────────────────

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
