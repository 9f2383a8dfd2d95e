/** Namespaces, mounts and cgroups belong to root: say so plainly instead of failing halfway. */
import fs from 'node:fs';
import path from 'node:path';
import { colors } from './colors.ts';
import { hasWallsOf, type ChapterInfo } from '../chapters.ts';
import { LIB_DIR } from '../paths.ts';
import { readStamp } from '../rootfs/build.ts';
import { UsageError } from '../runtime/errors.ts';

/** The chapter whose user namespace makes rootless containers possible: it, and every chapter built on it, runs for an ordinary user. */
const ROOTLESS_CHAPTER = 6;

/** Written by vagrant/provision.sh inside the workbook VM only. */
const VM_MARKER = '/etc/profile.d/workbook.sh';
const WARNED = path.join(LIB_DIR, 'warned-outside-vm');

export function requireRoot(chapter?: ChapterInfo): void {
  if (process.getuid?.() === 0) {
    warnOnceOutsideVm();
    return;
  }
  if (chapter !== undefined && hasWallsOf(chapter.number, ROOTLESS_CHAPTER)) return;
  throw new UsageError(
    `this needs root (namespaces, mounts and cgroups are root's; only chapter ${ROOTLESS_CHAPTER} and those built on it run rootless): run it inside the VM (vagrant ssh, then \`npm run …\`) or with sudo on a Linux machine`,
  );
}

/** An ordinary user cannot build the rootfs (device nodes need root), but can use root's. */
export function requireBuiltRootfs(rootfs: string): void {
  if (readStamp(rootfs) === null) {
    throw new UsageError(`no root filesystem at ${rootfs}: build it once as root (sudo npm run rootfs), or pass --rootfs DIR`);
  }
}

/**
 * On a learner's own Linux laptop the chapters change the real machine
 * (cleanly, but as root): say it once per machine, not at every run.
 */
function warnOnceOutsideVm(): void {
  if (process.env.CI || fs.existsSync(VM_MARKER) || fs.existsSync(WARNED)) return;
  console.error(colors.yellow(
    'workbook: running as root on this machine itself, not in the workbook VM. Containers are made with the real\n' +
    '          kernel here; every run undoes its mounts, cgroups and devices (and `npm run clean` after a crash).\n' +
    '          This note is shown once per machine.',
  ));
  try {
    fs.mkdirSync(LIB_DIR, { recursive: true });
    fs.writeFileSync(WARNED, `${new Date().toISOString()}\n`);
  } catch {
    // not writable: the note comes again next time, which is harmless
  }
}
