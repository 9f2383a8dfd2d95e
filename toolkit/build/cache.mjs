// @ts-check
/**
 * esbuild builds, cached by the content of what went into them.
 *
 * The workbook is TypeScript, and Node 20 runs JavaScript: something has to
 * compile. tsx does it on every start (0.3–0.6 s); here esbuild does it once,
 * and the result is kept with the list of files esbuild actually read and a
 * SHA-256 of each. A start re-hashes those files (a few milliseconds) and
 * uses the build if all match; esbuild is loaded only when one does not.
 * Contents, not mtimes: an edit, a checkout or a copied file with an old
 * timestamp all change a hash, so a stale build cannot be used. An import
 * added or removed changes the importing file, so the list is complete.
 *
 * Within one start a file is hashed once: the runner's own check, the
 * child stage's and a chapter's share the hashes they took (`known`, kept
 * by toolkit/run.mjs), so each build is checked against the files as they
 * were when this process started — the same ones the runner's own modules
 * came from. A process runs one container; the next start reads them all again.
 *
 * Plain JavaScript because it runs before anything is compiled.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @param {string | Buffer} data */
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

const chunk = Buffer.allocUnsafe(64 * 1024);

/**
 * A file's SHA-256, read(2) through one reused 64 KiB buffer until it returns
 * 0: the same digest as readFileSync's, without its fstat(2) and a fresh
 * buffer per file. A start checks ~130 files: 8.5 -> 5 ms, measured here.
 * @param {string} file
 */
function fileSha256(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const got = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) return hash.digest('hex');
      hash.update(chunk.subarray(0, got));
    }
  } finally {
    fs.closeSync(fd);
  }
}

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Same place as CACHE_DIR in toolkit/paths.ts (which is TypeScript, so not importable here). */
export const CACHE_DIR = process.getuid?.() === 0
  ? path.join(PROJECT, 'node_modules', '.cache', 'workbook')
  : path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/tmp', '.cache'), 'workbook');

/**
 * How this file builds is part of every build's key (its own text,
 * esbuild's version and Node's): change any and old builds are simply not found.
 */
const RECIPE = `workbook-build ${sha256(fs.readFileSync(fileURLToPath(import.meta.url)))}`;

/**
 * @typedef {object} BuildSpec
 * @property {string} name  a file name for the build's record, e.g. "runner" or "child-<hash>"
 * @property {string} identity  whatever, besides the input files, the build depends on (entries, options, other builds)
 * @property {import('esbuild').BuildOptions} options  esbuild options (outdir is chosen here)
 * @property {import('esbuild').Plugin[]} [plugins]  more resolvers, run before the project's own
 * @property {Map<string, string>} [known]  file (absolute) → SHA-256 already taken by this start; filled with each file hashed here
 *
 * @typedef {object} Built
 * @property {string} dir  the folder holding the output files
 * @property {Record<string, string>} outputs  source file (absolute) → its output file (absolute), for each entry point
 * @property {Map<string, string>} [hashes]  the runner's: the hashes this start took (BuildSpec.known)
 */

/**
 * The build described by `spec`: from the cache when every input still has
 * its recorded hash, otherwise built now (and recorded).
 * @param {BuildSpec} spec
 * @returns {Promise<Built>}
 */
export async function cachedBuild(spec) {
  const record = path.join(CACHE_DIR, `${spec.name}.json`);
  const esbuildVersion = JSON.parse(fs.readFileSync(path.join(PROJECT, 'node_modules/esbuild/package.json'), 'utf8')).version;
  const key = sha256(`${RECIPE}\nesbuild ${esbuildVersion}\nnode ${process.version}\n${spec.identity}`);
  const known = spec.known ?? new Map();
  const cached = fresh(record, key, known);
  if (cached) return cached;
  return build(spec, record, key, known);
}

/**
 * @param {string} record
 * @param {string} key
 * @param {Map<string, string>} known
 * @returns {Built | null}
 */
function fresh(record, key, known) {
  let saved;
  try {
    saved = JSON.parse(fs.readFileSync(record, 'utf8'));
  } catch {
    return null;
  }
  if (saved.key !== key || !fs.existsSync(saved.dir)) return null;
  for (const [file, hash] of Object.entries(saved.inputs)) {
    let now = known.get(file);
    if (now === undefined) {
      try {
        now = fileSha256(file);
      } catch {
        return null; // deleted or renamed: its importer changed too, but say so here
      }
      known.set(file, now);
    }
    if (now !== hash) return null;
  }
  return { dir: saved.dir, outputs: saved.outputs };
}

/**
 * @param {BuildSpec} spec
 * @param {string} record
 * @param {string} key
 * @param {Map<string, string>} known
 * @returns {Promise<Built>}
 */
