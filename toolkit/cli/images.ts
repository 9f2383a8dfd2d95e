/**
 * npm run images — the images on this machine, `docker images` style, and
 * what sharing layers saves: each image's size counts every layer it uses,
 * but a layer shared by several images is on disk once.
 *
 *   the workbook's own (LIB_DIR/images)   demo, web
 *   pulled (LIB_DIR/pulled)               127.0.0.1:5000/workbook/web:latest, …
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { short } from '../image/digest.ts';
import { REF_NAME, openImage } from '../image/layout.ts';
import { IMAGES_DIR } from '../image/store.ts';
import { layerDir } from '../image/unpack.ts';
import { bytes } from '../registry/progress.ts';
import { PULLED_DIR, readPulledIndex } from '../registry/store.ts';
import { describeError } from '../runtime/errors.ts';

interface Row {
  name: string;
  digest: string;
  layers: string[];
}

function rows(): Row[] {
  const out: Row[] = [];
  const add = (layout: string, names: string[]) => {
    for (const name of names) {
      try {
        const image = openImage(layout, name, name);
        out.push({ name, digest: image.manifestDigest, layers: image.manifest.layers.map((l) => l.digest) });
      } catch {
        // not complete or not readable: not listed
      }
    }
  };
  if (fs.existsSync(path.join(IMAGES_DIR, 'index.json'))) {
    const index = JSON.parse(fs.readFileSync(path.join(IMAGES_DIR, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
    add(IMAGES_DIR, index.manifests.flatMap((m) => (m.annotations?.[REF_NAME] ? [m.annotations[REF_NAME]] : [])));
  }
  // By tag only: the same image's @sha256 name is the same row.
  add(PULLED_DIR, readPulledIndex().manifests.flatMap((m) => {
    const n = m.annotations?.[REF_NAME];
    return n && !n.includes('@') ? [n] : [];
  }));
  return out;
}

/** Bytes on disk of an unpacked layer (regular files' sizes; 0 if not unpacked). */
function treeSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.lstatSync(p).size;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return total;
}

function main(): number {
  const list = rows();
  if (list.length === 0) {
    console.log(chalk.dim('no images yet: npm run chapter 4 builds the workbook\'s, npm run pull -- REF pulls one'));
    return 0;
  }
  const sizes = new Map<string, number>();
  const users = new Map<string, number>();
  for (const r of list) for (const l of new Set(r.layers)) {
    if (!sizes.has(l)) sizes.set(l, treeSize(layerDir(l)));
    users.set(l, (users.get(l) ?? 0) + 1);
  }
  const width = Math.max(...list.map((r) => r.name.length), 5);
  console.log(chalk.bold(`${'IMAGE'.padEnd(width)}  ${'MANIFEST'.padEnd(20)}  LAYERS  ${'SIZE'.padStart(10)}  SHARED`));
  let counted = 0;
  for (const r of list) {
    const size = r.layers.reduce((s, l) => s + (sizes.get(l) ?? 0), 0);
    const shared = r.layers.filter((l) => (users.get(l) ?? 0) > 1);
    counted += size;
    console.log(`${r.name.padEnd(width)}  ${`${short(r.digest)}…`.padEnd(20)}  ${String(r.layers.length).padStart(6)}  ${bytes(size).padStart(10)}  ${shared.length > 0 ? `${shared.length} (${shared.map((l) => `${short(l).slice(7)}…`).join(', ')})` : '-'}`);
  }
  const onDisk = [...sizes.values()].reduce((a, b) => a + b, 0);
  console.log(chalk.dim(`\n${list.length} images use ${bytes(counted)} of layers between them; on disk ${bytes(onDisk)} (${sizes.size} layers, each once): sharing saves ${bytes(counted - onDisk)}`));
  return 0;
}

try {
  process.exit(main());
} catch (error) {
  console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
  process.exit(1);
}
