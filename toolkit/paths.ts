/**
 * Where the workbook keeps things on the machine. Nothing outside these
 * places is ever created, so `npm run clean` knows where to look.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder (the one with package.json). */
export const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Built once, kept between runs: the root filesystem. Outside the project on
 * purpose — a VM's synced folder may not hold symlinks or device files.
 */
export const LIB_DIR = process.env.WORKBOOK_LIB_DIR ?? '/var/lib/workbook';

/** Root, or an ordinary user running rootless (chapter 6), whose state lives in their own folders. */
const ROOT = process.getuid?.() === 0;
const HOME = process.env.HOME ?? '/tmp';
export const ROOTFS = process.env.WORKBOOK_ROOTFS ?? path.join(LIB_DIR, 'rootfs');

/** One file per running container, so a crashed run can be found and cleaned (tmpfs: gone at reboot). */
export const RUN_DIR =
  process.env.WORKBOOK_RUN_DIR ??
  (ROOT ? '/run/workbook' : path.join(process.env.XDG_RUNTIME_DIR ?? `/tmp/workbook-run-${process.getuid?.()}`, 'workbook'));

/** Build products of the project's own code: stage bundles and the nsexec binary. */
export const CACHE_DIR = ROOT
  ? path.join(PROJECT, 'node_modules', '.cache', 'workbook')
  : path.join(process.env.XDG_CACHE_HOME ?? path.join(HOME, '.cache'), 'workbook');
