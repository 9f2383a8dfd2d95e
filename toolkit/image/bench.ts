/**
 * npm run bench:overlay — what a container's root filesystem costs to make:
 *
 *   overlay   mkdir upper, work, merged + one mount(2)       (Docker's overlay2)
 *   copy      cp -a of every file the image shows            (Docker's vfs driver,
 *                                                              or no union filesystem at all)
 *
 * for the small demo image and a large one (the demo base + a layer of
 * generated files, ≥ 200 MB), built offline and removed afterwards
 * (--keep leaves the large image's layer in the store). Not a test: the
 * figures depend on the machine; the lesson quotes them.
 *
 * Runs in a private mount namespace of its own, so nothing it mounts can
 * outlive it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLONE_NEWNS, MNT_DETACH, MS_PRIVATE, MS_REC, mount, umount2, unshare } from '../kernel/index.ts';
import { requireRoot } from '../cli/root.ts';
import { PROJECT } from '../paths.ts';
import { mountsUnder } from '../runtime/leaks.ts';
import { baseLayer, ensureDemoImages } from './demo.ts';
import { writeImage } from './layout.ts';
import { pullImage } from './prepare.ts';
import { tempPath } from './store.ts';
import { createTar } from './tar.ts';
import { layerDir } from './unpack.ts';

const BIG_FILES = 2048;
const BIG_FILE_SIZE = 100 * 1024; // 2048 × 100 KiB = 200 MiB
const keep = process.argv.includes('--keep');

interface Figures {
  label: string;
  bytes: number;
  files: number;
  overlay: number[];
  copy: number[];
  copySynced: number[];
  removeOverlay: number[];
  removeCopy: number[];
  run: number[];
}

function main(): void {
  requireRoot();
  ensureDemoImages((line) => console.log(line));
  const work = tempPath('bench');
  fs.mkdirSync(work, { recursive: true });
  let bigLayer: string | undefined;
  try {
    console.log(`building the large image (demo base + ${BIG_FILES} generated files of ${BIG_FILE_SIZE / 1024} KiB)…`);
    const big = `${path.join(work, 'layout')}:big`;
    const image = writeImage(path.join(work, 'layout'), 'big', [baseLayer(), { tar: generatedLayer(path.join(work, 'stage')), createdBy: 'bench: generated files' }]);
    fs.rmSync(layerDir(image.manifest.layers[1]!.digest), { recursive: true, force: true }); // left by an interrupted run: time a real unpack
    const t = performance.now();
    const bigLayers = pullImage(big).layers;
    const unpackSeconds = (performance.now() - t) / 1000;
    bigLayer = bigLayers.at(-1);

    // Whole runs first, on the host's mount namespace, as a learner starts them.
    const runs = { demo: wholeRuns('demo'), big: wholeRuns(big) };

    unshare(CLONE_NEWNS);
    mount(null, '/', null, MS_REC | MS_PRIVATE);
    const results = [
      measure('demo (3 layers)', pullImage('demo').layers, path.join(work, 'demo'), 20, 10, runs.demo),
      measure('big (2 layers)', bigLayers, path.join(work, 'big'), 10, 3, runs.big),
    ];
    report(results, unpackSeconds);
  } finally {
    // After a failure, overlays may still be mounted here (in our own mount namespace): never delete through them.
    for (const point of mountsUnder(work)) umount2(point, MNT_DETACH);
    fs.rmSync(work, { recursive: true, force: true });
    if (bigLayer && !keep) fs.rmSync(bigLayer, { recursive: true, force: true });
  }
}

/** A layer of BIG_FILES files in 32 directories; compressible content, so the blob stays small. */
function generatedLayer(stage: string): Buffer {
  for (let i = 0; i < BIG_FILES; i++) {
    const dir = path.join(stage, 'opt/data', `d${i % 32}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `file-${i}.bin`), Buffer.alloc(BIG_FILE_SIZE, `generated file ${i}\n`));
  }
  const tar = createTar(stage);
  fs.rmSync(stage, { recursive: true, force: true });
  return tar;
}

/** `npm run chapter 4 -- --solution --image REF true`, start to end (without npm's own start-up). */
function wholeRuns(image: string): number[] {
  return [0, 1, 2].map(() => {
    const t = performance.now();
    const ran = spawnSync(process.execPath, [path.join(PROJECT, 'toolkit/run.mjs'), path.join(PROJECT, 'toolkit/cli/chapter.ts'), '4', '--solution', '--image', image, 'true'], { cwd: PROJECT, encoding: 'utf8' });
    if (ran.status !== 0) throw new Error(`npm run chapter 4 -- --solution --image ${image} true: exit ${ran.status}: ${ran.stderr.trim()}`);
    return performance.now() - t;
  });
}

function measure(label: string, layers: string[], dir: string, overlayRounds: number, copyRounds: number, run: number[]): Figures {
  const lowerdir = [...layers].reverse().join(':');
  const f: Figures = { label, bytes: 0, files: 0, overlay: [], copy: [], copySynced: [], removeOverlay: [], removeCopy: [], run };

  for (let i = 0; i < overlayRounds; i++) {
    const c = path.join(dir, `overlay-${i}`);
    const t0 = performance.now();
    for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(c, d), { recursive: true });
    mount('overlay', path.join(c, 'merged'), 'overlay', 0, `lowerdir=${lowerdir},upperdir=${c}/upper,workdir=${c}/work`);
    f.overlay.push(performance.now() - t0);
    const t1 = performance.now();
    umount2(path.join(c, 'merged'), MNT_DETACH);
    fs.rmSync(c, { recursive: true, force: true });
    f.removeOverlay.push(performance.now() - t1);
  }

  // What the image shows (whiteouts applied) as a read-only overlay: the source of every copy.
  const view = path.join(dir, 'view');
  fs.mkdirSync(view, { recursive: true });
  mount('overlay', view, 'overlay', 0, `lowerdir=${lowerdir}`);
  [f.bytes, f.files] = sizeOf(view);
  for (let i = 0; i < copyRounds; i++) {
    const c = path.join(dir, `copy-${i}`);
    settle(dir);
    const t0 = performance.now();
    const cp = spawnSync('cp', ['-a', `${view}/.`, c]);
    if (cp.status !== 0) throw new Error(`cp -a: ${cp.stderr.toString().trim()}`);
    f.copy.push(performance.now() - t0);
    spawnSync('sync', ['--file-system', c]); // syncfs(2): the copy on disk, not only in the page cache
    f.copySynced.push(performance.now() - t0);
    const t1 = performance.now();
    fs.rmSync(c, { recursive: true, force: true });
    f.removeCopy.push(performance.now() - t1);
  }
  settle(dir);
  umount2(view, MNT_DETACH);
  return f;
}

/** Untimed: let the disk finish the previous round's writes and discards, so rounds do not overlap. */
function settle(dir: string): void {
  spawnSync('sync', ['--file-system', dir]);
}

function sizeOf(dir: string): [number, number] {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    files++;
    if (e.isFile()) bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return [bytes, files];
}

function report(results: Figures[], unpackSeconds: number): void {
  const ms = (v: number) => (v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const rows = [
    ['image', 'size', 'entries', 'overlay', 'copy (cp -a)', 'copy / overlay', 'copy + sync'],
    ...results.map((r) => [r.label, mb(r.bytes), String(r.files), ms(median(r.overlay)), ms(median(r.copy)), `${Math.round(median(r.copy) / median(r.overlay))}×`, ms(median(r.copySynced))]),
  ];
  console.log('\nmaking a container\'s root filesystem (median; warm page cache; "copy + sync" also waits for the disk):\n');
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(`  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('   ').trimEnd()}`);
  console.log('');
  for (const r of results) {
    console.log(`  ${r.label}: removing it takes ${ms(median(r.removeOverlay))} (overlay) vs ${ms(median(r.removeCopy))} (copy); disk per container: 0 B until it writes (overlay) vs ${mb(r.bytes)} (copy)`);
  }
  for (const r of results) console.log(`  ${r.label}: a whole \`npm run chapter 4 -- --solution true\` takes ${ms(median(r.run))} (node start-up included)`);
  console.log(`  unpacking the big image's new layer once (gunzip, check, tar, whiteouts): ${unpackSeconds.toFixed(2)} s\n`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

main();
