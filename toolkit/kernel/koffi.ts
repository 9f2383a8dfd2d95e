/**
 * koffi (https://koffi.dev), the foreign function interface every system call
 * of the toolkit goes through: its native addon, opened with
 * process.dlopen(3)-style loading straight from the prebuilt package.
 *
 * `import koffi from 'koffi'` first runs koffi's own loader, which parses
 * the node binary's ELF headers to tell glibc from musl and searches several
 * folders, before it dlopens the same file; its JavaScript wrapper only adds
 * deprecation warnings. That costs every process a few tens of milliseconds —
 * twice per container start (the runner and the child stage). Where the
 * glibc build is not the one (musl, another platform, a koffi that moved its
 * files), the official loader is used as it is.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

type Koffi = typeof import('koffi').default;

const require = createRequire(import.meta.url);

function load(): Koffi {
  try {
    // Resolved as koffi's own require would: from its folder (its "require" entry is index.cjs there).
    const main = require.resolve('koffi');
    const version = (JSON.parse(fs.readFileSync(path.join(path.dirname(main), 'package.json'), 'utf8')) as { version: string }).version;
    const prebuilt = createRequire(main).resolve(`@koromix/koffi-${process.platform}-${process.arch}/package.json`);
    const module = { exports: {} as Koffi };
    process.dlopen(module, path.join(path.dirname(prebuilt), `${process.platform}_${process.arch}`, 'koffi.node'));
    // koffi's loader makes the same check ("Mismatched native Koffi modules").
    if (module.exports.version === version) return module.exports;
  } catch {
    // not that package, or not a glibc system: koffi's own loader knows
  }
  return require('koffi') as Koffi;
}

const koffi: Koffi = load();
export default koffi;
