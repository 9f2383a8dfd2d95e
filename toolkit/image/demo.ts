/**
 * The workbook's own images, built offline on first use into
 * LIB_DIR/images (an OCI image layout), the way a Dockerfile would build them:
 *
 *   demo                                   web
 *   ┌──────────────────────────────┐
 *   │ 3 config: motd replaced,     │
 *   │   /var/www made opaque       │       ┌──────────────────────────────┐
 *   ├──────────────────────────────┤       │ 2 web: index.html replaced,  │
 *   │ 2 app: motd added,           │       │   motd added                 │
 *   │   os-release replaced,       │       │                              │
 *   │   /etc/profile deleted       │       │                              │
 *   ├──────────────────────────────┤       ├──────────────────────────────┤
 *   │ 1 base: the workbook rootfs (busybox) — one blob, one directory    │
 *   └────────────────────────────────────────────────────────────────────┘
 *
 * Rebuilt when the rootfs changes (its stamp is noted in index.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs, readStamp } from '../rootfs/build.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './confine.ts';
import { indexEntry, writeImage, type NewLayer } from './layout.ts';
import { IMAGES_DIR, tempPath } from './store.ts';
import { createTar } from './tar.ts';

const RECIPE_VERSION = 1;
const STAMP = 'org.workbook.rootfs';

/** One layer's changes, as a Dockerfile step would leave them. */
export interface LayerChanges {
  createdBy: string;
  /** Files added or replaced, path → content. */
  files: Record<string, string>;
  /** Files deleted (written as .wh.NAME). */
  deleted: string[];
  /** Directories made opaque (written as DIR/.wh..wh..opq): lower layers' contents hidden. */
  opaque: string[];
}

export const DEMO_LAYERS = {
  app: {
    createdBy: 'demo layer 2 (app): add /etc/motd, replace /etc/os-release, delete /etc/profile',
    files: {
      'etc/motd': 'Welcome to the demo image. This /etc/motd was added by layer 2 (app).\n',
      'etc/os-release': 'NAME="workbook demo"\nID=workbook-demo\nVERSION_ID=2\nPRETTY_NAME="workbook demo image (os-release replaced by layer 2)"\n',
    },
    deleted: ['etc/profile'],
    opaque: [],
  },
  config: {
    createdBy: 'demo layer 3 (config): replace /etc/motd, make /var/www opaque with a status.txt',
    files: {
      'etc/motd': 'Welcome to the demo image. This /etc/motd was replaced by layer 3 (config).\n',
      'var/www/status.txt': 'ok: only this file is in /var/www, the layer below is hidden (opaque)\n',
    },
    deleted: [],
    opaque: ['var/www'],
  },
  web: {
    createdBy: 'web layer 2: replace /var/www/index.html, add /etc/motd',
    files: {
      'var/www/index.html': '<!doctype html><title>web</title><p>Hello from the web image, layer 2.</p>\n',
      'etc/motd': 'The web image: the demo base layer plus one layer of its own.\n',
    },
    deleted: [],
    opaque: [],
  },
} satisfies Record<string, LayerChanges>;

export const DEMO_IMAGES = ['demo', 'web'] as const;

/** Directories of the rootfs whose contents are the running system's, not the image's. */
const BASE_EXCLUDES = ['./tmp/*', './proc/*', './sys/*', './run/*', './dev/shm/*'];

let ensured = false;

/** Builds demo and web unless the layout already has them for the current rootfs. */
export function ensureDemoImages(log: (line: string) => void = () => {}): void {
  // Once per process: the runner reads the image's config, then the chapter prepares it; checking the rootfs costs ~50 ms.
  if (ensured) return;
  ensureRootfs(ROOTFS, log);
  const stamp = `${readStamp(ROOTFS)} recipe ${RECIPE_VERSION}`;
  if (DEMO_IMAGES.every((name) => upToDate(name, stamp))) {
    ensured = true;
    return;
  }
  log(`building the demo images in ${IMAGES_DIR}…`);
  const base = baseLayer();
  writeImage(IMAGES_DIR, 'demo', [base, layerOf(DEMO_LAYERS.app), layerOf(DEMO_LAYERS.config)], { [STAMP]: stamp });
  writeImage(IMAGES_DIR, 'web', [base, layerOf(DEMO_LAYERS.web)], { [STAMP]: stamp });
  ensured = true;
}

/** Layer 1 of every workbook image: the rootfs as it is (the same tar bytes, so the same digest). */
export function baseLayer(): NewLayer {
  return { tar: createTar(ROOTFS, BASE_EXCLUDES), createdBy: `base layer: the workbook rootfs (${readStamp(ROOTFS)})` };
}

function upToDate(name: string, stamp: string): boolean {
  try {
    return indexEntry(IMAGES_DIR, name)?.annotations?.[STAMP] === stamp;
  } catch {
    return false; // no layout yet
  }
}

/** A layer tar from a description: files written into a scratch directory, whiteouts as OCI marker files. */
export function layerOf(changes: LayerChanges): NewLayer {
  const stage = tempPath('stage');
  try {
    fs.mkdirSync(stage, { mode: 0o755 });
    fs.chmodSync(stage, 0o755);
    const put = (file: string, content: string) => {
      const full = path.join(stage, file);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
      fs.chmodSync(full, 0o644);
    };
    for (const [file, content] of Object.entries(changes.files)) put(file, content);
    for (const file of changes.deleted) put(path.join(path.dirname(file), `${WHITEOUT_PREFIX}${path.basename(file)}`), '');
    for (const dir of changes.opaque) put(path.join(dir, OPAQUE_MARKER), '');
    chmodDirs(stage);
    return { tar: createTar(stage), createdBy: changes.createdBy };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** Directories as 0755, whatever the umask: they cover the lower layers' directories in the merged view. */
function chmodDirs(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) chmodDirs(path.join(dir, entry.name));
}