async function build(spec, record, key, known) {
  const esbuild = await import('esbuild');
  /** @type {Record<string, string>} what esbuild was given to read, hashed as it was given */
  const inputs = {};
  // The output folder's name is only known afterwards (it is the inputs' hash); esbuild writes
  // nothing here (write: false) and its relative paths depend on the depth alone, which stays.
  const pending = path.join(CACHE_DIR, `${spec.name}-pending`);
  const result = await esbuild.build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'silent',
    absWorkingDir: PROJECT,
    ...spec.options,
    outdir: pending,
    write: false,
    metafile: true,
    // import.meta.url means the source file, as under tsx: paths.ts finds the project by it.
    define: { ...spec.options.define, 'import.meta.url': '__workbookModuleUrl' },
    plugins: [...(spec.plugins ?? []), ...(spec.options.format === 'cjs' ? [builtinsOnce()] : []), packagesByPath(), projectFiles(inputs, known)],
  });

  // Anything esbuild read without our plugin (another loader) is hashed too, so no input goes unrecorded.
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(PROJECT, input);
    // (stdin's contents are in the identity; its made-up file name is not on disk)
    if (!input.startsWith('<') && !(file in inputs) && fs.existsSync(file)) known.set(file, (inputs[file] = sha256(fs.readFileSync(file))));
  }

  const dir = path.join(CACHE_DIR, `${spec.name}-${sha256(`${key}\n${JSON.stringify(Object.entries(inputs).sort())}`).slice(0, 16)}`);
  if (!fs.existsSync(dir)) {
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const file of result.outputFiles) {
      const target = path.join(tmp, path.relative(pending, file.path));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.contents, { mode: 0o644 });
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (error) {
      // Another run built the same thing first: theirs is identical.
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw error;
    }
  }

  /** @type {Record<string, string>} */
  const outputs = {};
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint === undefined || meta.entryPoint === '<stdin>') continue;
    outputs[path.resolve(PROJECT, meta.entryPoint)] = path.join(dir, path.relative(pending, path.resolve(PROJECT, file)));
  }
  if (spec.options.stdin) outputs['<stdin>'] = path.join(dir, path.relative(pending, result.outputFiles.find((f) => /\.c?js$/.test(f.path))?.path ?? ''));

  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${record}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ key, dir, inputs, outputs }, null, 1));
  fs.renameSync(tmp, record);
  pruneOlder(spec.name, dir);
  return { dir, outputs };
}

/**
 * Earlier builds of the same name pile up with every edit: those made more
 * than a day ago go. A younger one may belong to a run still going, which
 * could yet import a chunk of it.
 * @param {string} name
 * @param {string} keep
 */
function pruneOlder(name, keep) {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}$`);
  for (const entry of fs.readdirSync(CACHE_DIR)) {
    const dir = path.join(CACHE_DIR, entry);
    if (!pattern.test(entry) || dir === keep) continue;
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > 24 * 3600 * 1000) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // removed by another run meanwhile
    }
  }
}

/**
 * In a CommonJS build (the child stage), each `import fs from 'node:fs'`
 * becomes its own interop copy of the module's properties (esbuild's
 * __toESM): 36 modules importing node:fs made 36 copies of ~100 properties,
 * ~20 ms of the child stage's start. Here every import of a builtin goes
 * through one small module of the bundle that makes that copy once.
 *
 * And that copy is of a stand-in whose properties load the builtin when
 * first read: the child stage bundles whole chapter files, whose host-side
 * steps (never called in the child) import node:crypto and
 * node:child_process (with net and streams), ~15 ms of the chapter-6 child
 * stage's start for modules it never uses. The stand-in's property names are
 * this Node's own (the build's key names the Node version, so a build is
 * never run by another one).
 * @returns {import('esbuild').Plugin}
 */
function builtinsOnce() {
  const require = createRequire(import.meta.url);
  return {
    name: 'builtins-once',
    setup(b) {
      // An importer's node:X → the bundle's one module for it → its stand-in → Node's own (external).
      const next = /** @type {Record<string, string>} */ ({ builtin: 'lazy', lazy: '' });
      b.onResolve({ filter: /^node:/ }, (args) => {
        const namespace = next[args.namespace] ?? 'builtin';
        return namespace === '' ? { path: args.path, external: true } : { path: args.path, namespace };
      });
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
        contents: `import m from ${JSON.stringify(args.path)};\nexport * from ${JSON.stringify(args.path)};\nexport default m;\n`,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
        const names = Object.getOwnPropertyNames(require(args.path)).filter((name) => name !== 'default');
        return {
          contents: [
            'let loaded;',
            `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
            `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

const RESOLVING = Symbol('resolving');

/**
 * Packages stay imports, by absolute path: Node loads them from the
 * project's node_modules wherever the build lives (a rootless user's cache
 * is not below the project) and koffi keeps its native addon.
 * @returns {import('esbuild').Plugin}
 */
function packagesByPath() {
  return {
    name: 'packages-by-path',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (args.pluginData === RESOLVING) return undefined;
        // esbuild's own resolution (the package's "exports" for import, as Node does), from the importer's folder.
        const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: found.path, external: true };
      });
    },
  };
}

/**
 * Reads the project's files for esbuild, so that what is hashed is exactly
 * what was compiled, and gives each module its own import.meta.url.
 * @param {Record<string, string>} inputs
 * @param {Map<string, string>} known
 * @returns {import('esbuild').Plugin}
 */
function projectFiles(inputs, known) {
  return {
    name: 'project-files',
    setup(b) {
      b.onLoad({ filter: /\.(ts|mts|js|mjs|json)$/ }, (args) => {
        const source = fs.readFileSync(args.path);
        // What is compiled is what this start now knows the file as (a build runs when a file changed).
        known.set(args.path, (inputs[args.path] = sha256(source)));
        const ext = path.extname(args.path);
        if (ext === '.json') return { contents: source, loader: 'json' };
        // On the first line, so every line number stays the source's.
        const url = `const __workbookModuleUrl = ${JSON.stringify(pathToFileURL(args.path).href)}; `;
        return { contents: url + source.toString('utf8'), loader: ext === '.ts' || ext === '.mts' ? 'ts' : 'js' };
      });
    },
  };
}
