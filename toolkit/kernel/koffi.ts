/**
 * koffi (https://koffi.dev), the foreign function interface every system call
 * of the toolkit goes through: its native addon, opened with
 * process.dlopen() straight from the prebuilt package.
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
import { fileURLToPath } from 'node:url';

type Koffi = typeof import('koffi').default;

/** Node's resolution from this file, made only when the project's own node_modules does not serve. */
const resolver = () => createRequire(import.meta.url);

/** koffi's version and its prebuilt addon for this platform, found in `modules` (a node_modules folder). */
function addonIn(modules: string): { version: string; addon: string } {
  const version = (JSON.parse(fs.readFileSync(path.join(modules, 'koffi', 'package.json'), 'utf8')) as { version: string }).version;
  const addon = path.join(modules, '@koromix', `koffi-${process.platform}-${process.arch}`, `${process.platform}_${process.arch}`, 'koffi.node');
  return { version, addon };
}

function load(): Koffi {
  // The project's node_modules, where npm puts both packages; else wherever Node's resolution finds koffi.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const modules of [path.resolve(here, '../../node_modules'), () => path.resolve(path.dirname(resolver().resolve('koffi')), '..')]) {
    try {
      const { version, addon } = addonIn(typeof modules === 'string' ? modules : modules());
      const module = { exports: {} as Koffi };
      process.dlopen(module, addon);
      // koffi's loader makes the same check ("Mismatched native Koffi modules").
      if (module.exports.version === version) return module.exports;
    } catch {
      // not there, or not a glibc system: koffi's own loader knows
    }
  }
  return resolver()('koffi') as Koffi;
}

const koffi: Koffi = load();
export default koffi;
